package dashboard

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// chartMinutes is the span of the activity charts.
const chartMinutes = 60

// Chart is a bar chart of items per minute over the last hour, drawn as SVG.
type Chart struct {
	Title  string
	Total  int64
	Peak   int64
	Counts [chartMinutes]int64 // oldest first
	Start  time.Time
}

// Bar is one drawn bar.
type Bar struct {
	X, Y, W, H string
	Label      string
}

// Chart geometry (SVG user units).
const (
	chartW = 600
	chartH = 80
)

// Bars lays the chart's bars out in a chartW × chartH box.
func (ch Chart) Bars() []Bar {
	out := make([]Bar, 0, chartMinutes)
	w := float64(chartW) / chartMinutes
	for i, n := range ch.Counts {
		if n == 0 {
			continue
		}
		h := float64(chartH) * float64(n) / float64(max(ch.Peak, 1))
		out = append(out, Bar{
			X: ff(float64(i) * w), Y: ff(chartH - h), W: ff(w - 1), H: ff(h),
			Label: fmt.Sprintf("%s: %d", ch.Start.Add(time.Duration(i)*time.Minute).UTC().Format("15:04"), n),
		})
	}
	return out
}

func ff(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// charts returns items per minute over the last hour per event and per source.
func (d *Dashboard) charts(ctx context.Context, now time.Time) ([]Chart, []Chart, error) {
	start := now.UTC().Truncate(time.Minute).Add(-(chartMinutes - 1) * time.Minute)
	rows, err := d.cfg.Store.AdminActivity(ctx, start)
	if err != nil {
		return nil, nil, err
	}
	events, sources := map[string]*Chart{}, map[string]*Chart{}
	add := func(m map[string]*Chart, title string, minute time.Time, n int64) {
		c, ok := m[title]
		if !ok {
			c = &Chart{Title: title, Start: start}
			m[title] = c
		}
		i := int(minute.Sub(start) / time.Minute)
		if i < 0 || i >= chartMinutes {
			return
		}
		c.Counts[i] += n
		c.Total += n
		c.Peak = max(c.Peak, c.Counts[i])
	}
	for _, r := range rows {
		add(events, r.Event, r.Minute, r.N)
		add(sources, r.Event+" · "+r.Source, r.Minute, r.N)
	}
	return sortedCharts(events), sortedCharts(sources), nil
}

func sortedCharts(m map[string]*Chart) []Chart {
	out := make([]Chart, 0, len(m))
	for _, c := range m {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Title < out[j].Title })
	return out
}
