// Package webuitest measures pages in tests: the bytes a browser downloads,
// compressed, for a page and the style sheets and scripts it references.
package webuitest

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// Budget is the most a page's critical resources (its HTML, style sheets and
// scripts) may weigh over the wire, compressed: 130 KB.
const Budget = 130_000

// resourceRef finds the style sheets and scripts a page loads.
var resourceRef = regexp.MustCompile(`<(?:link[^>]*rel="(?:stylesheet|modulepreload|preload)"[^>]*href|script[^>]*src)="([^"]+)"`)

// Weight requests req from h as a browser accepting gzip would, then every
// local style sheet and script the page references, and returns the bytes
// transferred in total. It fails t when any of them does not answer 200 or a
// resource is on another host.
func Weight(t testing.TB, h http.Handler, req *http.Request) int {
	t.Helper()
	req.Header.Set("Accept-Encoding", "gzip")
	page := get(t, h, req)
	html := page.Body.Bytes()
	if page.Header().Get("Content-Encoding") == "gzip" {
		html = gunzip(t, page)
	}
	total := page.Body.Len()
	for _, m := range resourceRef.FindAllSubmatch(html, -1) {
		ref := string(m[1])
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			t.Errorf("%s references %s, not on this site", req.URL.Path, ref)
			continue
		}
		sub := httptest.NewRequestWithContext(req.Context(), http.MethodGet, ref, nil)
		sub.Header.Set("Accept-Encoding", "gzip")
		for _, c := range req.Cookies() {
			sub.AddCookie(c)
		}
		total += get(t, h, sub).Body.Len()
	}
	return total
}

func get(t testing.TB, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", req.URL, rec.Code)
	}
	return rec
}

func gunzip(t testing.TB, rec *httptest.ResponseRecorder) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("gunzip %s: %v", rec.Header().Get("Content-Type"), err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return b
}
