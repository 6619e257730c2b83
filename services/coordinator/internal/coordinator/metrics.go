package coordinator

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corridor-org/corridor/pkg/cases"
)

// metrics are the coordinator's Prometheus metrics; labels are milestones
// and reasons, closed sets of codes.
type metrics struct {
	events      *prometheus.CounterVec
	duplicates  prometheus.Counter
	quarantined *prometheus.CounterVec
	notices     *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coordinator_events_total",
			Help: "Tracking events verified and newly stored, by milestone.",
		}, []string{"milestone"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "coordinator_duplicate_events_total",
			Help: "Tracking events received again after they were stored.",
		}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coordinator_quarantined_total",
			Help: "Inbox messages refused and quarantined, by reason.",
		}, []string{"reason"}),
	}
	m.notices = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "coordinator_notices_total",
		Help: "Overdue notices delivered, or failed for good, by channel and outcome.",
	}, []string{"channel", "outcome"})
	for _, c := range []prometheus.Collector{m.events, m.duplicates, m.quarantined, m.notices} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register coordinator metrics: %w", err)
		}
	}
	// Every series exists from the start, so rates and alerts see zeros.
	// Stored events have a known milestone: validation refuses the others.
	for _, ms := range cases.Milestones() {
		m.events.WithLabelValues(string(ms))
	}
	for _, ch := range []string{ChannelWebhook, ChannelEmail} {
		m.notices.WithLabelValues(ch, NoticeDelivered)
		m.notices.WithLabelValues(ch, NoticeFailed)
	}
	for _, r := range Reasons() {
		m.quarantined.WithLabelValues(string(r))
	}
	return m, nil
}
