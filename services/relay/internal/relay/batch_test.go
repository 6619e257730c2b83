package relay_test

import (
	"crypto/sha256"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/natsconf"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
	"github.com/corridor-org/corridor/services/relay/internal/relay"
)

// TestBatchIsolatesBadMessages hands BF's relay one batch mixing good
// messages, a re-sent copy, bad ones and a conflicting duplicate of a good
// one in the same batch: every good message is stored and answered, the
// copy is answered again, and each bad one is quarantined alone, the
// conflicting duplicate without a receipt.
func TestBatchIsolatesBadMessages(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := sealer{t: t, w: w, now: time.Now()}
	ciJS := w.nats.Members["ci"].JetStream(t, natsconf.UserOperator)
	const subject = "corr.ci.out.bf.referral"

	good := []envelope.Header{s.header(), s.header(), s.header()}
	original := s.header()
	badSignature := s.header()
	first := s.valid(good[0])
	sends := [][]byte{
		first,
		s.edit(s.valid(badSignature), func(e *corridorv1.Envelope) { e.Signature[3] ^= 0x01 }),
		s.valid(good[1]),
		s.valid(original),
		s.sealPayload(original, s.payload(), s.encryptionKey(bf), s.signingKey(w.keys[ci])), // another payload
		{0xff, 0x00, 0x01},
		s.valid(good[2]),
		first, // a re-sent copy
	}
	for _, data := range sends {
		publish(t, ciJS, subject, data)
	}
	// Everything is in BF's INBOX before its relay starts: one batch.
	waitFor(t, "BF's INBOX holds every message", func() (bool, error) {
		return w.subjectCount(t, "bf", "INBOX", "corr.bf.in.ci.referral") == len(sends), nil
	})
	bfNode := w.startRelay(t, bf, func(c *relay.Config) { c.BatchSize = 16 })
	waitFor(t, "BF's relay settled every message", func() (bool, error) {
		return w.consumerCaughtUp(t, "bf"), nil
	})

	for _, h := range append(good, original) {
		if inboxRow(t, bfNode.pool, h.MessageID) == nil {
			t.Errorf("%s is not in BF's inbox", h.MessageID)
		}
	}
	if n := count(t, bfNode.pool, `SELECT count(*) FROM exchange_inbox`); n != 4 {
		t.Errorf("BF's inbox holds %d rows, want 4", n)
	}
	wantReceipts := map[string]int{good[0].MessageID: 2, good[1].MessageID: 1, good[2].MessageID: 1,
		original.MessageID: 1, badSignature.MessageID: 0}
	for id, n := range wantReceipts {
		if got := len(w.receiptsFor(t, id)); got != n {
			t.Errorf("%s: %d receipts, want %d", id, got, n)
		}
	}
	var reasons []string
	if err := func() error {
		rows, err := bfNode.pool.Query(t.Context(), `SELECT reason FROM relay_quarantine ORDER BY reason`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				return err
			}
			reasons = append(reasons, r)
		}
		return rows.Err()
	}(); err != nil {
		t.Fatal(err)
	}
	want := []string{string(relay.ReasonBadSignature), string(relay.ReasonConflictingDuplicate), string(relay.ReasonMalformed)}
	if !slices.Equal(reasons, want) {
		t.Errorf("quarantined %v, want %v", reasons, want)
	}
}

// TestReceiptsRecordedByBatch hands CI's relay, in one batch, BF's receipts
// for four of its messages, a second copy of one of them, and a receipt
// naming an envelope CI never sealed: the four are recorded (in one
// statement, exchange.RecordReceiptBatch), the copy changes nothing and
// the odd one alone is quarantined.
func TestReceiptsRecordedByBatch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := sealer{t: t, w: w, now: time.Now()}
	pool := pg.NewPool(t, schema)
	bfJS := w.nats.Members["bf"].JetStream(t, natsconf.UserOperator)
	bfKey := s.signingKey(w.keys[bf])
	receipt := func(messageID string, digest [32]byte) []byte {
		data, err := envelope.SignReceipt(envelope.Receipt{
			MessageID: messageID, ReceiverMember: bf, ReceiverAgency: "BF-DPE", SenderMember: ci,
			ReceivedAt: s.now, EnvelopeSHA256: digest,
		}, bfKey)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	// CI's messages, published as if by its relay: the envelopes' digests
	// recorded, the rows marked published.
	var ids []string
	var receipts [][]byte
	for i := range 5 {
		ref := newReferral(t)
		enqueue(t, pool, ref.msg)
		digest := sha256.Sum256([]byte("envelope of " + ref.msg.MessageID))
		if i < 4 {
			if _, err := pool.Exec(t.Context(), `INSERT INTO relay_sent_envelopes (message_id, envelope_sha256) VALUES ($1, $2)`,
				ref.msg.MessageID, digest[:]); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ref.msg.MessageID)
		}
		receipts = append(receipts, receipt(ref.msg.MessageID, digest))
	}
	exec(t, pool, `UPDATE exchange_outbox SET published_at = now(), publish_attempts = 1`)
	receipts = append(receipts, receipts[1]) // a copy
	for _, data := range receipts {
		publish(t, bfJS, "corr.bf.out.ci.receipt", data)
	}
	waitFor(t, "CI's INBOX holds every receipt", func() (bool, error) {
		return w.subjectCount(t, "ci", "INBOX", "corr.ci.in.bf.receipt") == len(receipts), nil
	})
	ciNode := w.startRelay(t, ci, func(c *relay.Config) { c.Pool, c.BatchSize = pool, 16 })
	waitFor(t, "CI's relay settled every receipt", func() (bool, error) {
		return w.consumerCaughtUp(t, "ci"), nil
	})
	for _, id := range ids {
		out, err := exchange.GetOutbox(t.Context(), pool, id)
		if err != nil || out.ReceiptAt == nil {
			t.Errorf("%s: receipt %v, %v; want recorded", id, out.ReceiptAt, err)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM exchange_outbox WHERE receipt_at IS NOT NULL`); n != len(ids) {
		t.Errorf("%d messages receipted, want %d", n, len(ids))
	}
	if n := strings.Count(ciNode.logs.String(), `"msg":"message delivered"`); n != len(ids) {
		t.Errorf("%d deliveries logged, want %d (the copy records nothing)", n, len(ids))
	}
	var reasons []string
	rows, err := pool.Query(t.Context(), `SELECT reason FROM relay_quarantine`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		reasons = append(reasons, r)
	}
	rows.Close()
	if !slices.Equal(reasons, []string{string(relay.ReasonReceiptMismatch)}) {
		t.Errorf("quarantined %v, want one %s", reasons, relay.ReasonReceiptMismatch)
	}
}

// TestPublishBatchIsolatesFailures has CI's relay claim one batch holding a
// message it cannot seal between two good ones: the good ones are
// published, reported and marked, the bad one alone is scheduled again
// with its error.
func TestPublishBatchIsolatesFailures(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	good := []exchange.OutboxMessage{newReferral(t).msg, newReferral(t).msg}
	bad := newReferral(t).msg
	bad.RecipientMember = "GH" // not in the directory
	ciNode := w.startRelay(t, ci, func(c *relay.Config) {
		// Queued before the relay starts: claimed in one batch.
		for _, m := range []exchange.OutboxMessage{good[0], bad, good[1]} {
			enqueue(t, c.Pool, m)
		}
	})
	waitFor(t, "the batch is settled", func() (bool, error) {
		n := count(t, ciNode.pool, `SELECT count(*) FROM exchange_outbox WHERE published_at IS NOT NULL OR last_error IS NOT NULL`)
		return n == 3, nil
	})
	for _, m := range good {
		out, err := exchange.GetOutbox(t.Context(), ciNode.pool, m.MessageID)
		if err != nil || out.PublishedAt == nil || out.LastError != "" {
			t.Errorf("%s: published_at = %v, last_error = %q, %v; want published", m.MessageID, out.PublishedAt, out.LastError, err)
		}
	}
	out, err := exchange.GetOutbox(t.Context(), ciNode.pool, bad.MessageID)
	if err != nil || out.PublishedAt != nil || !strings.Contains(out.LastError, "GH") {
		t.Errorf("unsealable message: published_at = %v, last_error = %q, %v", out.PublishedAt, out.LastError, err)
	}
	if n := w.subjectCount(t, "ci", "OUTBOX", "corr.ci.out.bf.referral"); n != 2 {
		t.Errorf("CI's OUTBOX holds %d referrals, want 2", n)
	}
	if n := w.subjectCount(t, "ci", "OUTBOX", "corr.ci.out.coord.tracking"); n != 2 {
		t.Errorf("CI reported %d tracking events, want 2", n)
	}
}
