package validation

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/codes"
	"github.com/corridor-org/corridor/pkg/corridor"
)

// The corridor's own tags, besides those of pkg/codes (codes.TagCountry and
// the rest). They apply to strings and types whose underlying type is string;
// use "dive,<tag>" for slices.
const (
	// TagCode is a corridor identifier (corridor.IsCode).
	TagCode = "code"
	// TagMember is a member code such as CI or COORD.
	TagMember = "member"
	// TagMessageType is a message type of the exchange. The field's type says
	// whether a value is known by its Valid method (exchange.MessageType):
	// this package cannot import pkg/exchange, which imports it.
	TagMessageType = "msgtype"
	// TagSide is a side of a referral (exchange.Side: sender or
	// recipient), known by its Valid method as TagMessageType is.
	TagSide = "side"
	// TagIdent is a directory identifier: it ends up in envelope headers,
	// NATS subjects and logs, so it is 1 to 128 printable ASCII characters
	// without spaces.
	TagIdent = "ident"
	// TagServiceType is a code of the corridor's service-type list
	// (codes.ServiceTypes): what an agency offers, a referral requests and a
	// caseworker records.
	TagServiceType = codes.TagServiceType
	// TagReasonCode is the shape of a reason code: at most 64 characters of
	// lower-case words joined by underscores, as every corridor code list
	// writes them. A sentence, a name or a place does not fit it.
	TagReasonCode = "reason_code"
	// TagMilestone is a tracking milestone of pkg/cases.
	TagMilestone = "milestone"
	// TagAgeBand is a coarse age band of pkg/cases.
	TagAgeBand = "age_band"
	// TagPartialDate is a date known in part: "YYYY-MM-DD", "YYYY-MM" or
	// "YYYY" (ParsePartialDate).
	TagPartialDate = "partial_date"
	// TagNotBlank is a string with something besides white space: a
	// question, an answer or a reason a person must read.
	TagNotBlank = "notblank"
)

var (
	identPattern      = regexp.MustCompile(`^[!-~]{1,128}$`)
	reasonCodePattern = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+){0,7}$`)
)

// Validator checks structs by their validate tags. It is safe for
// concurrent use.
type Validator struct {
	v *validator.Validate
}

// Default returns the process's validator, built on first use. Every user
// shares it, so the tags are registered once. It is the package's only
// state, and unavoidable: exchange rows, directories and key files are
// validated by functions and methods whose callers pass no validator.
func Default() (*Validator, error) { return defaultValidator() }

var defaultValidator = sync.OnceValues(New)

// New builds a validator with every corridor tag. Most callers want Default;
// New is for a caller that must not share (a benchmark of construction, a
// test of this package).
func New() (*Validator, error) {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(jsonName)
	if err := codes.Register(v); err != nil {
		return nil, fmt.Errorf("build validator: %w", err)
	}
	for tag, valid := range map[string]func(string) bool{
		TagCode:        corridor.IsCode,
		TagMember:      func(s string) bool { return corridor.MemberCode(s).Valid() },
		TagIdent:       identPattern.MatchString,
		TagReasonCode:  func(s string) bool { return len(s) <= 64 && reasonCodePattern.MatchString(s) },
		TagMilestone:   func(s string) bool { return slices.Contains(cases.Milestones(), cases.Milestone(s)) },
		TagAgeBand:     func(s string) bool { return slices.Contains(cases.AgeBands(), s) },
		TagPartialDate: func(s string) bool { _, err := ParsePartialDate(s); return err == nil },
		TagNotBlank:    func(s string) bool { return strings.TrimSpace(s) != "" },
	} {
		fn := func(fl validator.FieldLevel) bool {
			f := fl.Field()
			return f.Kind() == reflect.String && valid(f.String())
		}
		if err := v.RegisterValidation(tag, fn); err != nil {
			return nil, fmt.Errorf("build validator: register %s: %w", tag, err)
		}
	}
	for _, tag := range []string{TagMessageType, TagSide} {
		if err := v.RegisterValidation(tag, validByMethod); err != nil {
			return nil, fmt.Errorf("build validator: register %s: %w", tag, err)
		}
	}
	return &Validator{v: v}, nil
}

// IsIdent reports whether s is what TagIdent accepts.
func IsIdent(s string) bool { return identPattern.MatchString(s) }

// validByMethod accepts a field whose value says it is valid.
func validByMethod(fl validator.FieldLevel) bool {
	f := fl.Field()
	if !f.CanInterface() {
		return false
	}
	k, ok := f.Interface().(interface{ Valid() bool })
	return ok && k.Valid()
}

// jsonName is the name encoding/json uses for a field; "" makes validator
// fall back to the Go name, which is also what encoding/json does.
func jsonName(sf reflect.StructField) string {
	name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// Fields checks s by its tags and returns one field error per failure,
// named by its JSON path from s. The error is for a programmer's mistake
// only: s is nil or not a struct.
func (v *Validator) Fields(s any) ([]corridor.FieldError, error) {
	err := v.v.Struct(s)
	if err == nil {
		return nil, nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return nil, fmt.Errorf("validate %T: %w", s, err)
	}
	fields := make([]corridor.FieldError, 0, len(verrs))
	for _, fe := range verrs {
		fields = append(fields, corridor.FieldError{
			Field: namespacePath(fe.Namespace()), Message: fieldMessage(fe), Rule: fe.Tag(), Param: fe.Param(),
		})
	}
	return fields, nil
}

// Check checks s by its tags and returns nil, a KindInvalid *corridor.Error
// with message and the bad fields, or an error for a programmer's mistake
// (s is nil or not a struct), which is not of kind invalid.
func (v *Validator) Check(message string, s any) error {
	fields, err := v.Fields(s)
	if err != nil {
		return err
	}
	if len(fields) > 0 {
		return corridor.Invalid(message, fields...)
	}
	return nil
}

// ParsePartialDate reads "YYYY-MM-DD", "YYYY-MM" or "YYYY" and returns the
// earliest day it can mean.
func ParsePartialDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if len(s) != len(layout) {
			continue
		}
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("parse date: not YYYY-MM-DD, YYYY-MM or YYYY")
}

// namespacePath drops the root struct's Go name from a validator namespace:
// "Referral.child.languages[0]" becomes "child.languages[0]".
func namespacePath(ns string) string {
	if _, path, ok := strings.Cut(ns, "."); ok {
		return path
	}
	return ns
}
