package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestCreateRefusesBadReferrals sends broken variants of the example: each
// must be refused with the right status, naming the field at fault, and
// leave nothing behind.
func TestCreateRefusesBadReferrals(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)

	// edit returns the example with one change applied.
	edit := func(changes ...any) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			doc := exampleDoc(t)
			for i := 0; i < len(changes); i += 2 {
				set(t, doc, changes[i].(string), changes[i+1])
			}
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	raw := func(s string) func(*testing.T) []byte { return func(*testing.T) []byte { return []byte(s) } }
	del := any(nil)

	tests := []struct {
		name        string
		user        string // ci-inspector when empty
		contentType string // application/json when empty
		body        func(t *testing.T) []byte
		status      int
		fields      []string // each must be named
	}{
		{name: "wrong type", body: edit("child.age_years", "13"), status: 422, fields: []string{"child.age_years"}},
		{name: "number too large", body: func(t *testing.T) []byte {
			return bytes.Replace(exampleBytes(t), []byte(`"age_years": 13`), []byte(`"age_years": 1e30`), 1)
		}, status: 422, fields: []string{"child.age_years"}},
		{name: "object for string", body: edit("reason", map[string]any{"a": 1}), status: 422, fields: []string{"reason"}},
		{name: "unknown field", body: edit("child.nickname", "x"), status: 422, fields: []string{"child.nickname"}},
		{name: "unknown top-level field", body: edit("password", "x"), status: 422, fields: []string{"password"}},
		{name: "not json", body: raw("{not json"), status: 400},
		{name: "array", body: raw("[]"), status: 422},
		{name: "two values", body: raw("{} {}"), status: 400},
		{name: "empty body", body: raw(""), status: 400},
		{name: "huge body", body: func(t *testing.T) []byte {
			return edit("narrative", strings.Repeat("x", 2<<20))(t)
		}, status: 413},
		{name: "wrong content type", contentType: "text/plain", body: edit(), status: 415},
		{name: "empty object", body: raw("{}"), status: 422, fields: []string{
			"kind", "recipient.member", "recipient.agency", "reason", "urgency", "requested_services",
			"child.sex", "child.name.given_names", "child.age_years", "family.tracing_status",
			"best_interests.risk_level", "best_interests.assessment_status", "work.place", "work.found_at",
			"work.sector.section", "work.school_attendance", "consent.given_by", "consent.to_share_abroad"}},
		{name: "bad kind", body: edit("kind", "transfer"), status: 422, fields: []string{"kind"}},
		{name: "bad urgency", body: edit("urgency", "now"), status: 422, fields: []string{"urgency"}},
		{name: "bad respond_by", body: edit("respond_by", "15/03/2026"), status: 422, fields: []string{"respond_by"}},
		{name: "no requested services", body: edit("requested_services", []any{}), status: 422, fields: []string{"requested_services"}},
		{name: "service not offered", body: edit("requested_services", []any{"family_tracing", "flying_lessons"}), status: 422, fields: []string{"requested_services[1]"}},
		{name: "duplicate services", body: edit("requested_services", []any{"family_tracing", "family_tracing"}), status: 422, fields: []string{"requested_services"}},
		{name: "recipient is own member", body: edit("recipient.member", "CI", "recipient.agency", "CI-DPE"), status: 422, fields: []string{"recipient.member"}},
		{name: "recipient is the coordinator", body: edit("recipient.member", "COORD", "recipient.agency", "ECOWAS-CLU"), status: 422, fields: []string{"recipient.member"}},
		{name: "recipient agency unknown", body: edit("recipient.agency", "BF-XYZ"), status: 422, fields: []string{"recipient.agency"}},
		{name: "recipient agency of another member", body: edit("recipient.agency", "CI-DPE"), status: 422, fields: []string{"recipient.agency"}},
		{name: "recipient member unknown", body: edit("recipient.member", "ML", "recipient.agency", "ML-DPE"), status: 422, fields: []string{"recipient.agency"}},
		{name: "officer user id from body", body: edit("sending_officer.user_id", "someone-else"), status: 422, fields: []string{"sending_officer.user_id"}},
		{name: "bad phone", body: edit("sending_officer.contact.phone", "0102030405"), status: 422, fields: []string{"sending_officer.contact.phone"}},
		{name: "bad sex", body: edit("child.sex", "boy"), status: 422, fields: []string{"child.sex"}},
		{name: "no name", body: edit("child.name", map[string]any{}), status: 422, fields: []string{"child.name.given_names"}},
		{name: "no age", body: edit("child.age_years", del), status: 422, fields: []string{"child.age_years"}},
		{name: "negative age", body: edit("child.age_years", -1), status: 422, fields: []string{"child.age_years"}},
		{name: "birth date malformed", body: edit("child.date_of_birth", "2013-13-40"), status: 422, fields: []string{"child.date_of_birth"}},
		{name: "birth date in the future", body: edit("child.date_of_birth", "2999-01-01"), status: 422, fields: []string{"child.date_of_birth"}},
		{name: "estimated age without method", body: edit("child.age_assessment_method", del), status: 422, fields: []string{"child.age_assessment_method"}},
		{name: "bad age method", body: edit("child.age_assessment_method", "guess"), status: 422, fields: []string{"child.age_assessment_method"}},
		{name: "bad nationality", body: edit("child.nationalities", []any{"BF", "XX"}), status: 422, fields: []string{"child.nationalities[1]"}},
		{name: "bad language", body: edit("child.languages", []any{"mos", "not a tag"}), status: 422, fields: []string{"child.languages[1]"}},
		{name: "bad document holder", body: edit("child.identity_documents.0.held_by", "cousin"), status: 422, fields: []string{"child.identity_documents[0].held_by"}},
		{name: "bad guardian place", body: edit("family.guardians.0.place", "BF-XXX"), status: 422, fields: []string{"family.guardians[0].place"}},
		{name: "bad relation", body: edit("family.guardians.0.relation", "neighbour"), status: 422, fields: []string{"family.guardians[0].relation"}},
		{name: "bad tracing status", body: edit("family.tracing_status", "lost"), status: 422, fields: []string{"family.tracing_status"}},
		{name: "no consent at all", body: edit("consent", map[string]any{}), status: 422, fields: []string{"consent.given_by", "consent.to_share_abroad"}},
		{name: "consent not to share abroad", body: edit("consent.to_share_abroad", false), status: 422, fields: []string{"consent.to_share_abroad"}},
		{name: "consent from someone else", body: edit("consent.given_by", "other", "consent.given_by_other", "employer"), status: 422, fields: []string{"consent.given_by"}},
		{name: "consent by other unnamed", body: edit("consent.given_by", "other"), status: 422, fields: []string{"consent.given_by_other"}},
		{name: "bad consent giver", body: edit("consent.given_by", "teacher"), status: 422, fields: []string{"consent.given_by"}},
		{name: "override by an inspector", body: edit("consent.override", map[string]any{"reason": "urgent"}), status: 403, fields: []string{"consent.override"}},
		{name: "override naming its author", user: "ci-supervisor", body: edit("consent.override", map[string]any{"reason": "urgent", "by": "someone"}), status: 422, fields: []string{"consent.override.by"}},
		{name: "override without reason", user: "ci-supervisor", body: edit("consent.given_by", del, "consent.to_share_abroad", false, "consent.override", map[string]any{"reason": ""}), status: 422, fields: []string{"consent.override.reason"}},
		{name: "bad risk level", body: edit("best_interests.risk_level", "extreme"), status: 422, fields: []string{"best_interests.risk_level"}},
		{name: "bad place", body: edit("work.place", "CI-XX"), status: 422, fields: []string{"work.place"}},
		{name: "country for place", body: edit("work.place", "CI"), status: 422, fields: []string{"work.place"}},
		{name: "bad coordinates", body: edit("work.coordinates.latitude", 200), status: 422, fields: []string{"work.coordinates.latitude"}},
		{name: "found_at not a time", body: edit("work.found_at", "yesterday"), status: 422, fields: []string{"work.found_at"}},
		{name: "found in the future", body: edit("work.found_at", "2999-01-01T00:00:00Z"), status: 422, fields: []string{"work.found_at"}},
		{name: "bad section", body: edit("work.sector.section", "Z"), status: 422, fields: []string{"work.sector.section"}},
		{name: "division of another section", body: edit("work.sector.division", "10"), status: 422, fields: []string{"work.sector.division"}},
		{name: "bad hours", body: edit("work.hours_per_week", 200), status: 422, fields: []string{"work.hours_per_week"}},
		{name: "bad hazard", body: edit("work.hazards", []any{"r190_3c", "machetes"}), status: 422, fields: []string{"work.hazards[1]"}},
		{name: "bad c182 category", body: edit("work.c182_category", "d"), status: 422, fields: []string{"work.c182_category"}},
		{name: "c182 single contradicts list", body: edit("work.c182_categories", []any{"c182_3a"}), status: 422, fields: []string{"work.c182_category"}},
		{name: "class of another division", body: edit("work.sector.class", "0311"), status: 422, fields: []string{"work.sector.class"}},
		{name: "protection concern in the body", body: edit("interim_care", map[string]any{"type": "detention", "organisation": "Demo", "protection_concern": true}), status: 422, fields: []string{"interim_care.protection_concern"}},
		{name: "bad method of control", body: edit("trafficking.methods_of_control", []any{"DebtBondage"}), status: 422, fields: []string{"trafficking.methods_of_control[0]"}},
		{name: "bad case system", body: edit("national_case_ids", []any{map[string]any{"system": "excel", "id": "1"}}), status: 422, fields: []string{"national_case_ids[0].system"}},
		{name: "bad school attendance", body: edit("work.school_attendance", "sometimes"), status: 422, fields: []string{"work.school_attendance"}},
		{name: "bad trafficking status", body: edit("trafficking.status", "maybe"), status: 422, fields: []string{"trafficking.status"}},
		{name: "bad forced labour indicator", body: edit("trafficking.forced_labour_indicators", []any{"deception", "hunger"}), status: 422, fields: []string{"trafficking.forced_labour_indicators[1]"}},
		{name: "NUL in narrative", body: edit("narrative", "a\x00b"), status: 422, fields: []string{"narrative"}},
		{name: "NUL in a name", body: edit("child.name.family_names", "\x00"), status: 422, fields: []string{"child.name.family_names"}},
		{name: "narrative too long", body: edit("narrative", strings.Repeat("é", 20001)), status: 422, fields: []string{"narrative"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			user := tc.user
			if user == "" {
				user = "ci-inspector"
			}
			req, err := http.NewRequest(http.MethodPost, ci.srv.URL+"/api/v1/referrals", bytes.NewReader(tc.body(t)))
			if err != nil {
				t.Fatal(err)
			}
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+ci.token(user))
			resp, err := ci.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r := readResponse(t, resp)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			p := r.problem(t)
			named := map[string]bool{}
			for _, f := range p.Errors {
				named[f.Field] = true
				if f.Message == "" {
					t.Errorf("field %s has no message", f.Field)
				}
			}
			for _, f := range tc.fields {
				if !named[f] {
					t.Errorf("field %q not named; errors: %+v", f, p.Errors)
				}
			}
		})
	}
	for _, table := range []string{"referrals", "referral_history", "exchange_outbox"} {
		if n := ci.count(table); n != 0 {
			t.Errorf("%s has %d rows after refused requests, want 0", table, n)
		}
	}
}
