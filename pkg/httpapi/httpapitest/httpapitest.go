// Package httpapitest checks, over real HTTP, that a service answers as
// pkg/httpapi promises.
package httpapitest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// ProblemCase is a request a service must answer with a problem document.
type ProblemCase struct {
	Method, Path string
	Status       int
	Allow        string // the Allow header of a 405; "" for none
}

// CheckProblems sends each request to the server at baseURL without a
// token (a wrong path or method is answered before authentication) and
// checks that the answer is an RFC 9457 problem document of the status
// wanted, with the Allow header wanted.
func CheckProblems(t testing.TB, baseURL string, cases []ProblemCase) {
	t.Helper()
	for _, pc := range cases {
		req, err := http.NewRequestWithContext(t.Context(), pc.Method, baseURL+pc.Path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Type   string `json:"type"`
			Status int    `json:"status"`
		}
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != pc.Status || err != nil || p.Status != pc.Status || !strings.HasPrefix(p.Type, "urn:corridor:problem:") {
			t.Errorf("%s %s = %d %+v (%v), want a %d problem document", pc.Method, pc.Path, resp.StatusCode, p, err, pc.Status)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s %s: Content-Type %q, want application/problem+json", pc.Method, pc.Path, ct)
		}
		if got := resp.Header.Get("Allow"); got != pc.Allow {
			t.Errorf("%s %s: Allow %q, want %q", pc.Method, pc.Path, got, pc.Allow)
		}
	}
}
