package corridor

import (
	"errors"
	"fmt"
)

// ErrorKind classifies an error for the boundary that reports it; the HTTP
// layer maps each kind to one status code in one table.
type ErrorKind string

// The error kinds. They describe what the caller can do about the error, not
// where it happened.
const (
	KindInvalid      ErrorKind = "invalid"      // the request is malformed or breaks a rule
	KindUnauthorized ErrorKind = "unauthorized" // no valid credentials
	KindForbidden    ErrorKind = "forbidden"    // valid credentials, not allowed
	KindNotFound     ErrorKind = "not_found"    // nothing there, or nothing the caller may see
	KindConflict     ErrorKind = "conflict"     // the resource's state does not allow it now
	KindUnavailable  ErrorKind = "unavailable"  // a dependency is down; try again later
	KindInternal     ErrorKind = "internal"     // a bug or an unexpected failure
)

// FieldError names one bad input field. Field is a JSON path into the request
// body (for example "child.birth_date" or "hazards[2]").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Rule and Param are the validation tag that failed and its parameter
	// ("max", "200"), when a tag did; a page translates the message by them.
	// They stay out of problem+json, whose message says the same in English.
	Rule  string `json:"-"`
	Param string `json:"-"`
}

// Error is the domain error. Message is safe to show to the caller and never
// carries personal data; wrap the cause for logs instead.
type Error struct {
	Kind    ErrorKind
	Message string
	Fields  []FieldError
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted message.
func Errorf(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a KindInvalid error naming the bad fields.
func Invalid(message string, fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Message: message, Fields: fields}
}

// KindOf reports the kind of err: the kind of the first *Error in its chain,
// or KindInternal when there is none.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// PanicError turns v, a value recovered from a panic, into a KindInternal
// error, so that a worker can treat a message that crashed it like any other
// failure instead of dying on it at every redelivery. Errors (runtime errors
// among them) and strings are programmers' messages and are kept; any other
// value is named by its type only, since it might be a struct full of a
// child's data.
func PanicError(v any) error {
	var what string
	switch v := v.(type) {
	case error:
		what = v.Error()
	case string:
		what = v
	default:
		what = fmt.Sprintf("value of type %T", v)
	}
	return &Error{Kind: KindInternal, Message: "panic: " + what}
}
