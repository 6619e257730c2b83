package exchange

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// TestValidate checks that bad fields are named by their JSON paths, with
// messages that never repeat the value: error texts reach operators.
func TestValidate(t *testing.T) {
	t.Parallel()
	const name = "Awa Traoré"
	tests := []struct {
		name   string
		change func(m *OutboxMessage)
		field  string // "" for a valid message
	}{
		{"valid", func(*OutboxMessage) {}, ""},
		{"a name as case reference", func(m *OutboxMessage) { m.CaseRef = name }, "case_ref"},
		{"a name as agency", func(m *OutboxMessage) { m.SenderAgency = name }, "sender_agency"},
		{"lower-case member", func(m *OutboxMessage) { m.RecipientMember = "bf" }, "recipient_member"},
		{"unknown message type", func(m *OutboxMessage) { m.MessageType = "gossip" }, "message_type"},
		{"a name as milestone", func(m *OutboxMessage) { m.Tracking.Milestone = name }, "tracking.milestone"},
		{"no payload", func(m *OutboxMessage) { m.Payload = nil }, "payload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := outboxMessage(TypeReferral)
			tc.change(&m)
			err := validate("outbox message", m)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("validate = %v, want nil", err)
				}
				return
			}
			var ce *corridor.Error
			if !errors.As(err, &ce) || ce.Kind != corridor.KindInvalid {
				t.Fatalf("validate = %v, want a KindInvalid *corridor.Error", err)
			}
			if len(ce.Fields) != 1 || ce.Fields[0].Field != tc.field {
				t.Errorf("fields = %+v, want just %s", ce.Fields, tc.field)
			}
			if strings.Contains(err.Error(), "Awa") || strings.Contains(ce.Fields[0].Message, "Awa") {
				t.Errorf("error %q repeats the value", err)
			}
		})
	}

	in := inboxMessage(time.Now())
	in.SenderMember = "Burkina"
	var ce *corridor.Error
	if err := validate("inbox message", in); !errors.As(err, &ce) || len(ce.Fields) != 1 || ce.Fields[0].Field != "sender_member" {
		t.Errorf("validate inbox message with a bad sender = %v, want sender_member named", err)
	}
}

func TestMessageTypeKnown(t *testing.T) {
	t.Parallel()
	for _, typ := range []MessageType{"referral", "decision", "withdrawal", "info_request", "info_response",
		"handover_plan", "handover_confirmation", "service_update", "follow_up", "closure", "status_change"} {
		if !typ.Valid() {
			t.Errorf("%q is not known", typ)
		}
	}
	for _, typ := range []MessageType{"", "receipt", "tracking", "Referral"} {
		if typ.Valid() {
			t.Errorf("%q is known", typ)
		}
	}
}
