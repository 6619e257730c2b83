package api_test

import (
	"net/http"
	"slices"
	"testing"
)

func TestAgencies(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	tests := []struct {
		query string
		want  []string // member/id, in directory order
	}{
		{"", []string{"BF/BF-DGT", "BF/BF-DPE", "BF/BF-REFUGE", "CI/CI-DGT", "CI/CI-DPE"}},
		{"?member=BF", []string{"BF/BF-DGT", "BF/BF-DPE", "BF/BF-REFUGE"}},
		{"?service=shelter", []string{"BF/BF-REFUGE"}},
		{"?member=BF&service=family_tracing", []string{"BF/BF-DPE", "BF/BF-REFUGE"}},
		{"?member=CI&service=shelter", nil},
		{"?member=ML", nil}, // a country that is not a member
	}
	for _, tc := range tests {
		r := ci.do(http.MethodGet, "/api/v1/agencies"+tc.query, ci.token("ci-inspector"), nil)
		if r.status != http.StatusOK {
			t.Fatalf("%q: %d %s", tc.query, r.status, r.body)
		}
		var got []string
		for _, it := range r.json(t)["items"].([]any) {
			a := it.(map[string]any)
			got = append(got, a["member"].(string)+"/"+a["id"].(string))
			if a["name"] == "" || a["member_name"] == "" {
				t.Errorf("%q: agency %v without a name", tc.query, a)
			}
			if _, ok := a["services"].([]any); !ok {
				t.Errorf("%q: agency %v: services not a list", tc.query, a)
			}
			if _, ok := a["areas"].([]any); !ok {
				t.Errorf("%q: agency %v: areas not a list", tc.query, a)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.query, got, tc.want)
		}
	}

	// One agency in full.
	r := ci.do(http.MethodGet, "/api/v1/agencies?service=shelter", ci.token("ci-caseworker"), nil)
	items := r.json(t)["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("items = %v", items)
	}
	refuge := items[0].(map[string]any)
	if s := refuge["services"].([]any); len(s) != 4 || s[0] != "shelter" {
		t.Errorf("services = %v", s)
	}
	if a := refuge["areas"].([]any); len(a) != 1 || a[0] != "BF-03" {
		t.Errorf("areas = %v", a)
	}
}

func TestAgenciesRefusesBadQueries(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	tests := []struct {
		query string
		field string
	}{
		{"?member=bf", "member"},
		{"?member=BFA", "member"},
		{"?member=", "member"},
		{"?member=COORD", "member"},
		{"?service=flying_lessons", "service"},
		{"?service=", "service"},
		{"?service=Shelter", "service"},
	}
	for _, tc := range tests {
		r := ci.do(http.MethodGet, "/api/v1/agencies"+tc.query, ci.token("ci-inspector"), nil)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%q: %d, want 422", tc.query, r.status)
			continue
		}
		if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
			t.Errorf("%q: errors %+v, want one naming %s", tc.query, p.Errors, tc.field)
		}
	}
}

func TestAgenciesNeedsAuthentication(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	if r := ci.do(http.MethodGet, "/api/v1/agencies", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", r.status)
	}
	if r := ci.do(http.MethodGet, "/api/v1/agencies", ci.token("foreigner"), nil); r.status != http.StatusUnauthorized && r.status != http.StatusForbidden {
		t.Errorf("another country's user: %d, want 401 or 403", r.status)
	}
}
