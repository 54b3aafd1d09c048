package sources

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics count what the runners and polls of this process do, by source
// kind. They are registered only when ManagerOptions.Metrics is set.
type metrics struct {
	items, bad, reconnects *prometheus.CounterVec
	polls                  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backchannel_source_items_appended_total",
			Help: "New items appended to live logs by source runners and polls (duplicates not counted).",
		}, []string{"kind"}),
		bad: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backchannel_source_bad_payloads_total",
			Help: "Payloads from sources that could not be used and were skipped.",
		}, []string{"kind"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backchannel_source_reconnects_total",
			Help: "Streams that ended and were reconnected, and polls that failed.",
		}, []string{"kind"}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backchannel_source_polls_total",
			Help: "Poll tasks handled, by outcome (polled, failed, lease held elsewhere, too early, not an enabled polled source).",
		}, []string{"kind", "outcome"}),
	}
	if reg != nil {
		m.items = register(reg, m.items)
		m.bad = register(reg, m.bad)
		m.reconnects = register(reg, m.reconnects)
		m.polls = register(reg, m.polls)
	}
	return m
}

// register registers c, or returns the collector already registered under
// its name (two managers in one process share the counters).
func register(reg prometheus.Registerer, c *prometheus.CounterVec) *prometheus.CounterVec {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return old
			}
		}
	}
	return c
}
