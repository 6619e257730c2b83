package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// ContentTypeProblem is the media type of error responses (RFC 9457).
const ContentTypeProblem = "application/problem+json"

// ContentTypeJSON is the media type of successful responses.
const ContentTypeJSON = "application/json"

// Problem is an RFC 9457 problem document. Errors is always present (possibly
// empty) so that clients can read it without checking for its existence.
type Problem struct {
	Type      string                `json:"type"`
	Title     string                `json:"title"`
	Status    int                   `json:"status"`
	Detail    string                `json:"detail,omitempty"`
	Errors    []corridor.FieldError `json:"errors"`
	RequestID string                `json:"request_id,omitempty"`
}

// Sentinel causes that refine KindInvalid into the HTTP status that fits the
// request best. DecodeJSON wraps them; handlers rarely need them directly.
var (
	// ErrMalformedBody marks a body that is not one well-formed JSON value (400).
	ErrMalformedBody = errors.New("malformed request body")
	// ErrUnsupportedMediaType marks a body of the wrong content type (415).
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	// ErrBodyTooLarge marks a body over the size limit (413).
	ErrBodyTooLarge = errors.New("request body too large")
)

// problemType is one row of the error table.
type problemType struct {
	status int
	slug   string
	title  string
}

// problemFor is the one table from errors to HTTP problems. The KindInvalid
// rows are refined by cause: a body that cannot be parsed is a 400, a body
// that parses but breaks the rules is a 422, so that clients can tell "fix
// your encoder" from "fix these fields".
func problemFor(err error) problemType {
	kind := corridor.KindOf(err)
	if kind == corridor.KindInternal && dependencyDown(err) {
		kind = corridor.KindUnavailable
	}
	switch kind {
	case corridor.KindInvalid:
		switch {
		case errors.Is(err, ErrMalformedBody):
			return problemType{http.StatusBadRequest, "malformed", "Malformed request"}
		case errors.Is(err, ErrUnsupportedMediaType):
			return problemType{http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type"}
		case errors.Is(err, ErrBodyTooLarge):
			return problemType{http.StatusRequestEntityTooLarge, "too-large", "Request body too large"}
		default:
			return problemType{http.StatusUnprocessableEntity, "invalid", "Invalid request"}
		}
	case corridor.KindUnauthorized:
		return problemType{http.StatusUnauthorized, "unauthorized", "Unauthorized"}
	case corridor.KindForbidden:
		return problemType{http.StatusForbidden, "forbidden", "Forbidden"}
	case corridor.KindNotFound:
		return problemType{http.StatusNotFound, "not-found", "Not found"}
	case corridor.KindConflict:
		return problemType{http.StatusConflict, "conflict", "Conflict"}
	case corridor.KindUnavailable:
		return problemType{http.StatusServiceUnavailable, "unavailable", "Service unavailable"}
	default:
		return problemType{http.StatusInternalServerError, "internal", "Internal error"}
	}
}

// dependencyDown reports whether err says a dependency could not be reached
// (the database refused or dropped the connection, or is shutting down)
// rather than that this service has a bug: the client should try again
// later, and nothing was half done, since every change commits whole.
func dependencyDown(err error) bool {
	var connect *pgconn.ConnectError
	var pg *pgconn.PgError
	var op *net.OpError
	switch {
	case errors.As(err, &connect), errors.As(err, &op):
		return true
	case errors.As(err, &pg):
		// Class 08 is a connection exception; 57P01 to 57P03 are an
		// administrator's or a crash's shutdown and "cannot connect now".
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03"
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// problemTypeURI names a problem type. A URN, because the project owns no
// domain to host dereferenceable pages; docs/api lists them.
func problemTypeURI(slug string) string { return "urn:corridor:problem:" + slug }

// StatusFor returns the HTTP status Error would answer err with.
func StatusFor(err error) int { return problemFor(err).status }

// ProblemFor builds the problem document for err. An internal error gets a
// generic detail whatever its message says: its cause is for the log only.
func ProblemFor(err error) Problem {
	pt := problemFor(err)
	p := Problem{
		Type:   problemTypeURI(pt.slug),
		Title:  pt.title,
		Status: pt.status,
		Errors: []corridor.FieldError{},
	}
	if pt.status == http.StatusInternalServerError {
		p.Detail = "An unexpected error occurred. Quote the request id when reporting it."
		return p
	}
	var ce *corridor.Error
	if pt.status == http.StatusServiceUnavailable && (!errors.As(err, &ce) || ce.Kind != corridor.KindUnavailable) {
		// A driver's error names hosts and users: not for the client.
		p.Detail = "A service this request needs is unavailable; try again shortly."
		return p
	}
	if errors.As(err, &ce) {
		p.Detail = ce.Message
		if len(ce.Fields) > 0 {
			p.Errors = ce.Fields
		}
	}
	return p
}

// Error writes err as a problem+json response. Internal and unavailable
// errors are logged with their cause chain and the request id; client errors
// are not logged (the access log already records their status), so a client
// cannot fill the log. The request body is never logged.
func Error(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	p := ProblemFor(err)
	p.RequestID = RequestIDFromContext(r.Context())
	if logger != nil && p.Status >= 500 {
		level := slog.LevelError
		if p.Status == http.StatusServiceUnavailable {
			level = slog.LevelWarn
		}
		logger.LogAttrs(r.Context(), level, "request failed",
			slog.String("request_id", p.RequestID),
			slog.String("method", r.Method),
			slog.String("route", routeLabel(r)),
			slog.Int("status", p.Status),
			slog.String("error", err.Error()))
	}
	WriteProblem(w, p)
}

// WriteProblem writes p with its status and the problem+json content type.
func WriteProblem(w http.ResponseWriter, p Problem) {
	if p.Errors == nil {
		p.Errors = []corridor.FieldError{}
	}
	body, err := json.Marshal(p)
	if err != nil {
		// A Problem is plain strings and ints; this cannot happen, but the
		// client still deserves a status.
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ContentTypeProblem)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}

// WriteJSON writes v as JSON with the given status. It encodes before writing
// anything, so an unencodable value becomes a clean 500 problem instead of a
// truncated 200; the returned error says so (or that the client went away).
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		WriteProblem(w, ProblemFor(err))
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", ContentTypeJSON)
	w.WriteHeader(status)
	if _, err := w.Write(append(body, '\n')); err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}
