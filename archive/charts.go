package archive

import (
	"strconv"
	"time"

	av "github.com/backchannel/backchannel/views/archive"
)

// niceSteps are the bucket widths charts choose from.
var niceSteps = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// stepFor picks the smallest nice bucket width that keeps a span within bars.
func stepFor(span time.Duration, bars int) time.Duration {
	for _, s := range niceSteps {
		if span/s <= time.Duration(bars) {
			return s
		}
	}
	return niceSteps[len(niceSteps)-1]
}

// chartOf labels counts of buckets of width step from start, in loc.
func chartOf(id, title string, counts []int64, start time.Time, step time.Duration, loc *time.Location) av.Chart {
	layout := "15:04"
	if step >= 24*time.Hour {
		layout = "Mon Jan 2"
	}
	c := av.Chart{ID: id, Title: title, Unit: "post", Bars: make([]av.Bar, len(counts))}
	for i, n := range counts {
		t := start.Add(time.Duration(i) * step).In(loc)
		label := t.Format(layout)
		if step < 24*time.Hour && (i == 0 || t.YearDay() != start.Add(time.Duration(i-1)*step).In(loc).YearDay()) {
			label = t.Format("Mon 15:04")
		}
		c.Bars[i] = av.Bar{Label: label, Value: n}
	}
	return c
}

func idOf(prefix string, n int64) string { return prefix + strconv.FormatInt(n, 10) }
