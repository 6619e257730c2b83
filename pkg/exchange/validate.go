package exchange

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// validate checks v's validate tags and reports failures as a KindInvalid
// error whose fields are JSON paths ("tracking.milestone").
func validate(what string, v any) error {
	val := validator.New(validator.WithRequiredStructEnabled())
	val.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || name == "" {
			return f.Name
		}
		return name
	})
	// Registration fails only for an empty tag or nil function.
	_ = val.RegisterValidation("code", func(fl validator.FieldLevel) bool { return isCode(fl.Field().String()) })
	_ = val.RegisterValidation("member", func(fl validator.FieldLevel) bool { return isMember(fl.Field().String()) })
	_ = val.RegisterValidation("msgtype", func(fl validator.FieldLevel) bool {
		t := MessageType(fl.Field().String())
		for _, known := range MessageTypes() {
			if t == known {
				return true
			}
		}
		return false
	})

	err := val.Struct(v)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		if err != nil {
			return fmt.Errorf("validate %s: %w", what, err)
		}
		return nil
	}
	fields := make([]corridor.FieldError, 0, len(verrs))
	for _, fe := range verrs {
		// The namespace starts with the Go type's name, which is not part
		// of the JSON path.
		_, path, _ := strings.Cut(fe.Namespace(), ".")
		fields = append(fields, corridor.FieldError{Field: path, Message: fieldMessage(fe)})
	}
	return corridor.Invalid("invalid "+what, fields...)
}

func fieldMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min":
		return "must not be empty"
	case "max":
		return "must be at most " + fe.Param() + " long"
	case "code":
		return "must be a code of at most 128 letters, digits, '_', '.', ':', '+' or '-'"
	case "member":
		return "must be a member code such as CI or COORD"
	case "msgtype":
		return "must be a known message type"
	default:
		return "is invalid (" + fe.Tag() + ")"
	}
}

// isCode accepts identifiers and coded values: message ids, case
// references, agency ids, milestones, ISIC sections, age bands. Refusing
// spaces and other punctuation keeps names and narratives out of columns
// that are logged or passed to the coordinator.
func isCode(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case r == '_', r == '.', r == ':', r == '+', r == '-':
		default:
			return false
		}
	}
	return true
}

// isMember accepts an ISO 3166-1 alpha-2 code or the coordinator's code.
func isMember(s string) bool {
	if s == string(corridor.Coordinator) {
		return true
	}
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}
