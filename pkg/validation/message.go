package validation

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/corridor-org/corridor/pkg/codes"
)

// fieldMessage says what the field must be, in the words of its tag. It never
// repeats the value.
func fieldMessage(fe validator.FieldError) string {
	kind := fe.Kind()
	if kind == reflect.Pointer {
		kind = fe.Type().Elem().Kind()
	}
	// An alternation ("iso3166_1_alpha2|eq=COORD") reports the whole rule
	// as its tag, with each alternative's parameter inside it.
	if alts := strings.Split(fe.Tag(), "|"); len(alts) > 1 {
		msgs := make([]string, len(alts))
		for i, alt := range alts {
			tag, param, _ := strings.Cut(alt, "=")
			msgs[i] = tagMessage(tag, param, kind)
		}
		return strings.Join(msgs, ", or ")
	}
	return tagMessage(fe.Tag(), fe.Param(), kind)
}

func tagMessage(tag, param string, kind reflect.Kind) string {
	switch tag {
	case "required", "required_if", "required_unless", "required_with", "required_with_all",
		"required_without", "required_without_all":
		return "is required"
	case "excluded_if", "excluded_unless", "excluded_with", "excluded_with_all",
		"excluded_without", "excluded_without_all":
		return "must not be given here"
	case "isdefault":
		return "must not be given"
	case TagNotBlank:
		return "must not be blank"
	case "oneof":
		return "must be one of: " + strings.Join(strings.Fields(param), ", ")
	case "len":
		return sizeMessage("must be exactly", kind, param)
	case "min", "gte":
		return sizeMessage("must be at least", kind, param)
	case "max", "lte":
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
	case "e164":
		return "must be a phone number in E.164 form (+ and up to 15 digits)"
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
		return "must equal " + snake(param)
	case "nefield":
		return "must differ from " + snake(param)
	case "gtfield":
		return "must be after " + snake(param)
	case "gtefield":
		return "must not be before " + snake(param)
	case "ltfield":
		return "must be before " + snake(param)
	case "ltefield":
		return "must not be after " + snake(param)

	case TagCode:
		return "must be a code of at most 128 letters, digits, '_', '.', ':', '+' or '-'"
	case TagMember:
		return "must be a member code such as CI or COORD"
	case TagMessageType:
		return "must be a known message type"
	case TagSide:
		return "must be sender or recipient"
	case TagIdent:
		return "must be 1 to 128 printable ASCII characters without spaces"
	case TagServiceType:
		return "must be one of the service types: " + strings.Join(codes.ServiceTypeCodes(), ", ")
	case TagReasonCode:
		return "must be a reason code: lower-case words joined by underscores"
	case TagMilestone:
		return "must be a known milestone"
	case TagAgeBand:
		return "must be a known age band"
	case TagPartialDate:
		return "must be a date in the form YYYY-MM-DD, YYYY-MM or YYYY"

	case codes.TagCountry:
		return "must be an ISO 3166-1 alpha-2 country code"
	case codes.TagSubdivision:
		return "must be an ISO 3166-2 subdivision code"
	case codes.TagISICSection:
		return "must be an ISIC Rev.4 section"
	case codes.TagISICDivision:
		return "must be an ISIC Rev.4 division"
	case codes.TagISICClass:
		return "must be an ISIC Rev.4 class"
	case codes.TagChildFLIndicator:
		return "must be an ILO indicator of forced labour of children"
	case codes.TagMethodOfControl:
		return "must be an IOM HTCDS method of control"
	case codes.TagExploitationType:
		return "must be an IOM HTCDS type of exploitation"
	case codes.TagMigrationStatus:
		return "must be a known migration or protection status"
	case codes.TagInterimCare:
		return "must be a known kind of interim care"
	case codes.TagCaseSystem:
		return "must be a known case-management system"
	case codes.TagC182Category:
		return "must be a category of ILO Convention 182"
	case codes.TagHazard:
		return "must be a hazard of ILO Recommendation 190"
	case codes.TagForcedLabourIndicator:
		return "must be an ILO indicator of forced labour"
	case codes.TagAgeMethod:
		return "must be a known method of establishing age"
	case codes.TagLanguage:
		return "must be a BCP 47 language tag"
	}
	if param != "" {
		return fmt.Sprintf("must be a valid %s (%s)", tag, param)
	}
	return "must be a valid " + tag
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

// snake turns the Go field name a cross-field tag names ("NotBefore") into
// its JSON name by the corridor's convention ("not_before").
func snake(name string) string {
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
