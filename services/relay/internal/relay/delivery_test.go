package relay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/natsconf"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
	"github.com/corridor-org/corridor/services/relay/internal/relay"
)

// consumerCaughtUp reports whether member's relay consumer has settled
// every message now in its INBOX.
func (w *world) consumerCaughtUp(t *testing.T, member string) bool {
	t.Helper()
	js := w.nats.Members[member].JetStream(t, natsconf.UserOperator)
	c, err := js.Consumer(t.Context(), "INBOX", relay.ConsumerName)
	if err != nil {
		return false
	}
	info, err := c.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0
}

// receiptsFor returns the receipts in BF's OUTBOX for messageID.
func (w *world) receiptsFor(t *testing.T, messageID string) []envelope.Receipt {
	t.Helper()
	var out []envelope.Receipt
	for _, msg := range w.streamMessages(t, "bf", "OUTBOX") {
		if msg.Subject != "corr.bf.out.ci.receipt" {
			continue
		}
		rc, err := envelope.OpenReceipt(msg.Data, w.dir)
		if err != nil {
			t.Fatalf("%s: %v", describe(msg), err)
		}
		if rc.MessageID == messageID {
			out = append(out, rc)
		}
	}
	return out
}

// TestDuplicateDelivery delivers the same envelope to BF twice under two
// Nats-Msg-Ids, as a re-send whose first copy did arrive does: BF stores it
// once and answers both copies, and CI records one receipt.
func TestDuplicateDelivery(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ciNode := w.startRelay(t, ci, nil)
	bfNode := w.startRelay(t, bf, nil)
	m := newReferral(t).msg
	enqueue(t, ciNode.pool, m)
	waitFor(t, "CI's outbox row has BF's receipt", func() (bool, error) {
		out, err := exchange.GetOutbox(t.Context(), ciNode.pool, m.MessageID)
		return out.ReceiptAt != nil, err
	})

	// The envelope exactly as BF received it, published again by CI.
	var sealed []byte
	for _, msg := range w.streamMessages(t, "bf", "INBOX") {
		if msg.Subject == "corr.bf.in.ci.referral" {
			sealed = msg.Data
		}
	}
	if sealed == nil {
		t.Fatal("BF's INBOX has no referral")
	}
	publish(t, w.nats.Members["ci"].JetStream(t, natsconf.UserOperator), "corr.ci.out.bf.referral", sealed)

	waitFor(t, "BF answers the second copy too", func() (bool, error) {
		return len(w.receiptsFor(t, m.MessageID)) == 2, nil
	})
	waitFor(t, "CI has handled both receipts", func() (bool, error) {
		return w.subjectCount(t, "ci", "INBOX", "corr.ci.in.bf.receipt") == 2 && w.consumerCaughtUp(t, "ci"), nil
	})
	if n := count(t, bfNode.pool, `SELECT count(*) FROM exchange_inbox`); n != 1 {
		t.Errorf("BF's inbox has %d rows, want 1", n)
	}
	if n := count(t, ciNode.pool, `SELECT count(*) FROM exchange_inbox`); n != 0 {
		t.Errorf("CI's inbox has %d rows, want none: receipts are recorded on the outbox row", n)
	}
	for _, n := range []*node{ciNode, bfNode} {
		if q := count(t, n.pool, `SELECT count(*) FROM relay_quarantine`); q != 0 {
			t.Errorf("%s quarantined %d messages", n.member, q)
		}
	}
	// The referral was delivered once: one referral_delivered event.
	waitFor(t, "COORD has BF's tracking event", func() (bool, error) {
		return w.subjectCount(t, "coord", "INBOX", "corr.coord.in.bf.tracking") >= 1, nil
	})
	if n := w.subjectCount(t, "bf", "OUTBOX", "corr.bf.out.coord.tracking"); n != 1 {
		t.Errorf("BF published %d tracking events, want 1 (the duplicate's is deduplicated)", n)
	}
}

// TestResendUntilReceipt keeps BF's relay down while CI waits for a
// receipt: CI re-sends with growing waits, under the message's one identity
// (envelope message id and Nats-Msg-Id), so that the copies do not pile up
// in OUTBOX while BF is away; once BF's relay runs it stores the message
// once, and the receipt stops the re-sending.
func TestResendUntilReceipt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ciNode := w.startRelay(t, ci, func(c *relay.Config) {
		c.ResendAfter = 100 * time.Millisecond
		c.ResendMax = 400 * time.Millisecond
		c.ResendInterval = 20 * time.Millisecond
	})
	m := newReferral(t).msg
	enqueue(t, ciNode.pool, m)

	waitFor(t, "CI has sent the message three times", func() (bool, error) {
		out, err := exchange.GetOutbox(t.Context(), ciNode.pool, m.MessageID)
		return out.PublishAttempts >= 3, err
	})
	var copies []*jetstream.RawStreamMsg
	for _, msg := range w.streamMessages(t, "ci", "OUTBOX") {
		if msg.Subject == "corr.ci.out.bf.referral" {
			copies = append(copies, msg)
		}
	}
	if len(copies) != 1 {
		t.Errorf("CI's OUTBOX holds %d copies of the message, want 1: re-sends pile up", len(copies))
	}
	for _, c := range copies {
		if id := c.Header.Get(jetstream.MsgIDHeader); id != "ci:"+m.MessageID {
			t.Errorf("copy %s has Nats-Msg-Id %q, want the message's own", describe(c), id)
		}
	}
	out, err := exchange.GetOutbox(t.Context(), ciNode.pool, m.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if out.ReceiptAt != nil || out.PublishAttempts < 3 {
		t.Errorf("before BF runs: receipt_at = %v, publish_attempts = %d", out.ReceiptAt, out.PublishAttempts)
	}

	bfNode := w.startRelay(t, bf, nil)
	waitFor(t, "CI's outbox row has BF's receipt", func() (bool, error) {
		out, err := exchange.GetOutbox(t.Context(), ciNode.pool, m.MessageID)
		return out.ReceiptAt != nil, err
	})
	waitFor(t, "BF has handled every copy", func() (bool, error) { return w.consumerCaughtUp(t, "bf"), nil })
	if n := count(t, bfNode.pool, `SELECT count(*) FROM exchange_inbox WHERE message_id = $1`, m.MessageID); n != 1 {
		t.Errorf("BF's inbox has %d rows for the message, want 1", n)
	}
	// With the receipt in, nothing is due for re-sending, however long CI
	// waits.
	if n, err := ciNode.relay.ResendDue(t.Context()); err != nil || n != 0 {
		t.Errorf("ResendDue after the receipt = %d, %v; want 0", n, err)
	}
	// The milestone was reported once, not once per sending.
	if n := w.subjectCount(t, "ci", "OUTBOX", "corr.ci.out.coord.tracking"); n != 1 {
		t.Errorf("CI published %d tracking events, want 1", n)
	}
}

// TestPublishFailureIsScheduled enqueues a message CI cannot seal (its
// recipient is not in the directory): the row stays unpublished with an
// error an operator can read and a later attempt time.
func TestPublishFailureIsScheduled(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ciNode := w.startRelay(t, ci, nil)
	ref := newReferral(t)
	m := ref.msg
	m.RecipientMember = "GH"
	enqueue(t, ciNode.pool, m)
	var out exchange.OutboxMessage
	waitFor(t, "the failure is recorded", func() (bool, error) {
		var err error
		out, err = exchange.GetOutbox(t.Context(), ciNode.pool, m.MessageID)
		return out.LastError != "", err
	})
	if out.PublishedAt != nil || !out.NextAttemptAt.After(out.CreatedAt) {
		t.Errorf("published_at = %v, next_attempt_at = %v (created %v)", out.PublishedAt, out.NextAttemptAt, out.CreatedAt)
	}
	if !strings.Contains(out.LastError, "GH") || strings.Contains(out.LastError, ref.childName) {
		t.Errorf("last_error = %q", out.LastError)
	}
	if n := w.subjectCount(t, "ci", "OUTBOX", "corr.ci.out.coord.tracking"); n != 0 {
		t.Errorf("an unsent message was reported to the coordinator")
	}
}

// TestExpiredDirectoryWaits: while BF's directory in force has expired,
// a referral from CI is delivered again and again, past MaxDeliver, and
// neither stored nor quarantined (giving up would quarantine every message
// that arrives during the expiry); once a current directory is in force it
// is stored and receipted.
func TestExpiredDirectoryWaits(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ciNode := w.startRelay(t, ci, nil)
	bfNode := w.startRelay(t, bf, nil)
	// A first referral, delivered while the directory is current, shows
	// BF's streams are set up (which needs the directory too).
	first := newReferral(t)
	enqueue(t, ciNode.pool, first.msg)
	waitFor(t, "a first referral receipted", func() (bool, error) {
		out, err := exchange.GetOutbox(t.Context(), ciNode.pool, first.msg.MessageID)
		return out.ReceiptAt != nil, err
	})
	bfNode.source.expired.Store(true)
	const waiting = "an inbox message waits"
	ref := newReferral(t)
	enqueue(t, ciNode.pool, ref.msg)
	// MaxDeliver is 4 in these tests: twice as many deliveries.
	waitFor(t, "BF to hold the referral back on 8 deliveries", func() (bool, error) {
		return strings.Count(bfNode.logs.String(), waiting) >= 8, nil
	})
	if row := inboxRow(t, bfNode.pool, ref.msg.MessageID); row != nil {
		t.Errorf("BF stored the referral under an expired directory")
	}
	bfNode.source.expired.Store(false)
	waitFor(t, "the referral receipted", func() (bool, error) {
		out, err := exchange.GetOutbox(t.Context(), ciNode.pool, ref.msg.MessageID)
		return out.ReceiptAt != nil, err
	})
	if n := count(t, bfNode.pool, `SELECT count(*) FROM relay_quarantine`); n != 0 {
		t.Errorf("BF quarantined %d messages", n)
	}
	if row := inboxRow(t, bfNode.pool, ref.msg.MessageID); row == nil {
		t.Errorf("the referral is not in BF's inbox")
	}
}

// TestMilestoneRowIsReportedOnly: a milestone row (the recipient's
// handed_over after two crossing confirmations) reaches the coordinator as
// a tracking event from BF, and nothing reaches CI.
func TestMilestoneRowIsReportedOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	bfNode := w.startRelay(t, bf, nil)
	ref := newReferral(t)
	m := exchange.OutboxMessage{
		MessageID: corridor.NewID("bf-"), Corridor: "ci-bf", MessageType: exchange.TypeMilestone,
		CaseRef: ref.msg.CaseRef, ReferralID: ref.msg.ReferralID, SenderAgency: "BF-DPE",
		RecipientMember: ci, RecipientAgency: "CI-DGT", Side: exchange.SideRecipient,
		Tracking: &exchange.Tracking{Milestone: "handed_over", Sector: "A", AgeBand: "12-14", Sex: "female"},
	}
	enqueue(t, bfNode.pool, m)
	waitFor(t, "the milestone row is published", func() (bool, error) {
		out, err := exchange.GetOutbox(t.Context(), bfNode.pool, m.MessageID)
		return out.PublishedAt != nil, err
	})
	var ev *trackingv1.TrackingEvent
	for _, msg := range w.streamMessages(t, "bf", "OUTBOX") {
		if msg.Subject != "corr.bf.out.coord.tracking" {
			t.Errorf("BF published %s for a milestone row", msg.Subject)
			continue
		}
		var err error
		if ev, err = verifyTracking(w, msg.Data); err != nil {
			t.Fatal(err)
		}
	}
	if ev.GetMilestone() != "handed_over" || ev.GetMember() != "BF" || ev.GetSenderMember() != "CI" ||
		ev.GetRecipientMember() != "BF" || ev.GetReferralId() != m.ReferralID {
		t.Errorf("tracking event = %v", ev)
	}
}
