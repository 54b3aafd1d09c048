package dashboard

import (
	"testing"
	"time"
)

func TestChartBarsFitTheBox(t *testing.T) {
	ch := Chart{Title: "x", Start: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)}
	ch.Counts[0], ch.Counts[59] = 5, 10
	ch.Peak, ch.Total = 10, 15
	bars := ch.Bars()
	if len(bars) != 2 || bars[1].Y != "0.0" || bars[1].H != "80.0" || bars[0].H != "40.0" || bars[1].Label != "10:59: 10" {
		t.Fatalf("bars: %+v", bars)
	}
}
