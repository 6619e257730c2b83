package relay_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/signing"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

// TestRoundTrip sends a referral from CI's outbox to BF's inbox across two
// member servers and the hub, as the walking skeleton does: the plaintext
// arrives intact, CI gets BF's signed receipt on its outbox row and an inbox
// row telling casework, COORD gets signed tracking events, and no message in
// any stream on any server carries the child's name.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ciNode := w.startRelay(t, ci, nil)
	bfNode := w.startRelay(t, bf, nil)
	ref := newReferral(t)
	m := ref.msg
	enqueue(t, ciNode.pool, m)

	var got *exchange.InboxMessage
	waitFor(t, "BF's inbox holds the referral", func() (bool, error) {
		got = inboxRow(t, bfNode.pool, m.MessageID)
		return got != nil, nil
	})
	if !bytes.Equal(got.Payload, m.Payload) {
		t.Errorf("BF's payload differs from what CI enqueued")
	}
	want := exchange.InboxMessage{
		MessageID: m.MessageID, Corridor: "ci-bf", MessageType: exchange.TypeReferral, CaseRef: m.CaseRef,
		ReferralID: m.ReferralID, SenderMember: ci, SenderAgency: "CI-DGT", RecipientAgency: "BF-DPE",
	}
	gotHead := exchange.InboxMessage{
		MessageID: got.MessageID, Corridor: got.Corridor, MessageType: got.MessageType, CaseRef: got.CaseRef,
		ReferralID: got.ReferralID, SenderMember: got.SenderMember, SenderAgency: got.SenderAgency,
		RecipientAgency: got.RecipientAgency,
	}
	if !equalInbox(gotHead, want) {
		t.Errorf("BF's inbox row = %+v, want %+v", gotHead, want)
	}

	var out exchange.OutboxMessage
	waitFor(t, "CI's outbox row has BF's receipt", func() (bool, error) {
		var err error
		out, err = exchange.GetOutbox(t.Context(), ciNode.pool, m.MessageID)
		return out.ReceiptAt != nil, err
	})
	rc, err := envelope.OpenReceipt(out.Receipt, w.dir)
	if err != nil {
		t.Fatalf("stored receipt does not verify: %v", err)
	}
	if rc.MessageID != m.MessageID || rc.ReceiverMember != bf || rc.ReceiverAgency != "BF-DPE" || rc.SenderMember != ci {
		t.Errorf("receipt = %+v", rc)
	}
	if out.PublishedAt == nil || out.LastError != "" {
		t.Errorf("outbox row published_at = %v, last_error = %q", out.PublishedAt, out.LastError)
	}

	// COORD sources both countries' tracking events into its INBOX.
	var events map[string]*trackingv1.TrackingEvent
	waitFor(t, "COORD's inbox holds both tracking events", func() (bool, error) {
		events = map[string]*trackingv1.TrackingEvent{}
		for _, msg := range w.streamMessages(t, "coord", "INBOX") {
			ev, err := verifyTracking(w, msg.Data)
			if err != nil {
				t.Fatalf("%s: %v", describe(msg), err)
			}
			events[msg.Subject] = ev
		}
		return len(events) == 2, nil
	})
	sent, delivered := events["corr.coord.in.ci.tracking"], events["corr.coord.in.bf.tracking"]
	if sent == nil || delivered == nil {
		t.Fatalf("tracking subjects = %v", keys(events))
	}
	for _, c := range []struct {
		ev        *trackingv1.TrackingEvent
		member    corridor.MemberCode
		milestone string
	}{{sent, ci, "referral_sent"}, {delivered, bf, "referral_delivered"}} {
		ev := c.ev
		if ev.GetMilestone() != c.milestone || ev.GetMember() != string(c.member) ||
			ev.GetCaseRef() != m.CaseRef || ev.GetReferralId() != m.ReferralID || ev.GetCorridor() != "ci-bf" ||
			ev.GetSenderMember() != "CI" || ev.GetSenderAgency() != "CI-DGT" ||
			ev.GetRecipientMember() != "BF" || ev.GetRecipientAgency() != "BF-DPE" || ev.GetAt() <= 0 {
			t.Errorf("%s event = %v", c.milestone, ev)
		}
	}
	if sent.GetSector() != "A" || sent.GetAgeBand() != "12-14" || sent.GetSex() != "female" {
		t.Errorf("referral_sent attributes = %q %q %q", sent.GetSector(), sent.GetAgeBand(), sent.GetSex())
	}
	if sent.GetIdentifiedAt() != identifiedAt.UnixMicro() || sent.GetPreviousReferralId() != "ref-earlier" {
		t.Errorf("referral_sent identified_at %d previous_referral_id %q", sent.GetIdentifiedAt(), sent.GetPreviousReferralId())
	}
	if delivered.GetIdentifiedAt() != 0 || delivered.GetPreviousReferralId() != "" {
		t.Errorf("referral_delivered carries referral_sent's attributes: %v", delivered)
	}

	// Nothing personal anywhere on the wire: every message of every stream
	// on every member server, payload, subject and headers.
	scanned := 0
	for _, member := range []string{"ci", "bf", "coord"} {
		for _, stream := range []string{"OUTBOX", "INBOX"} {
			for _, msg := range w.streamMessages(t, member, stream) {
				scanned++
				if leaks(msg, ref.childName) {
					t.Errorf("%s on %s carries the child's name", describe(msg), member)
				}
			}
		}
	}
	// CI OUTBOX: referral + tracking; BF INBOX: referral; BF OUTBOX: receipt
	// + tracking; CI INBOX: receipt; COORD INBOX: two tracking events.
	if scanned < 8 {
		t.Errorf("scanned %d messages, want at least 8: the scan proves nothing", scanned)
	}
	for _, n := range []*node{ciNode, bfNode} {
		if strings.Contains(n.logs.String(), ref.childName) {
			t.Errorf("%s's logs carry the child's name", n.member)
		}
	}
}

func equalInbox(a, b exchange.InboxMessage) bool {
	return a.MessageID == b.MessageID && a.Corridor == b.Corridor && a.MessageType == b.MessageType &&
		a.CaseRef == b.CaseRef && a.ReferralID == b.ReferralID && a.SenderMember == b.SenderMember &&
		a.SenderAgency == b.SenderAgency && a.RecipientAgency == b.RecipientAgency
}

// verifyTracking checks a signed tracking event against the directory and
// returns the event.
func verifyTracking(w *world, data []byte) (*trackingv1.TrackingEvent, error) {
	var signed trackingv1.SignedTrackingEvent
	if err := proto.Unmarshal(data, &signed); err != nil {
		return nil, err
	}
	if err := signing.VerifyFrom(w.dir, corridor.MemberCode(signed.GetMember()), signed.GetKeyId(),
		signing.PurposeTracking, signed.GetEvent(), signed.GetSignature()); err != nil {
		return nil, err
	}
	var ev trackingv1.TrackingEvent
	if err := proto.Unmarshal(signed.GetEvent(), &ev); err != nil {
		return nil, err
	}
	return &ev, nil
}

// leaks reports whether s appears in msg's subject, headers or data, in
// clear.
func leaks(msg *jetstream.RawStreamMsg, s string) bool {
	if strings.Contains(msg.Subject, s) || bytes.Contains(msg.Data, []byte(s)) {
		return true
	}
	for k, vs := range msg.Header {
		if strings.Contains(k, s) || slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(v, s) }) {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
