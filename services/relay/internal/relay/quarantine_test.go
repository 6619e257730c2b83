package relay_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/natsconf"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
	"github.com/corridor-org/corridor/services/relay/internal/relay"
)

// sealer makes envelopes and receipts as a member's relay would, or as a
// broken or hostile one might.
type sealer struct {
	t   *testing.T
	w   *world
	now time.Time
}

// header returns a valid header of a referral from CI to BF.
func (s sealer) header() envelope.Header {
	return envelope.Header{
		MessageID:       corridor.NewID("ci-"),
		Corridor:        "ci-bf",
		SenderMember:    ci,
		SenderAgency:    "CI-DGT",
		RecipientMember: bf,
		RecipientAgency: "BF-DPE",
		MessageType:     string(exchange.TypeReferral),
		CaseRef:         corridor.NewID("case-"),
		ReferralID:      corridor.NewID("ref-"),
		SentAt:          s.now,
	}
}

func (s sealer) encryptionKey(m corridor.MemberCode) envelope.EncryptionKey {
	s.t.Helper()
	k, err := s.w.dir.CurrentEncryptionKey(m, s.now)
	if err != nil {
		s.t.Fatal(err)
	}
	return envelope.EncryptionKey{ID: k.ID, Public: k.PublicKey}
}

func (s sealer) signingKey(f *keyfile.File) envelope.SigningKey {
	s.t.Helper()
	k, err := f.SigningKey(s.now)
	if err != nil {
		s.t.Fatal(err)
	}
	return k
}

// seal seals a valid referral payload under h.
func (s sealer) seal(h envelope.Header, to envelope.EncryptionKey, signer envelope.SigningKey) []byte {
	s.t.Helper()
	return s.sealPayload(h, s.payload(), to, signer)
}

// payload returns a new valid referral payload.
func (s sealer) payload() []byte {
	s.t.Helper()
	payload, err := proto.Marshal(&corridorv1.Referral{ReferralId: corridor.NewID("ref-"), BaseStatus: "draft"})
	if err != nil {
		s.t.Fatal(err)
	}
	return payload
}

// sealPayload seals payload under h.
func (s sealer) sealPayload(h envelope.Header, payload []byte, to envelope.EncryptionKey, signer envelope.SigningKey) []byte {
	s.t.Helper()
	data, err := envelope.Seal(h, payload, to, signer)
	if err != nil {
		s.t.Fatal(err)
	}
	return data
}

// valid seals a valid referral from CI to BF.
func (s sealer) valid(h envelope.Header) []byte {
	return s.seal(h, s.encryptionKey(bf), s.signingKey(s.w.keys[ci]))
}

// edit parses an envelope, changes it and marshals it again.
func (s sealer) edit(data []byte, change func(*corridorv1.Envelope)) []byte {
	s.t.Helper()
	var env corridorv1.Envelope
	if err := proto.Unmarshal(data, &env); err != nil {
		s.t.Fatal(err)
	}
	change(&env)
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(&env)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// receipt signs a receipt from BF for messageID.
func (s sealer) receipt(messageID string, signer envelope.SigningKey) []byte {
	s.t.Helper()
	data, err := envelope.SignReceipt(envelope.Receipt{
		MessageID: messageID, ReceiverMember: bf, ReceiverAgency: "BF-DPE", SenderMember: ci,
		ReceivedAt: s.now, EnvelopeSHA256: sha256.Sum256([]byte("not sent")),
	}, signer)
	if err != nil {
		s.t.Fatal(err)
	}
	return data
}

// publish puts data in member's OUTBOX as that member's relay would.
func publish(t *testing.T, js jetstream.JetStream, subject string, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: data},
		jetstream.WithMsgID(corridor.NewID("test-"))); err != nil {
		t.Fatalf("publish to %s: %v", subject, err)
	}
}

// quarantineFailed is what the relay logs when it cannot store a
// quarantine record.
const quarantineFailed = "quarantining an inbox message failed"

func exec(t *testing.T, pool *pgxpool.Pool, sql string) {
	t.Helper()
	if _, err := pool.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// waitQuarantined waits until pool's quarantine holds one row more than
// before, and returns the newest.
func waitQuarantined(t *testing.T, pool *pgxpool.Pool, before int) relay.Quarantined {
	t.Helper()
	var q relay.Quarantined
	waitFor(t, "the message is quarantined", func() (bool, error) {
		var n int
		q, n = newestQuarantined(t, pool)
		return n == before+1, nil
	})
	return q
}

// newestQuarantined returns the latest quarantine row and the row count.
func newestQuarantined(t *testing.T, pool *pgxpool.Pool) (relay.Quarantined, int) {
	t.Helper()
	var q relay.Quarantined
	var seq int64
	n := count(t, pool, `SELECT count(*) FROM relay_quarantine`)
	if n == 0 {
		return q, 0
	}
	err := pool.QueryRow(t.Context(), `
		SELECT id, reason, subject, message_id, sender_member, error, raw, stream_seq
		FROM relay_quarantine ORDER BY id DESC LIMIT 1`).Scan(&q.ID, &q.Reason, &q.Subject, &q.MessageID,
		&q.SenderMember, &q.Error, &q.Raw, &seq)
	if err != nil {
		t.Fatalf("read quarantine: %v", err)
	}
	q.StreamSeq = uint64(seq)
	return q, n
}

// TestQuarantine sends BF (and CI, for receipts) what a broken or hostile
// peer could: each message lands in the recipient's quarantine with its
// reason, still sealed, nothing reaches the inbox, and the consumer goes on
// to deliver the next good message.
func TestQuarantine(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ciNode := w.startRelay(t, ci, nil)
	bfNode := w.startRelay(t, bf, nil)
	s := sealer{t: t, w: w, now: time.Now()}
	ciJS := w.nats.Members["ci"].JetStream(t, natsconf.UserOperator)
	bfJS := w.nats.Members["bf"].JetStream(t, natsconf.UserOperator)
	now := time.Now()
	rogueCI, err := keyfile.Generate(ci, now.Add(-time.Hour), now.Add(time.Hour)) // CI keys the directory does not list
	if err != nil {
		t.Fatal(err)
	}
	ghana, err := keyfile.Generate("GH", now.Add(-time.Hour), now.Add(time.Hour)) // not a member
	if err != nil {
		t.Fatal(err)
	}

	type message struct {
		data      []byte
		messageID string // what the quarantine row should name; "" for none
	}
	tests := []struct {
		name     string
		toCI     bool   // published by BF to CI (receipts); otherwise CI to BF
		msgType  string // subject type token
		build    func() message
		reason   relay.Reason
		senderIs string
	}{
		{
			name: "sealed to another member", msgType: "referral", reason: relay.ReasonWrongRecipient,
			build: func() message {
				h := s.header()
				h.RecipientMember, h.RecipientAgency = ci, "CI-DPE"
				return message{s.seal(h, s.encryptionKey(ci), s.signingKey(w.keys[ci])), h.MessageID}
			},
		},
		{
			name: "signed by a key the directory does not list", msgType: "referral", reason: relay.ReasonUnknownKey,
			build: func() message {
				h := s.header()
				return message{s.seal(h, s.encryptionKey(bf), s.signingKey(rogueCI)), h.MessageID}
			},
		},
		{
			name: "signed by a sender that is not a member", msgType: "referral", reason: relay.ReasonUnknownSender,
			build: func() message {
				h := s.header()
				h.SenderMember, h.SenderAgency = "GH", "GH-DGT"
				return message{s.seal(h, s.encryptionKey(bf), s.signingKey(ghana)), h.MessageID}
			},
		},
		{
			name: "signature byte flipped", msgType: "referral", reason: relay.ReasonBadSignature,
			build: func() message {
				h := s.header()
				return message{s.edit(s.valid(h), func(e *corridorv1.Envelope) { e.Signature[10] ^= 0x01 }), h.MessageID}
			},
		},
		{
			name: "ciphertext byte flipped", msgType: "referral", reason: relay.ReasonBadSignature,
			build: func() message {
				h := s.header()
				return message{s.edit(s.valid(h), func(e *corridorv1.Envelope) { e.Ciphertext[0] ^= 0x80 }), h.MessageID}
			},
		},
		{
			name: "header altered after sealing", msgType: "referral", reason: relay.ReasonHeaderAltered,
			build: func() message {
				h := s.header()
				return message{s.edit(s.valid(h), func(e *corridorv1.Envelope) { e.CaseRef = corridor.NewID("case-") }), h.MessageID}
			},
		},
		{
			name: "garbage", msgType: "referral", reason: relay.ReasonMalformed,
			build: func() message { return message{[]byte{0xff, 0xff, 0xff, 0xff, 0x00, 0x01}, ""} },
		},
		{
			name: "empty", msgType: "referral", reason: relay.ReasonMalformed,
			build: func() message { return message{nil, ""} },
		},
		{
			name: "over the size limit", msgType: "referral", reason: relay.ReasonTooLarge,
			build: func() message { return message{make([]byte, envelope.MaxEnvelopeSize+1), ""} },
		},
		{
			name: "type differs from the subject's", msgType: "decision", reason: relay.ReasonRouteMismatch,
			build: func() message {
				h := s.header()
				return message{s.valid(h), h.MessageID}
			},
		},
		{
			name: "recipient agency not in the directory", msgType: "referral", reason: relay.ReasonUnknownAgency,
			build: func() message {
				h := s.header()
				h.RecipientAgency = "BF-NOPE"
				return message{s.valid(h), h.MessageID}
			},
		},
		{
			name: "message id of another member", msgType: "referral", reason: relay.ReasonForeignMessageID,
			build: func() message {
				h := s.header()
				h.MessageID = corridor.NewID("bf-")
				return message{s.valid(h), h.MessageID}
			},
		},
		{
			name: "replayed after the window", msgType: "referral", reason: relay.ReasonOutsideWindow,
			build: func() message {
				h := s.header()
				h.SentAt = now.Add(-31 * 24 * time.Hour)
				return message{s.valid(h), h.MessageID}
			},
		},
		{
			name: "sent_at in the future", msgType: "referral", reason: relay.ReasonOutsideWindow,
			build: func() message {
				h := s.header()
				h.SentAt = now.Add(10 * time.Minute)
				return message{s.valid(h), h.MessageID}
			},
		},
		{
			name: "sent_at before the signing key was valid", msgType: "referral", reason: relay.ReasonOutsideWindow,
			build: func() message {
				h := s.header()
				h.SentAt = now.Add(-2 * time.Hour) // CI's key is valid from an hour ago
				return message{s.valid(h), h.MessageID}
			},
		},
		{
			name: "not canonically encoded", msgType: "referral", reason: relay.ReasonNotCanonical,
			build: func() message {
				h := s.header()
				data := s.valid(h)
				// The message id once more at the end: the same envelope,
				// other bytes.
				return message{protowire.AppendString(protowire.AppendTag(data, 1, protowire.BytesType), h.MessageID), h.MessageID}
			},
		},
		{
			name: "receipt not canonically encoded", toCI: true, msgType: "receipt", reason: relay.ReasonNotCanonical,
			build: func() message {
				id := corridor.NewID("ci-")
				data := s.receipt(id, s.signingKey(w.keys[bf]))
				return message{protowire.AppendString(protowire.AppendTag(data, 1, protowire.BytesType), id), id}
			},
		},
		{
			name: "receipt that is garbage", toCI: true, msgType: "receipt", reason: relay.ReasonMalformed,
			build: func() message { return message{[]byte("\xff\xff not a receipt"), ""} },
		},
		{
			name: "receipt for a message CI never sent", toCI: true, msgType: "receipt", reason: relay.ReasonUnknownMessage,
			build: func() message {
				id := corridor.NewID("ci-")
				return message{s.receipt(id, s.signingKey(w.keys[bf])), id}
			},
		},
		{
			name: "receipt signed by a key the directory does not list", toCI: true, msgType: "receipt", reason: relay.ReasonUnknownKey,
			build: func() message {
				rogueBF, err := keyfile.Generate(bf, now.Add(-time.Hour), now.Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				id := corridor.NewID("ci-")
				return message{s.receipt(id, s.signingKey(rogueBF)), id}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target, js, subject, inSubject := bfNode, ciJS, "corr.ci.out.bf."+tc.msgType, "corr.bf.in.ci."+tc.msgType
			if tc.toCI {
				target, js, subject, inSubject = ciNode, bfJS, "corr.bf.out.ci."+tc.msgType, "corr.ci.in.bf."+tc.msgType
			}
			msg := tc.build()
			_, before := newestQuarantined(t, target.pool)
			publish(t, js, subject, msg.data)
			q := waitQuarantined(t, target.pool, before)
			if q.Reason != tc.reason {
				t.Errorf("reason = %s (%s), want %s", q.Reason, q.Error, tc.reason)
			}
			if q.Subject != inSubject {
				t.Errorf("subject = %s, want %s", q.Subject, inSubject)
			}
			if q.MessageID != msg.messageID {
				t.Errorf("message id = %q, want %q", q.MessageID, msg.messageID)
			}
			if !bytes.Equal(q.Raw, msg.data) {
				t.Errorf("raw bytes (%d) differ from those sent (%d)", len(q.Raw), len(msg.data))
			}
			if q.Error == "" || q.StreamSeq == 0 {
				t.Errorf("error = %q, stream_seq = %d", q.Error, q.StreamSeq)
			}
			wantQuarantineAudited(t, target.pool, q)
		})
	}

	t.Run("gave up after transient failures", func(t *testing.T) {
		bfNode.source.fail.Store(true) // BF cannot read its directory
		h := s.header()
		_, before := newestQuarantined(t, bfNode.pool)
		publish(t, ciJS, "corr.ci.out.bf.referral", s.valid(h))
		q := waitQuarantined(t, bfNode.pool, before)
		bfNode.source.fail.Store(false)
		if q.Reason != relay.ReasonGaveUp || q.MessageID != h.MessageID {
			t.Errorf("quarantined %s %q (%s), want gave_up %q", q.Reason, q.MessageID, q.Error, h.MessageID)
		}
	})

	t.Run("gave up while the quarantine could not be written", func(t *testing.T) {
		// The last allowed delivery fails, and so does storing its
		// quarantine record: the message must keep coming back until the
		// record is stored, not be dropped by a delivery limit.
		_, before := newestQuarantined(t, bfNode.pool)
		failuresBefore := strings.Count(bfNode.logs.String(), quarantineFailed)
		exec(t, bfNode.pool, `ALTER TABLE relay_quarantine RENAME TO relay_quarantine_away`)
		away := true
		restore := func() {
			if away {
				away = false
				exec(t, bfNode.pool, `ALTER TABLE relay_quarantine_away RENAME TO relay_quarantine`)
			}
		}
		defer restore() // for the subtests after this one, should it fail
		bfNode.source.fail.Store(true)
		defer bfNode.source.fail.Store(false)
		h := s.header()
		publish(t, ciJS, "corr.ci.out.bf.referral", s.valid(h))
		waitFor(t, "the quarantine fails on two deliveries past the last", func() (bool, error) {
			return strings.Count(bfNode.logs.String(), quarantineFailed) >= failuresBefore+2, nil
		})
		restore()
		q := waitQuarantined(t, bfNode.pool, before)
		bfNode.source.fail.Store(false)
		if q.Reason != relay.ReasonGaveUp || q.MessageID != h.MessageID {
			t.Errorf("quarantined %s %q (%s), want gave_up %q", q.Reason, q.MessageID, q.Error, h.MessageID)
		}
	})

	t.Run("a panic while handling", func(t *testing.T) {
		bfNode.source.panics.Store(true)
		defer bfNode.source.panics.Store(false)
		h := s.header()
		_, before := newestQuarantined(t, bfNode.pool)
		publish(t, ciJS, "corr.ci.out.bf.referral", s.valid(h))
		q := waitQuarantined(t, bfNode.pool, before)
		bfNode.source.panics.Store(false)
		if q.Reason != relay.ReasonGaveUp || q.MessageID != h.MessageID || !strings.Contains(q.Error, "panic") {
			t.Errorf("quarantined %s %q (%s), want gave_up %q after a panic", q.Reason, q.MessageID, q.Error, h.MessageID)
		}
	})

	for _, n := range []*node{ciNode, bfNode} {
		if got := count(t, n.pool, `SELECT count(*) FROM exchange_inbox`); got != 0 {
			t.Errorf("%s's inbox holds %d rows after only bad messages", n.member, got)
		}
	}
	if got := quarantinedMetric(t, bfNode, relay.ReasonBadSignature); got != 2 {
		t.Errorf("relay_quarantined_total{reason=bad_signature} = %v, want 2", got)
	}

	// The consumer keeps going.
	ref := newReferral(t)
	enqueue(t, ciNode.pool, ref.msg)
	waitFor(t, "a good referral still arrives", func() (bool, error) {
		return inboxRow(t, bfNode.pool, ref.msg.MessageID) != nil, nil
	})
}

func quarantinedMetric(t *testing.T, n *node, reason relay.Reason) float64 {
	t.Helper()
	mfs, err := n.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "relay_quarantined_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == string(reason) {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no relay_quarantined_total{reason=%q}", reason)
	return 0
}

// TestDuplicates: a true copy of a stored message (sealed again, so other
// bytes) is answered with the very receipt the first copy got; a "copy"
// whose payload differs is pre-emption or tampering: quarantined, and never
// answered.
func TestDuplicates(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	bfNode := w.startRelay(t, bf, nil)
	s := sealer{t: t, w: w, now: time.Now()}
	ciJS := w.nats.Members["ci"].JetStream(t, natsconf.UserOperator)
	receipts := func(messageID string) [][]byte {
		var out [][]byte
		for _, msg := range w.streamMessages(t, "bf", "OUTBOX") {
			var rc corridorv1.Receipt
			if msg.Subject == "corr.bf.out.ci.receipt" && proto.Unmarshal(msg.Data, &rc) == nil && rc.GetMessageId() == messageID {
				out = append(out, msg.Data)
			}
		}
		return out
	}

	h := s.header()
	payload := s.payload()
	first := s.sealPayload(h, payload, s.encryptionKey(bf), s.signingKey(w.keys[ci]))
	publish(t, ciJS, "corr.ci.out.bf.referral", first)
	waitFor(t, "the first copy is answered", func() (bool, error) { return len(receipts(h.MessageID)) == 1, nil })

	h.SentAt = h.SentAt.Add(time.Minute) // a re-send is sealed afresh
	again := s.sealPayload(h, payload, s.encryptionKey(bf), s.signingKey(w.keys[ci]))
	if bytes.Equal(again, first) {
		t.Fatal("the re-sealed copy has the same bytes: the test proves nothing")
	}
	publish(t, ciJS, "corr.ci.out.bf.referral", again)
	waitFor(t, "the re-sent copy is answered", func() (bool, error) { return len(receipts(h.MessageID)) == 2, nil })
	if rs := receipts(h.MessageID); !bytes.Equal(rs[0], rs[1]) {
		t.Error("the re-sent copy got another receipt than the first")
	}

	_, before := newestQuarantined(t, bfNode.pool)
	publish(t, ciJS, "corr.ci.out.bf.referral", s.valid(h)) // same sender and id, other payload
	q := waitQuarantined(t, bfNode.pool, before)
	if q.Reason != relay.ReasonConflictingDuplicate || q.MessageID != h.MessageID {
		t.Errorf("quarantined %s %q (%s), want conflicting_duplicate %q", q.Reason, q.MessageID, q.Error, h.MessageID)
	}
	waitFor(t, "BF has handled every message", func() (bool, error) { return w.consumerCaughtUp(t, "bf"), nil })
	if n := len(receipts(h.MessageID)); n != 2 {
		t.Errorf("BF sent %d receipts for the message, want 2: the conflicting copy was answered", n)
	}
	stored := inboxRow(t, bfNode.pool, h.MessageID)
	if stored == nil || !bytes.Equal(stored.Payload, payload) {
		t.Errorf("stored message = %+v, want the first payload", stored)
	}
}

// wantQuarantineAudited fails the test unless the audit trail records q's
// quarantine, by the relay, with its reason and nothing the message
// claimed.
func wantQuarantineAudited(t *testing.T, pool *pgxpool.Pool, q relay.Quarantined) {
	t.Helper()
	var found []audit.Entry
	err := audit.Entries(context.Background(), pool, audit.Range{}, func(e audit.Entry) error {
		if e.Action == relay.ActionQuarantined && e.Object.ID == strconv.FormatInt(q.ID, 10) {
			found = append(found, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].Actor != "relay" || found[0].Outcome != audit.Denied ||
		found[0].Detail["reason"] != string(q.Reason) || len(found[0].Detail) != 2 {
		t.Errorf("audit entries of quarantine %d = %+v", q.ID, found)
	}
}
