package workflow

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics count what the applier does, so that an operator sees messages
// piling up in quarantine without reading the inbox. Labels are message
// types: a bounded set with no personal data.
type metrics struct {
	applied *prometheus.CounterVec
	failed  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "casework_inbox_applied_total",
			Help: "Inbox messages applied, by message type.",
		}, []string{"type"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "casework_inbox_failed_total",
			Help: "Attempts to apply an inbox message that failed, by message type.",
		}, []string{"type"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.applied, m.failed} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register casework metrics: %w", err)
		}
	}
	return m, nil
}
