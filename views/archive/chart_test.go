package archive

import "testing"

func TestChartSummarisesAndDrawsOnlyNonEmptyBars(t *testing.T) {
	c := Chart{ID: "a", Title: "Posts", Unit: "post", Bars: []Bar{{"09:00", 2}, {"09:01", 0}, {"09:02", 4}}}
	if got := c.Summary(); got != "6 posts in total; busiest at 09:02 with 4 posts." {
		t.Fatalf("summary = %q", got)
	}
	rects := c.Rects(300, 100)
	if len(rects) != 2 || rects[1].H != "100" || rects[0].H != "50" || rects[1].X != "207.5" {
		t.Fatalf("rects = %+v", rects)
	}
	if got := (Chart{Unit: "post"}).Summary(); got != "No posts." {
		t.Fatalf("empty summary = %q", got)
	}
}
