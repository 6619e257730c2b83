package filing

import (
	"net/url"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/services/casework/internal/store"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

func TestLookupField(t *testing.T) {
	tests := []struct {
		path, want string
		ok         bool
	}{
		{"child.sex", "child.sex", true},
		{"requested_services[1]", "requested_services", true},
		{"recipient.agency", "recipient", true},
		{"work.c182_category", "work.c182_categories", true},
		{"family.guardians[0].name.given_names", "family.guardians.name.given_names", true},
		{"family.guardians[0].contact.phone", "", false}, // no such input, nor above it
		{"consent.override.by", "consent.override.reason", false},
		{"Idempotency-Key", "", false},
	}
	for _, tt := range tests {
		f, _, ok := lookupField(tt.path)
		if ok != tt.ok || (ok && f.Name != tt.want) {
			t.Errorf("lookupField(%q) = %q, %v; want %q, %v", tt.path, f.Name, ok, tt.want, tt.ok)
		}
	}
}

func TestParseForm(t *testing.T) {
	paris := time.FixedZone("UTC+1", 3600)
	tests := []struct {
		name       string
		form       url.Values
		supervisor bool
		check      func(p parsed) bool
	}{
		{"local time in the configured zone", url.Values{"work.found_at": {"2026-03-02T09:00"}}, false,
			func(p parsed) bool { return p.Doc.Work.FoundAt == "2026-03-02T08:00:00Z" }},
		{"a time that is not one", url.Values{"work.found_at": {"yesterday"}}, false,
			func(p parsed) bool { return len(p.Errors) == 1 && p.Errors[0].Field == "work.found_at" }},
		{"an unticked box is an answer", url.Values{}, false,
			func(p parsed) bool { return !p.Doc.Consent.ToShareAbroad && !p.Doc.Child.AgeEstimated }},
		{"one guardian from flat fields", url.Values{"family.guardians.relation": {"mother"}}, false,
			func(p parsed) bool {
				return len(p.Doc.Family.Guardians) == 1 && p.Doc.Family.Guardians[0].Relation == "mother"
			}},
		{"information withheld, and why", url.Values{"consent.withheld.what": {"the uncle's name"}, "consent.withheld.why": {"fear"}}, false,
			func(p parsed) bool {
				w := p.Doc.Consent.Withheld
				return len(w) == 1 && w[0].What == "the uncle's name" && w[0].Why == "fear"
			}},
		{"no guardian when none is given", url.Values{"family.tracing_status": {"found"}}, false,
			func(p parsed) bool { return len(p.Doc.Family.Guardians) == 0 }},
		{"an override from someone who is no supervisor is dropped", url.Values{"consent.override.reason": {"x"}}, false,
			func(p parsed) bool { return p.Doc.Consent.Override == nil }},
		{"a supervisor's override", url.Values{"consent.override.reason": {"x"}}, true,
			func(p parsed) bool { return p.Doc.Consent.Override != nil && p.Doc.Consent.Override.Reason == "x" }},
		{"lines are a list, blank lines dropped", url.Values{"best_interests.urgent_protection_concerns": {"a\r\n\r\n b \n"}}, false,
			func(p parsed) bool {
				c := p.Doc.BestInterests.UrgentProtectionConcerns
				return len(c) == 2 && c[0] == "a" && c[1] == "b"
			}},
		{"unknown parameters are ignored", url.Values{"child.secret": {"x"}, "sending_officer.user_id": {"u"}}, false,
			func(p parsed) bool { return p.Doc.SendingOfficer == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseForm(tt.form, paris, tt.supervisor)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(p) {
				t.Errorf("parsed %+v, errors %v", p.Doc, p.Errors)
			}
		})
	}
}

func TestDelivered(t *testing.T) {
	ref := func(s cases.Status, h ...store.Event) workflow.Referral {
		return workflow.Referral{Referral: store.Referral{Status: s}, History: h}
	}
	tests := []struct {
		name string
		ref  workflow.Referral
		want bool
	}{
		{"sent, no receipt", ref(cases.StatusSent, store.Event{ToStatus: cases.StatusSent, ActorSide: cases.Sender}), false},
		{"delivered", ref(cases.StatusDelivered), true},
		{"accepted", ref(cases.StatusAccepted), true},
		{"withdrawn after the receipt", ref(cases.StatusWithdrawn, store.Event{ToStatus: cases.StatusDelivered}), true},
		{"withdrawn before any receipt", ref(cases.StatusWithdrawn, store.Event{ToStatus: cases.StatusSent}), false},
		{"cancelled by the recipient", ref(cases.StatusCancelled, store.Event{ToStatus: cases.StatusCancelled, ActorSide: cases.Recipient}), true},
	}
	for _, tt := range tests {
		if got := delivered(tt.ref); got != tt.want {
			t.Errorf("%s: delivered = %v, want %v", tt.name, got, tt.want)
		}
	}
}
