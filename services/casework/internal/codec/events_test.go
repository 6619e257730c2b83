package codec_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/exchange"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
	"github.com/corridor-org/corridor/services/casework/internal/codec"
	"github.com/corridor-org/corridor/services/casework/internal/events"
)

// bodies is one full body of every event, every field set.
func bodies() []events.Body {
	person := events.Person{Name: "Demo Awa", Title: "Social worker", Phone: "+22501020304"}
	return []events.Body{
		&events.Accept{},
		&events.Decline{Reason: "Outside our area", ReasonCode: "outside_area"},
		&events.Withdraw{Reason: "Wrong agency"},
		&events.RequestInfo{RequestID: "req-1", RespondBy: "2099-01-01", Note: "n",
			Items: []events.Question{{ID: "q1", Topic: "family", Question: "Who?"}, {ID: "q2", Question: "Where?"}}},
		&events.RespondInfo{RequestID: "req-1", Note: "n",
			Items: []events.Answer{{QuestionID: "q1", Answer: "The aunt"}, {QuestionID: "q2", Answer: "Kaya"}}},
		&events.PlanHandover{Revision: 3, ProposedBy: cases.Sender, PlannedFor: "2099-02-03T09:00:00Z", Place: "BF-KEN",
			BorderPost: "Niangoloko", Transport: "road", Escorts: []events.Person{person, {Name: "Demo Ali"}},
			ReceivedBy: person, Notes: "n",
			TravelDocuments: []events.TravelDocument{{Type: "laissez_passer", Number: "LP-1", Status: "requested", Notes: "n"}}},
		&events.ConfirmHandover{Side: cases.Recipient, PlanBy: cases.Sender, Revision: 3,
			HandedOverAt: "2026-01-10T11:30:00Z", Notes: "n"},
		&events.RecordService{ServiceID: "svc-1", Type: "education", Provider: "School", StartDate: "2026-01-12",
			EndDate: "2026-06-30", Status: "in_progress", Notes: "n"},
		&events.RecordFollowUp{FollowUpID: "fu-1", Date: "2026-01-20", Method: "home_visit", AtHome: "yes",
			InSchool: "unknown", StillWorking: "no", AtRisk: "no", Notes: "n"},
		&events.Close{ReasonCode: "reunified_safe", Note: "n"},
		&events.StatusChange{Of: cases.EventCancel, ReasonCode: "family_refused", Note: "n"},
		&events.StatusChange{Of: cases.EventResume},
	}
}

// TestEventsRoundTrip checks that what one side records is what the
// other reads: every field of every event survives the protobuf payload.
func TestEventsRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)
	for _, b := range bodies() {
		m := events.Message{ReferralID: "ref-1", Base: cases.StatusAccepted, At: at, By: "bf-caseworker", Body: b}
		typ, payload, err := codec.Encode(m)
		if err != nil {
			t.Fatalf("%s: %v", b.Event(), err)
		}
		if want, _ := codec.MessageType(b.Event()); typ != want {
			t.Errorf("%s travels as %s, want %s", b.Event(), typ, want)
		}
		got, err := codec.Decode(typ, payload)
		if err != nil {
			t.Fatalf("%s: decode: %v", b.Event(), err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%s round trip:\n got %+v %+v\nwant %+v %+v", b.Event(), got, got.Body, m, m.Body)
		}
	}
}

// TestEveryEventHasAMessage: every event a user may cause has a body and a
// message type, and every message type but the referral has a decoder.
func TestEveryEventHasAMessage(t *testing.T) {
	t.Parallel()
	types := map[exchange.MessageType]bool{}
	for _, ev := range cases.Events() {
		t0, ok := codec.MessageType(ev)
		_, hasBody := events.New(ev)
		switch {
		case ev == cases.EventDeliver:
			if ok || hasBody {
				t.Errorf("deliver crosses as the relay's receipt, not as a message")
			}
			continue
		case ev == cases.EventSend:
			if t0 != exchange.TypeReferral || hasBody {
				t.Errorf("send: type %s, body %v", t0, hasBody)
			}
		case !ok || !hasBody:
			t.Errorf("%s: message type %q, body %v", ev, t0, hasBody)
		}
		if !t0.Valid() {
			t.Errorf("%s travels as %q, which exchange does not know", ev, t0)
		}
		types[t0] = true
	}
	for _, typ := range exchange.MessageTypes() {
		if !types[typ] {
			t.Errorf("no event travels as %s", typ)
		}
	}
}

func TestDecodeRefusesMalformedPayloads(t *testing.T) {
	t.Parallel()
	marshal := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, tc := range map[string]struct {
		typ     exchange.MessageType
		payload []byte
	}{
		"garbage":           {exchange.TypeDecision, []byte{0xff, 0xff}},
		"referral type":     {exchange.TypeReferral, marshal(&corridorv1.Referral{ReferralId: "ref-1"})},
		"unknown type":      {"gossip", nil},
		"no referral id":    {exchange.TypeClosure, marshal(&corridorv1.Closure{BaseStatus: "in_care"})},
		"no base":           {exchange.TypeClosure, marshal(&corridorv1.Closure{ReferralId: "ref-1"})},
		"no outcome":        {exchange.TypeDecision, marshal(&corridorv1.Decision{ReferralId: "ref-1", BaseStatus: "delivered"})},
		"no side":           {exchange.TypeHandoverConfirmation, marshal(&corridorv1.HandoverConfirmation{ReferralId: "ref-1", BaseStatus: "handover_planned", PlanProposedBy: corridorv1.HandoverSide_HANDOVER_SIDE_SENDING})},
		"no plan side":      {exchange.TypeHandoverPlan, marshal(&corridorv1.HandoverPlan{ReferralId: "ref-1", BaseStatus: "accepted"})},
		"no event":          {exchange.TypeStatusChange, marshal(&corridorv1.StatusChange{ReferralId: "ref-1", BaseStatus: "accepted"})},
		"not a status move": {exchange.TypeStatusChange, marshal(&corridorv1.StatusChange{ReferralId: "ref-1", BaseStatus: "in_care", Event: "close"})},
	} {
		if _, err := codec.Decode(tc.typ, tc.payload); !errors.Is(err, codec.ErrMalformed) {
			t.Errorf("%s: error %v, want ErrMalformed", name, err)
		}
	}
}

// FuzzDecode feeds arbitrary payloads to every decoder: nothing may panic,
// and what decodes encodes back to an equal message.
func FuzzDecode(f *testing.F) {
	for _, b := range bodies() {
		m := events.Message{ReferralID: "ref-1", Base: cases.StatusAccepted, At: time.Unix(1, 0).UTC(), By: "u", Body: b}
		typ, payload, err := codec.Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(typ), payload)
	}
	f.Fuzz(func(t *testing.T, typ string, payload []byte) {
		m, err := codec.Decode(exchange.MessageType(typ), payload)
		if err != nil {
			return
		}
		typ2, payload2, err := codec.Encode(m)
		if err != nil {
			t.Fatalf("a decoded %s does not encode: %v", typ, err)
		}
		m2, err := codec.Decode(typ2, payload2)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Errorf("%s changed on a second round trip: %+v, then %+v (%v)", typ, m, m2, err)
		}
	})
}
