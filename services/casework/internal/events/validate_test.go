package events_test

import (
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
)

func newValidator(t *testing.T) *events.Validator {
	t.Helper()
	v, err := events.NewValidator(func() time.Time { return time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestValidate checks the rules tags cannot express, field by field.
func TestValidate(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	followUp := func(date string) *events.RecordFollowUp {
		return &events.RecordFollowUp{Date: date, Method: "phone", AtHome: "yes", InSchool: "no", StillWorking: "no", AtRisk: "unknown"}
	}
	plan := func(at string) *events.PlanHandover {
		return &events.PlanHandover{PlannedFor: at, Place: "BF-KEN", BorderPost: "Niangoloko", ReceivedBy: events.Person{Name: "x"}}
	}
	for _, tc := range []struct {
		name  string
		body  events.Body
		field string // "" when valid
	}{
		{"follow-up today", followUp("2026-06-15"), ""},
		{"follow-up tomorrow", followUp("2026-06-16"), "date"},
		{"question ids unique", &events.RequestInfo{Items: []events.Question{{ID: "a", Question: "x"}, {ID: "a", Question: "y"}}}, "items[1].id"},
		{"questions without ids", &events.RequestInfo{Items: []events.Question{{Question: "x"}, {Question: "y"}}}, ""},
		{"blank question", &events.RequestInfo{Items: []events.Question{{Question: " \t"}}}, "items[0].question"},
		{"respond by yesterday", &events.RequestInfo{Items: []events.Question{{Question: "x"}}, RespondBy: "2026-06-14"}, "respond_by"},
		{"service ends before it starts", &events.RecordService{Type: "legal", Provider: "p", Status: "done",
			StartDate: "2026-06-01", EndDate: "2026-05-01"}, "end_date"},
		{"NUL in a note", &events.Close{ReasonCode: "lost_contact", Note: "a\x00"}, "note"},
		{"closure other needs a note", &events.Close{ReasonCode: "other"}, "note"},
		{"cancel needs a reason", &events.StatusChange{Of: cases.EventCancel}, "reason_code"},
		{"cancel with another list's reason", &events.StatusChange{Of: cases.EventCancel, ReasonCode: "child_found"}, "reason_code"},
		{"cancel other needs a note", &events.StatusChange{Of: cases.EventCancel, ReasonCode: "other"}, "note"},
		{"resume without a reason", &events.StatusChange{Of: cases.EventResume}, ""},
		{"a status change of an event with a record", &events.StatusChange{Of: cases.EventClose, ReasonCode: "other", Note: "x"}, "event"},
		{"plan for tomorrow", plan("2026-06-16T09:00:00Z"), ""},
		{"plan for a minute ago", plan("2026-06-15T11:59:00Z"), "planned_for"},
		{"plan for last year", plan("2025-06-15T12:00:00+02:00"), "planned_for"},
		{"confirmation in the future", &events.ConfirmHandover{Revision: 1, HandedOverAt: "2026-06-16T12:00:00Z"}, "handed_over_at"},
	} {
		err := v.Validate(tc.body)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var fields []string
		if ce, ok := err.(*corridor.Error); ok && ce.Kind == corridor.KindInvalid {
			for _, f := range ce.Fields {
				fields = append(fields, f.Field)
			}
		}
		if len(fields) != 1 || fields[0] != tc.field {
			t.Errorf("%s: fields %v (%v), want [%s]", tc.name, fields, err, tc.field)
		}
	}
}

// TestCheckReceived: a body from the other side must carry what its
// casework sets, and is not held to this side's clock.
func TestCheckReceived(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	answer := func(o *referral.Override) *events.RespondInfo {
		return &events.RespondInfo{RequestID: "req-1", Items: []events.Answer{{QuestionID: "q1", Answer: "a"}},
			Consent: &referral.Consent{GivenBy: "child", ToServices: true, Override: o}}
	}
	for _, tc := range []struct {
		name string
		body events.Body
		ok   bool
	}{
		{"a request without its id", &events.RequestInfo{Items: []events.Question{{ID: "q1", Question: "x"}}}, false},
		{"a request with unnumbered questions", &events.RequestInfo{RequestID: "req-1", Items: []events.Question{{Question: "x"}}}, false},
		{"a request", &events.RequestInfo{RequestID: "req-1", Items: []events.Question{{ID: "q1", Question: "x"}}}, true},
		{"a plan without a revision", &events.PlanHandover{ProposedBy: cases.Sender, PlannedFor: "2026-07-01T09:00:00Z",
			Place: "BF-KEN", BorderPost: "b", ReceivedBy: events.Person{Name: "n"}}, false},
		{"a service without its id", &events.RecordService{Type: "legal", Provider: "p", Status: "done"}, false},
		{"a follow-up dated tomorrow by this side's clock", &events.RecordFollowUp{FollowUpID: "fu-1", Date: "2026-06-16",
			Method: "phone", AtHome: "yes", InSchool: "no", StillWorking: "no", AtRisk: "no"}, true},
		{"a bad code", &events.Close{ReasonCode: "bored"}, false},
		{"an answer with an override its casework attributed", answer(&referral.Override{Reason: "r", By: "sup", Role: "supervisor", DecidedAt: "2026-06-15T12:00:00Z"}), true},
		{"an answer with an override nobody made", answer(&referral.Override{Reason: "r"}), false},
		{"an answer with a bad consent", &events.RespondInfo{RequestID: "req-1", Items: []events.Answer{{QuestionID: "q1", Answer: "a"}},
			Consent: &referral.Consent{GivenBy: "the dog"}}, false},
	} {
		err := v.CheckReceived(tc.body)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
