package httpapi

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// NewValidator returns a validator that names fields by their JSON names, so
// that Validate can report JSON paths. Register custom validations on it
// before first use (validator's registration is not safe for concurrent use).
func NewValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(jsonName)
	return v
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

// Validate validates s with v (made by NewValidator) and turns validation
// failures into a KindInvalid *corridor.Error whose fields are JSON paths
// ("child.languages[0]") with human messages. Messages never repeat the
// rejected value: it may be personal data.
func Validate(v *validator.Validate, s any) error {
	err := v.Struct(s)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		// InvalidValidationError: the handler passed a nil or non-struct.
		return fmt.Errorf("validate request: %w", err)
	}
	fields := make([]corridor.FieldError, 0, len(verrs))
	for _, fe := range verrs {
		fields = append(fields, corridor.FieldError{
			Field:   namespacePath(fe.Namespace()),
			Message: fieldMessage(fe),
		})
	}
	return &corridor.Error{
		Kind:    corridor.KindInvalid,
		Message: "The request has invalid fields.",
		Fields:  fields,
		Err:     err,
	}
}

// namespacePath drops the root struct's Go name from a validator namespace:
// "Referral.child.languages[0]" becomes "child.languages[0]".
func namespacePath(ns string) string {
	if _, path, ok := strings.Cut(ns, "."); ok {
		return path
	}
	return ns
}

// fieldMessage says what the field must be, in the words of its tag.
func fieldMessage(fe validator.FieldError) string {
	param := fe.Param()
	kind := fe.Kind()
	if kind == reflect.Pointer {
		kind = fe.Type().Elem().Kind()
	}
	switch fe.Tag() {
	case "required", "required_if", "required_unless", "required_with", "required_with_all",
		"required_without", "required_without_all":
		return "is required"
	case "excluded_if", "excluded_unless", "excluded_with", "excluded_with_all",
		"excluded_without", "excluded_without_all":
		return "must not be given here"
	case "isdefault":
		return "must not be given"
	case "oneof":
		return "must be one of: " + strings.Join(strings.Fields(param), ", ")
	case "len":
		return sizeMessage("must be exactly", kind, param)
	case "min":
		return sizeMessage("must be at least", kind, param)
	case "max":
		return sizeMessage("must be at most", kind, param)
	case "gte":
		return sizeMessage("must be at least", kind, param)
	case "lte":
		return sizeMessage("must be at most", kind, param)
	case "gt":
		return sizeMessage("must be more than", kind, param)
	case "lt":
		return sizeMessage("must be less than", kind, param)
	case "eq":
		return "must be " + param
	case "ne":
		return "must not be " + param
	case "unique":
		return "must not contain duplicates"
	case "email":
		return "must be a valid email address"
	case "url", "http_url", "uri":
		return "must be a valid URL"
	case "uuid", "uuid4", "uuid7":
		return "must be a valid UUID"
	case "datetime":
		return "must be a date or time in the form " + param
	case "timezone":
		return "must be a valid IANA time zone"
	case "bcp47_language_tag", "bcp47_strict_language_tag":
		return "must be a valid BCP 47 language tag"
	case "iso3166_1_alpha2":
		return "must be a valid ISO 3166-1 alpha-2 country code"
	case "iso3166_1_alpha3":
		return "must be a valid ISO 3166-1 alpha-3 country code"
	case "iso3166_2":
		return "must be a valid ISO 3166-2 subdivision code"
	case "latitude":
		return "must be a latitude between -90 and 90"
	case "longitude":
		return "must be a longitude between -180 and 180"
	case "boolean":
		return "must be true or false"
	case "number", "numeric":
		return "must be a number"
	case "alpha":
		return "must contain letters only"
	case "alphanum":
		return "must contain letters and digits only"
	case "lowercase":
		return "must be lower case"
	case "uppercase":
		return "must be upper case"
	case "eqfield":
		return "must equal " + param
	case "nefield":
		return "must differ from " + param
	case "gtfield":
		return "must be after " + param
	case "gtefield":
		return "must not be before " + param
	case "ltfield":
		return "must be before " + param
	case "ltefield":
		return "must not be after " + param
	}
	if param != "" {
		return fmt.Sprintf("must be a valid %s (%s)", fe.Tag(), param)
	}
	return "must be a valid " + fe.Tag()
}

// sizeMessage words a bound by what it bounds: characters of a string, items
// of a list, or the value of a number.
func sizeMessage(prefix string, kind reflect.Kind, param string) string {
	switch kind {
	case reflect.String:
		return fmt.Sprintf("%s %s characters long", prefix, param)
	case reflect.Slice, reflect.Array, reflect.Map:
		return fmt.Sprintf("%s %s items", prefix, param)
	default:
		return fmt.Sprintf("%s %s", prefix, param)
	}
}
