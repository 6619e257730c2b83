package api_test

import (
	"net/http"
	"testing"
)

func TestListShowsOnlyTheCallersAgency(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	first := ci.create("ci-inspector")["id"].(string)
	second := ci.create("ci-inspector")["id"].(string)
	// A referral from another CI agency.
	fromDPE := ci.create("ci-caseworker")["id"].(string)

	list := func(user, direction string) []string {
		t.Helper()
		r := ci.do(http.MethodGet, "/api/v1/referrals?direction="+direction, ci.token(user), nil)
		if r.status != http.StatusOK {
			t.Fatalf("list %s as %s: %d %s", direction, user, r.status, r.body)
		}
		var ids []string
		for _, it := range r.json(t)["items"].([]any) {
			item := it.(map[string]any)
			ids = append(ids, item["id"].(string))
			if item["child_name"] != "Demo Issa Exemple" || item["direction"] != direction ||
				item["recipient"].(map[string]any)["agency"] != "BF-DPE" {
				t.Errorf("item = %v", item)
			}
		}
		return ids
	}
	tests := []struct {
		user, direction string
		want            []string
	}{
		{"ci-inspector", "outgoing", []string{second, first}}, // newest first
		{"ci-inspector", "incoming", nil},
		{"ci-caseworker", "outgoing", []string{fromDPE}},
		{"ci-supervisor", "outgoing", []string{fromDPE}}, // same agency as the caseworker
		{"ci-caseworker", "incoming", nil},
	}
	for _, tc := range tests {
		got := list(tc.user, tc.direction)
		if len(got) != len(tc.want) {
			t.Errorf("%s %s: %v, want %v", tc.user, tc.direction, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s %s: %v, want %v", tc.user, tc.direction, got, tc.want)
			}
		}
	}

	// One referral: visible to its agency only; others are refused (403),
	// and a referral that does not exist is 404.
	for _, tc := range []struct {
		user, id string
		status   int
	}{
		{"ci-inspector", first, http.StatusOK},
		{"ci-caseworker", first, http.StatusForbidden},
		{"ci-inspector", fromDPE, http.StatusForbidden},
		{"ci-admin", first, http.StatusForbidden},
		{"ci-auditor", first, http.StatusForbidden},
		{"ci-admin", "ref-doesnotexist", http.StatusForbidden},
		{"ci-inspector", "ref-doesnotexist", http.StatusNotFound},
	} {
		r := ci.do(http.MethodGet, "/api/v1/referrals/"+tc.id, ci.token(tc.user), nil)
		if r.status != tc.status {
			t.Errorf("GET %s as %s: %d, want %d", tc.id, tc.user, r.status, tc.status)
		}
		if tc.status != http.StatusOK {
			r.problem(t)
		}
	}
	// Acting on another agency's referral is refused the same way.
	if r := ci.do(http.MethodPost, "/api/v1/referrals/"+first+"/withdraw", ci.token("ci-caseworker"), nil); r.status != http.StatusForbidden {
		t.Errorf("withdraw another agency's referral: %d %s", r.status, r.body)
	}
}

func TestListNeedsADirection(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	for _, q := range []string{"", "?direction=", "?direction=sideways", "?direction=OUTGOING"} {
		r := ci.do(http.MethodGet, "/api/v1/referrals"+q, ci.token("ci-inspector"), nil)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%q: status %d, want 422", q, r.status)
			continue
		}
		p := r.problem(t)
		if len(p.Errors) != 1 || p.Errors[0].Field != "direction" {
			t.Errorf("%q: errors %+v, want one naming direction", q, p.Errors)
		}
	}
}
