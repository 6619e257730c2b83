// Package audithttp records HTTP requests in the audit trail (package
// audit): every request a wrapped handler answers, with who made it (the
// authenticated Principal, or nobody for a 401), the route pattern, the
// object the route names and the outcome its status means. The casework
// API wraps each of its routes; a web UI wraps its pages the same way.
//
// The entry is appended when the handler writes its status, before the
// response leaves: a client that has its answer can find it in the trail.
// When the entry cannot be written, a successful answer is replaced by 503
// (what a person read or did is never unrecorded and shown), and a refusal
// stays a refusal.
package audithttp

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
)

// Config is what Middleware needs.
type Config struct {
	DB     audit.Beginner
	Logger *slog.Logger
	// Object returns what a routed request is about; DefaultObject when
	// nil. It must return identifiers only, never personal data (never
	// the query string: a name search is personal data).
	Object func(r *http.Request, h http.Header) audit.Object
}

// DefaultObject names the referral of a route's {id} (or of the Location
// a created referral is answered with) and the message of its
// {message_id}.
func DefaultObject(r *http.Request, h http.Header) audit.Object {
	if id := r.PathValue("id"); id != "" {
		return audit.Object{Type: audit.ObjectReferral, ID: id}
	}
	if id := r.PathValue("message_id"); id != "" {
		return audit.Object{Type: audit.ObjectMessage, ID: id}
	}
	if loc := h.Get("Location"); strings.Contains(loc, "/referrals/") {
		return audit.Object{Type: audit.ObjectReferral, ID: path.Base(loc)}
	}
	return audit.Object{}
}

// Outcome is what an HTTP status means in the trail: below 400 allowed,
// 401 and 403 denied, any other error an error.
func Outcome(status int) audit.Outcome {
	switch {
	case status < 400:
		return audit.Allowed
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return audit.Denied
	default:
		return audit.Failed
	}
}

// Middleware returns a wrapper that records each request next answers.
// Put Identify inside the authentication (auth.RequireAuth(v,
// Identify(h))) so that the entry names the caller.
func Middleware(cfg Config) func(http.Handler) http.Handler {
	object := cfg.Object
	if object == nil {
		object = DefaultObject
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := &slot{}
			r = r.WithContext(context.WithValue(r.Context(), slotKey{}, s))
			rw := &recorder{ResponseWriter: w, requestID: httpapi.RequestIDFromContext(r.Context()), record: func(status int, h http.Header) error {
				outcome := Outcome(status)
				if s.actor.ID == "" && outcome == audit.Allowed {
					// Nobody signed in (a page's redirect to the login):
					// nothing was shown or done.
					outcome = audit.Denied
				}
				rec := audit.Record{
					Actor:   s.actor,
					Action:  r.Pattern,
					Outcome: outcome,
					Object:  object(r, h),
					Detail:  map[string]string{"status": strconv.Itoa(status)},
				}
				if rec.Action == "" {
					rec.Action = r.Method + " (no route)"
				}
				if id := httpapi.RequestIDFromContext(r.Context()); id != "" {
					rec.Detail["request_id"] = id
				}
				_, err := audit.Append(context.WithoutCancel(r.Context()), cfg.DB, rec)
				if err != nil {
					logger.LogAttrs(r.Context(), slog.LevelError, "audit entry not written",
						slog.String("request_id", httpapi.RequestIDFromContext(r.Context())),
						slog.String("route", rec.Action), slog.Int("status", status), slog.String("error", err.Error()))
				}
				return err
			}}
			next.ServeHTTP(rw, r)
			rw.finish()
		})
	}
}

// Identify records the Principal of the request's context (auth) as the
// actor of its audit entry, and puts it in the context for the entries
// the handler's own changes make (audit.WithActor).
func Identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		a := Actor(p)
		if s, ok := r.Context().Value(slotKey{}).(*slot); ok {
			s.actor = a
		}
		next.ServeHTTP(w, r.WithContext(audit.WithActor(r.Context(), a)))
	})
}

// Actor is the audit actor of p: subject@issuer with its roles.
func Actor(p auth.Principal) audit.Actor {
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	return audit.Person(p.Subject, p.Issuer, roles)
}

type slotKey struct{}

// slot carries the actor from Identify, deep in the handler chain, back
// to the middleware around it.
type slot struct{ actor audit.Actor }

// recorder appends the entry when the status is written.
type recorder struct {
	http.ResponseWriter
	record    func(status int, h http.Header) error
	requestID string
	written   bool
	discard   bool // the entry failed: the handler's answer is replaced
}

func (rw *recorder) WriteHeader(status int) {
	if rw.written {
		rw.ResponseWriter.WriteHeader(status)
		return
	}
	rw.written = true
	if err := rw.record(status, rw.Header()); err != nil && status < 400 {
		rw.discard = true
		h := rw.Header()
		for k := range h {
			if k != httpapi.RequestIDHeader {
				delete(h, k)
			}
		}
		p := httpapi.ProblemFor(&corridor.Error{
			Kind: corridor.KindUnavailable, Message: "The audit trail cannot be written; try again later."})
		p.RequestID = rw.requestID
		httpapi.WriteProblem(rw.ResponseWriter, p)
		return
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *recorder) Write(b []byte) (int, error) {
	if !rw.written {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.discard {
		return len(b), nil
	}
	return rw.ResponseWriter.Write(b)
}

// finish records a handler that wrote nothing (an implicit 200).
func (rw *recorder) finish() {
	if !rw.written {
		rw.WriteHeader(http.StatusOK)
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }
