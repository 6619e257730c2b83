package coordinator_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/streams"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// quarantined is the newest coordinator_quarantine row.
type quarantined struct {
	reason  coordinator.Reason
	subject string
	member  string
	size    int
	digest  []byte
	err     string
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string) {
	t.Helper()
	if _, err := pool.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// deliveries counts the messages COORD's INBOX consumer has delivered,
// redeliveries included.
func (w *world) deliveries(t *testing.T) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	js := w.nats.Members["coord"].JetStream(t, natsconf.UserOperator)
	cons, err := js.Consumer(ctx, streams.Inbox, coordinator.ConsumerName)
	if err != nil {
		t.Fatalf("look up the consumer: %v", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatalf("read the consumer: %v", err)
	}
	return info.Delivered.Consumer
}

func newestQuarantined(t *testing.T, n *node) (quarantined, int) {
	t.Helper()
	var q quarantined
	total := count(t, n.pool, `SELECT count(*) FROM coordinator_quarantine`)
	if total == 0 {
		return q, 0
	}
	err := n.pool.QueryRow(t.Context(), `
		SELECT reason, subject, member, size, sha256, error FROM coordinator_quarantine ORDER BY id DESC LIMIT 1`).
		Scan(&q.reason, &q.subject, &q.member, &q.size, &q.digest, &q.err)
	if err != nil {
		t.Fatal(err)
	}
	return q, total
}

// waitQuarantined waits until n's quarantine holds one row more than
// before, and returns the newest.
func waitQuarantined(t *testing.T, n *node, before int) quarantined {
	t.Helper()
	var q quarantined
	waitFor(t, "the event is quarantined", func() bool {
		var total int
		q, total = newestQuarantined(t, n)
		return total == before+1
	})
	return q
}

// TestEventsThroughNATS publishes signed events into the countries' OUTBOX
// streams, as their relays do: the coordinator's INBOX sources them across
// the hub and the coordinator stores them; what it refuses is quarantined as
// a digest, and it goes on consuming.
func TestEventsThroughNATS(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	n := w.startCoordinator(t, true)
	now := time.Now()

	sent := event(now.Add(-time.Minute))
	publish(t, w, "ci", "corr.ci.out.coord.tracking", w.signers[ci].sign(t, sent))
	delivered := event(now)
	delivered.CaseRef, delivered.ReferralId = sent.CaseRef, sent.ReferralId
	delivered.Member, delivered.Milestone, delivered.EventId = "BF", "referral_delivered", "bf-trk-"+sent.EventId
	publish(t, w, "bf", "corr.bf.out.coord.tracking", w.signers[bf].sign(t, delivered))
	waitFor(t, "both events are stored", func() bool {
		return count(t, n.pool, `SELECT count(*) FROM tracking_events WHERE case_ref = $1`, sent.CaseRef) == 2
	})

	tests := []struct {
		name    string
		member  string
		subject string
		data    func() []byte
		reason  coordinator.Reason
	}{
		{"bad signature", "ci", "corr.ci.out.coord.tracking", func() []byte {
			return editSigned(t, w.signers[ci].sign(t, event(now)), func(s *trackingv1.SignedTrackingEvent) { s.Signature[0] ^= 1 })
		}, coordinator.ReasonBadSignature},
		{"a case message sent to the coordinator", "ci", "corr.ci.out.coord.referral", func() []byte {
			return []byte("sealed or not, this is not for the coordinator")
		}, coordinator.ReasonRouteMismatch},
		{"garbage", "bf", "corr.bf.out.coord.tracking", func() []byte { return []byte{0xff, 0x00, 0xff} }, coordinator.ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data()
			_, before := newestQuarantined(t, n)
			publish(t, w, tc.member, tc.subject, data)
			q := waitQuarantined(t, n, before)
			sum := sha256.Sum256(data)
			if q.reason != tc.reason || q.size != len(data) || !bytes.Equal(q.digest, sum[:]) {
				t.Errorf("quarantined %+v, want reason %s, size %d and the digest", q, tc.reason, len(data))
			}
		})
	}

	t.Run("gave up after transient failures", func(t *testing.T) {
		n.source.fail.Store(true)
		_, before := newestQuarantined(t, n)
		publish(t, w, "ci", "corr.ci.out.coord.tracking", w.signers[ci].sign(t, event(now)))
		q := waitQuarantined(t, n, before)
		n.source.fail.Store(false)
		if q.reason != coordinator.ReasonGaveUp {
			t.Errorf("reason = %s, want gave_up", q.reason)
		}
	})

	t.Run("gave up while the quarantine could not be written", func(t *testing.T) {
		// The last allowed delivery fails, and so does storing its
		// quarantine record: the event must keep coming back until the
		// record is stored, not be dropped by a delivery limit.
		_, before := newestQuarantined(t, n)
		exec(t, n.pool, `ALTER TABLE coordinator_quarantine RENAME TO coordinator_quarantine_away`)
		away := true
		restore := func() {
			if away {
				away = false
				exec(t, n.pool, `ALTER TABLE coordinator_quarantine_away RENAME TO coordinator_quarantine`)
			}
		}
		defer restore() // for the subtests after this one, should it fail
		n.source.fail.Store(true)
		defer n.source.fail.Store(false)
		deliveries := w.deliveries(t)
		publish(t, w, "ci", "corr.ci.out.coord.tracking", w.signers[ci].sign(t, event(now)))
		waitFor(t, "the event is delivered twice past the last allowed delivery", func() bool {
			return w.deliveries(t) >= deliveries+maxDeliver+2
		})
		restore()
		q := waitQuarantined(t, n, before)
		if q.reason != coordinator.ReasonGaveUp {
			t.Errorf("reason = %s, want gave_up", q.reason)
		}
	})

	t.Run("a panic while handling", func(t *testing.T) {
		n.source.panics.Store(true)
		defer n.source.panics.Store(false)
		_, before := newestQuarantined(t, n)
		publish(t, w, "ci", "corr.ci.out.coord.tracking", w.signers[ci].sign(t, event(now)))
		q := waitQuarantined(t, n, before)
		if q.reason != coordinator.ReasonGaveUp || !strings.Contains(q.err, "panic") {
			t.Errorf("quarantined %s (%s), want gave_up after a panic", q.reason, q.err)
		}
	})

	// Still consuming.
	later := event(now)
	publish(t, w, "ci", "corr.ci.out.coord.tracking", w.signers[ci].sign(t, later))
	waitFor(t, "a later event is stored", func() bool {
		return count(t, n.pool, `SELECT count(*) FROM tracking_events WHERE event_id = $1`, later.EventId) == 1
	})
	if got := count(t, n.pool, `SELECT count(*) FROM tracking_events`); got != 3 {
		t.Errorf("%d events stored, want 3", got)
	}
}
