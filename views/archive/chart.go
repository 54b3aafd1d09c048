package archive

import (
	"fmt"
	"strconv"
	"strings"
)

// Chart is a bar chart drawn as SVG on the server, with a text alternative:
// Title and Summary are the SVG's <title> and <desc>, and the full data is in
// a visually hidden table (Table) for screen readers.
type Chart struct {
	// ID makes the SVG's title/desc ids unique on the page.
	ID    string
	Title string
	// Unit is what a bar counts, singular ("post").
	Unit string
	Bars []Bar
}

// Bar is one bar: its label (a time) and its value.
type Bar struct {
	Label string
	Value int64
}

// Max is the highest bar.
func (c Chart) Max() int64 {
	var m int64
	for _, b := range c.Bars {
		m = max(m, b.Value)
	}
	return m
}

// Total is the sum of the bars.
func (c Chart) Total() int64 {
	var t int64
	for _, b := range c.Bars {
		t += b.Value
	}
	return t
}

// Summary says the chart in one sentence.
func (c Chart) Summary() string {
	total := c.Total()
	if total == 0 {
		return fmt.Sprintf("No %ss.", c.Unit)
	}
	busiest := c.Bars[0]
	for _, b := range c.Bars {
		if b.Value > busiest.Value {
			busiest = b
		}
	}
	return fmt.Sprintf("%s in total; busiest at %s with %s.", plural(total, c.Unit), busiest.Label, plural(busiest.Value, c.Unit))
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}

// BarRect is one bar's geometry in the SVG's coordinates.
type BarRect struct {
	X, Y, W, H string
	Label      string
}

// Rects lays the non-zero bars out in a width×height box, tallest bar at
// full height; a non-zero bar is at least one unit tall so it stays visible.
func (c Chart) Rects(width, height float64) []BarRect {
	n := len(c.Bars)
	if n == 0 {
		return nil
	}
	m := c.Max()
	slot := width / float64(n)
	gap := slot * 0.15
	out := make([]BarRect, 0, n)
	for i, b := range c.Bars {
		if b.Value == 0 {
			continue // an empty interval draws nothing
		}
		h := 0.0
		if m > 0 {
			h = float64(b.Value) / float64(m) * height
		}
		if b.Value > 0 && h < 1 {
			h = 1
		}
		out = append(out, BarRect{
			X: num(float64(i)*slot + gap/2), Y: num(height - h), W: num(slot - gap), H: num(h),
			Label: b.Label + ": " + plural(b.Value, c.Unit),
		})
	}
	return out
}

func num(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" || s == "-0" {
		return "0"
	}
	return s
}

// NonZero are the bars with a value, for the text alternative's table.
func (c Chart) NonZero() []Bar {
	out := make([]Bar, 0, len(c.Bars))
	for _, b := range c.Bars {
		if b.Value > 0 {
			out = append(out, b)
		}
	}
	return out
}
