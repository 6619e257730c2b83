package relay

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/exchange"
)

// metrics are the relay's Prometheus metrics. Labels are message types,
// quarantine reasons, milestones and directions: closed sets of codes,
// never ids or data.
type metrics struct {
	published       *prometheus.CounterVec
	publishFailures prometheus.Counter
	resent          prometheus.Counter
	received        *prometheus.CounterVec
	duplicates      prometheus.Counter
	quarantined     *prometheus.CounterVec
	settled         *prometheus.CounterVec
	receipts        *prometheus.CounterVec
	tracking        *prometheus.CounterVec
	unpublished     prometheus.Gauge
	awaiting        prometheus.Gauge
	oldest          prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_published_total",
			Help: "Outbox messages published to OUTBOX for the first time, by message type.",
		}, []string{"type"}),
		publishFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relay_publish_failures_total",
			Help: "Attempts to publish an outbox message that failed and were scheduled again.",
		}),
		resent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relay_resent_total",
			Help: "Messages sent again because their receipt was overdue.",
		}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_received_total",
			Help: "Messages opened and newly stored in the inbox, by message type.",
		}, []string{"type"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relay_duplicates_total",
			Help: "Messages received again after they were stored; answered with a receipt and dropped.",
		}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_quarantined_total",
			Help: "Inbox messages quarantined, by reason.",
		}, []string{"reason"}),
		settled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_quarantine_settled_total",
			Help: "Actions people took on quarantined messages, by action and the state they left the message in.",
		}, []string{"action", "state"}),
		receipts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_receipts_total",
			Help: "Signed receipts sent for received messages and recorded for sent ones, by direction.",
		}, []string{"direction"}),
		tracking: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_tracking_events_total",
			Help: "Tracking events published for the coordinator, by milestone.",
		}, []string{"milestone"}),
		unpublished: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "relay_outbox_unpublished",
			Help: "Outbox messages not yet published.",
		}),
		awaiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "relay_outbox_awaiting_receipt",
			Help: "Outbox messages published but without a receipt yet.",
		}),
		oldest: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "relay_outbox_lag_seconds",
			Help: "Age of the oldest outbox message not yet published (0 when none).",
		}),
	}
	for _, c := range []prometheus.Collector{m.published, m.publishFailures, m.resent, m.received,
		m.duplicates, m.quarantined, m.settled, m.receipts, m.tracking, m.unpublished, m.awaiting, m.oldest} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register relay metrics: %w", err)
		}
	}
	// Every series exists from the start, so rates and alerts see zeros.
	for _, t := range exchange.MessageTypes() {
		m.published.WithLabelValues(string(t))
		m.received.WithLabelValues(string(t))
	}
	for _, r := range Reasons() {
		m.quarantined.WithLabelValues(string(r))
	}
	m.settled.WithLabelValues(string(ActionRelease), string(StateReleased))
	m.settled.WithLabelValues(string(ActionRelease), string(StateQuarantined))
	m.settled.WithLabelValues(string(ActionDismiss), string(StateDismissed))
	for _, d := range []string{"sent", "received"} {
		m.receipts.WithLabelValues(d)
	}
	for _, ms := range cases.Milestones() {
		m.tracking.WithLabelValues(string(ms))
	}
	return m, nil
}

// gaugeLoop refreshes the outbox gauges from the database.
func (r *Relay) gaugeLoop(ctx context.Context) {
	tick := time.NewTicker(r.cfg.PollInterval)
	defer tick.Stop()
	for {
		qctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
		s, err := readStatus(qctx, r.cfg.Pool)
		cancel()
		if err == nil {
			r.metrics.unpublished.Set(float64(s.Unpublished))
			r.metrics.awaiting.Set(float64(s.AwaitingReceipt))
			r.metrics.oldest.Set(s.OldestUnpublishedSeconds)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
