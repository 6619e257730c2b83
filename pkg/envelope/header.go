package envelope

import (
	"fmt"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/exchange"
)

// Identifier and member-code rules. Header fields are identifiers minted by
// software (random ids, directory ids, codes), never free text, so the
// protocol fixes them to printable ASCII without spaces: nothing a person
// typed can reach a header, and every header is safe to log.
const (
	minMemberCode = 2
	maxMemberCode = 8
)

func identifierProblem(s string) string {
	switch {
	case s == "":
		return "is required"
	case len(s) > MaxFieldSize:
		return fmt.Sprintf("is longer than %d bytes", MaxFieldSize)
	}
	for i := range len(s) {
		if c := s[i]; c < 0x21 || c > 0x7e {
			return "must be printable ASCII without spaces"
		}
	}
	return ""
}

func memberProblem(m corridor.MemberCode) string {
	if len(m) < minMemberCode || len(m) > maxMemberCode {
		return fmt.Sprintf("must be %d to %d upper-case letters", minMemberCode, maxMemberCode)
	}
	for i := range len(m) {
		if c := m[i]; c < 'A' || c > 'Z' {
			return fmt.Sprintf("must be %d to %d upper-case letters", minMemberCode, maxMemberCode)
		}
	}
	return ""
}

// validate checks h against the protocol's rules and names each bad field by
// its wire name. It never quotes a field's value.
func (h Header) validate() error {
	var fields []corridor.FieldError
	add := func(field, problem string) {
		if problem != "" {
			fields = append(fields, corridor.FieldError{Field: field, Message: problem})
		}
	}
	add("message_id", identifierProblem(h.MessageID))
	add("corridor", identifierProblem(h.Corridor))
	add("sender_member", memberProblem(h.SenderMember))
	add("sender_agency", identifierProblem(h.SenderAgency))
	add("recipient_member", memberProblem(h.RecipientMember))
	add("recipient_agency", identifierProblem(h.RecipientAgency))
	if !exchange.MessageType(h.MessageType).Valid() {
		add("message_type", "is not a known message type")
	}
	add("case_ref", identifierProblem(h.CaseRef))
	add("referral_id", identifierProblem(h.ReferralID))
	if h.SentAt.UnixMicro() <= 0 {
		add("sent_at", "must be after 1970-01-01T00:00:00Z")
	}
	add("sender_key_id", identifierProblem(h.SenderKeyID))
	add("recipient_key_id", identifierProblem(h.RecipientKeyID))
	if len(fields) > 0 {
		return corridor.Invalid("invalid envelope header", fields...)
	}
	return nil
}

// fromMicros turns a wire instant into a time in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
