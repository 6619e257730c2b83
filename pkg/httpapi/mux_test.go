package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestMux(t *testing.T) {
	t.Parallel()
	mux := NewMux(slog.New(slog.DiscardHandler))
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	mux.HandleFunc("GET /api/v1/cases", ok)
	mux.HandleFunc("POST /api/v1/cases", ok)
	mux.HandleFunc("GET /api/v1/cases/{case_ref}", ok)
	mux.HandleFunc("/any", ok)
	h := Middleware(slog.New(slog.DiscardHandler), nil, mux)

	tests := []struct {
		method, path string
		status       int
		allow        string // the Allow header of a 405
	}{
		{http.MethodGet, "/api/v1/cases", http.StatusNoContent, ""},
		{http.MethodPost, "/api/v1/cases", http.StatusNoContent, ""},
		{http.MethodHead, "/api/v1/cases/C-1", http.StatusNoContent, ""},
		{http.MethodDelete, "/api/v1/cases", http.StatusMethodNotAllowed, "GET, POST"},
		{http.MethodPut, "/api/v1/cases/C-1", http.StatusMethodNotAllowed, "GET"},
		{http.MethodGet, "/api/v1/nothing", http.StatusNotFound, ""},
		{http.MethodPost, "/", http.StatusNotFound, ""},
		{http.MethodGet, "/api/v1/cases/C-1/more", http.StatusNotFound, ""},
		{http.MethodPatch, "/any", http.StatusNoContent, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.status {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, rec.Code, tt.status)
			continue
		}
		if got := rec.Header().Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
		if tt.status < 400 {
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != ContentTypeProblem {
			t.Errorf("%s %s: Content-Type %q, want %s", tt.method, tt.path, ct, ContentTypeProblem)
		}
		var p Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tt.status || p.Type == "" || p.RequestID == "" {
			t.Errorf("%s %s: problem %+v (%v), want status %d with a type and request id", tt.method, tt.path, p, err, tt.status)
		}
	}
}
