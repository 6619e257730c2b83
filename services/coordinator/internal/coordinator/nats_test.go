package coordinator_test

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

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
}

func newestQuarantined(t *testing.T, n *node) (quarantined, int) {
	t.Helper()
	var q quarantined
	total := count(t, n.pool, `SELECT count(*) FROM coordinator_quarantine`)
	if total == 0 {
		return q, 0
	}
	err := n.pool.QueryRow(t.Context(), `
		SELECT reason, subject, member, size, sha256 FROM coordinator_quarantine ORDER BY id DESC LIMIT 1`).
		Scan(&q.reason, &q.subject, &q.member, &q.size, &q.digest)
	if err != nil {
		t.Fatal(err)
	}
	return q, total
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
			var q quarantined
			waitFor(t, "the message is quarantined", func() bool {
				var total int
				q, total = newestQuarantined(t, n)
				return total == before+1
			})
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
		var q quarantined
		waitFor(t, "the event is quarantined", func() bool {
			var total int
			q, total = newestQuarantined(t, n)
			return total == before+1
		})
		n.source.fail.Store(false)
		if q.reason != coordinator.ReasonGaveUp {
			t.Errorf("reason = %s, want gave_up", q.reason)
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
