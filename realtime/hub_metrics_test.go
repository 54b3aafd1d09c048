package realtime

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}

func testutilGauge(m *Metrics) float64 {
	var d dto.Metric
	_ = m.Waiting.Write(&d)
	return d.GetGauge().GetValue()
}
