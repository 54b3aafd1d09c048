package realtime

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the live path's Prometheus collectors.
type Metrics struct {
	// Waiting is the number of long polls parked in hubs of this process.
	Waiting prometheus.Gauge
	// Appended counts entries this process appended to live logs.
	Appended prometheus.Counter
	// Deliveries counts entries handed to clients (entry × client).
	Deliveries prometheus.Counter
	// Latency is the time from an item's arrival (Item.ReceivedAt) to its
	// delivery to a waiting client.
	Latency prometheus.Histogram
	// HubRedisCommands counts the Redis commands hubs sent to answer polls,
	// fill gaps and resynchronise (0 per poll in steady state).
	HubRedisCommands prometheus.Counter
}

// NewMetrics builds the collectors and registers them on reg (nil: unregistered,
// for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "backchannel_live_waiting_clients",
			Help: "Long polls waiting for entries in this process's hubs.",
		}),
		Appended: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backchannel_live_entries_appended_total",
			Help: "Entries appended to live logs by this process.",
		}),
		Deliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backchannel_live_deliveries_total",
			Help: "Entries delivered to clients (entry × client).",
		}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "backchannel_live_delivery_latency_seconds",
			Help:    "Time from an item's arrival to its delivery to a waiting client.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		HubRedisCommands: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backchannel_hub_redis_commands_total",
			Help: "Redis commands sent by hubs (history reads, gap fills, resyncs).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Waiting, m.Appended, m.Deliveries, m.Latency, m.HubRedisCommands)
	}
	return m
}
