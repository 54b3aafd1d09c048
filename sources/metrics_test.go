package sources

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/backchannel/backchannel/live"
)

// counter reads one counter of reg by name and labels (0 when absent).
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if matches(m, labels) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func matches(m *dto.Metric, labels map[string]string) bool {
	n := 0
	for _, lp := range m.GetLabel() {
		if v, ok := labels[lp.GetName()]; ok && v == lp.GetValue() {
			n++
		}
	}
	return n == len(labels)
}

func TestMetricsCountItemsBadPayloadsAndPollsPerKind(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	reg := prometheus.NewRegistry()
	opts := h.fastOptions("w:1")
	opts.Metrics = reg
	f, srv := newFakeFeed(t)
	feed := h.addSource("feed", "feed:notes", map[string]any{"url": srv.URL + "/feed.atom", "every": "1ms"})
	h.addSource("replay", "replay", map[string]any{"every": "20ms"})
	m := NewManager(h.db.DB, h.rd.Client, h.log, opts)
	// A second manager in the same process shares the counters.
	NewManager(h.db.DB, h.rd.Client, h.log, opts)

	pollThroughAsynq(t, m, feed.ID)
	pollThroughAsynq(t, m, feed.ID)
	if full, nm, _ := f.counts(); full != 1 || nm != 1 {
		t.Fatalf("feed answered %d in full and %d not modified", full, nm)
	}
	if got := counter(t, reg, "backchannel_source_items_appended_total", map[string]string{"kind": "feed"}); got != 2 {
		t.Errorf("feed items appended %v, want 2", got)
	}
	if got := counter(t, reg, "backchannel_source_polls_total", map[string]string{"kind": "feed", "outcome": "polled"}); got != 2 {
		t.Errorf("feed polls %v, want 2", got)
	}
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("this is not a feed"))
	}))
	t.Cleanup(garbage.Close)
	broken := h.addSource("feed", "feed:broken", map[string]any{"url": garbage.URL, "every": "1ms"})
	pollThroughAsynq(t, m, broken.ID)
	if got := counter(t, reg, "backchannel_source_bad_payloads_total", map[string]string{"kind": "feed"}); got != 1 {
		t.Errorf("feed bad payloads %v, want 1", got)
	}
	h.start(m)
	h.waitFor("replay items", func(es []live.Entry) bool { return countAdds(es) >= 5 })
	eventually(t, "replay items counted", func() bool {
		return counter(t, reg, "backchannel_source_items_appended_total", map[string]string{"kind": "replay"}) >= 3
	})
	if got := counter(t, reg, "backchannel_source_bad_payloads_total", map[string]string{"kind": "replay"}); got != 0 {
		t.Errorf("bad payloads %v", got)
	}
}
