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
	_ = val.RegisterValidation("code", func(fl validator.FieldLevel) bool { return corridor.IsCode(fl.Field().String()) })
	_ = val.RegisterValidation("member", func(fl validator.FieldLevel) bool { return corridor.MemberCode(fl.Field().String()).Valid() })
	_ = val.RegisterValidation("side", func(fl validator.FieldLevel) bool { return Side(fl.Field().String()).Valid() })
	_ = val.RegisterValidation("msgtype", func(fl validator.FieldLevel) bool { return MessageType(fl.Field().String()).Known() })

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
	case "side":
		return "must be sender or recipient"
	default:
		return "is invalid (" + fe.Tag() + ")"
	}
}
