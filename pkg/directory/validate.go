package directory

import (
	"crypto/hpke"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/corridor-org/corridor/pkg/codes"
	"github.com/corridor-org/corridor/pkg/corridor"
)

var (
	// Directory identifiers end up in envelope headers, NATS subjects and
	// logs: printable ASCII without spaces, as the envelope requires.
	identPattern   = regexp.MustCompile(`^[!-~]{1,128}$`)
	countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
	placePattern   = regexp.MustCompile(`^[A-Z]{2}-[A-Z0-9]{1,3}$`)
)

// ServiceTypes returns the service-type codes an agency may offer: the
// corridor's service-type list, kept in pkg/codes.
func ServiceTypes() []string {
	var out []string
	for _, e := range codes.ServiceTypes() {
		out = append(out, e.Code)
	}
	return out
}

// IsServiceType reports whether code is on the service-type list.
func IsServiceType(code string) bool {
	_, ok := codes.ServiceType(code)
	return ok
}

// newValidator returns a validator that names fields by their JSON names.
// It is built per call: the package keeps no state.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	must := func(err error) {
		if err != nil {
			panic(err) // only a typo in a tag name gets here
		}
	}
	must(v.RegisterValidation("ident", func(fl validator.FieldLevel) bool {
		return identPattern.MatchString(fl.Field().String())
	}))
	must(v.RegisterValidation("service_code", func(fl validator.FieldLevel) bool {
		return IsServiceType(fl.Field().String())
	}))
	return v
}

// Validate checks d's structure and the rules between its parts: unique
// member codes, key ids and agency ids; key algorithms and sizes; each
// member's JetStream domain; agencies' places within their country. It does
// not look at the clock (see CheckExpiry). The error is a *corridor.Error of
// kind invalid whose fields are JSON paths ("members[1].signing_keys[0].public_key").
func (d *Directory) Validate() error {
	var fields []corridor.FieldError
	add := func(field, format string, args ...any) {
		fields = append(fields, corridor.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}

	if err := newValidator().Struct(d); err != nil {
		var verrs validator.ValidationErrors
		if !errors.As(err, &verrs) {
			return fmt.Errorf("validate corridor directory: %w", err)
		}
		for _, fe := range verrs {
			add(jsonPath(fe.Namespace()), "%s", tagMessage(fe))
		}
	}

	memberCodes := map[corridor.MemberCode]bool{}
	keyIDs := map[string]bool{}
	agencyIDs := map[string]bool{}
	issuers := map[string]bool{}
	for i, m := range d.Members {
		path := fmt.Sprintf("members[%d]", i)
		if memberCodes[m.Code] {
			add(path+".code", "duplicate member code %s", m.Code)
		}
		memberCodes[m.Code] = true
		if m.JetStreamDomain != m.Code.Domain() {
			add(path+".jetstream_domain", "must be the member code in lower case (%s)", m.Code.Domain())
		}
		if m.OIDC != nil {
			if issuers[m.OIDC.Issuer] {
				add(path+".oidc.issuer", "another member has the same issuer")
			}
			issuers[m.OIDC.Issuer] = true
		}
		country := m.Code != corridor.Coordinator
		if country && len(m.EncryptionKeys) == 0 {
			add(path+".encryption_keys", "a country member needs at least one encryption key")
		}
		if country && len(m.Agencies) == 0 {
			add(path+".agencies", "a country member needs at least one agency")
		}
		checkKeys := func(kind string, keys []Key, algorithm string, size int, parse func([]byte) error) {
			for j, k := range keys {
				kp := fmt.Sprintf("%s.%s[%d]", path, kind, j)
				if k.ID != "" && keyIDs[k.ID] {
					add(kp+".id", "duplicate key id %q", k.ID)
				}
				keyIDs[k.ID] = true
				if k.Algorithm != algorithm {
					add(kp+".algorithm", "must be %s", algorithm)
				}
				if len(k.PublicKey) != size {
					add(kp+".public_key", "must be %d bytes, is %d", size, len(k.PublicKey))
				} else if err := parse(k.PublicKey); err != nil {
					add(kp+".public_key", "is not a valid %s public key", algorithm)
				}
			}
		}
		checkKeys("encryption_keys", m.EncryptionKeys, EncryptionAlgorithm, EncryptionPublicKeySize, func(b []byte) error {
			_, err := hpke.MLKEM768X25519().NewPublicKey(b)
			return err
		})
		// Every 32-byte string is an Ed25519 public key to crypto/ed25519.
		checkKeys("signing_keys", m.SigningKeys, SigningAlgorithm, SigningPublicKeySize, func([]byte) error { return nil })
		for j, a := range m.Agencies {
			ap := fmt.Sprintf("%s.agencies[%d]", path, j)
			if a.ID != "" && agencyIDs[a.ID] {
				add(ap+".id", "duplicate agency id %q", a.ID)
			}
			agencyIDs[a.ID] = true
			for k, p := range a.Places {
				// Only a well-formed place of a well-formed country is compared;
				// anything else already has its own error.
				if country && countryPattern.MatchString(string(m.Code)) && placePattern.MatchString(p) && !strings.HasPrefix(p, string(m.Code)+"-") {
					add(fmt.Sprintf("%s.places[%d]", ap, k), "must be a subdivision of %s", m.Code)
				}
			}
		}
	}
	d.validateGovernance(keyIDs, add)
	if len(fields) > 0 {
		return corridor.Invalid("the corridor directory is not valid", fields...)
	}
	return nil
}

// jsonPath turns a validator namespace ("Directory.members[0].signing_keys[1].id")
// into a JSON path from the document's root.
func jsonPath(ns string) string {
	_, rest, ok := strings.Cut(ns, ".")
	if !ok {
		return ns
	}
	return rest
}

func tagMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min":
		return "must have at least " + fe.Param()
	case "max":
		return "must be at most " + fe.Param()
	case "unique":
		return "must not list a value twice"
	case "gtfield":
		return "must be after " + snake(fe.Param())
	case "ident":
		return "must be 1 to 128 printable ASCII characters without spaces"
	case "iso3166_1_alpha2|eq=COORD":
		return "must be an ISO 3166-1 alpha-2 code in upper case, or COORD"
	case "service_code":
		return "must be one of the service types: " + strings.Join(ServiceTypes(), ", ")
	case "iso3166_2":
		return "must be an ISO 3166-2 subdivision code"
	case "http_url":
		return "must be an http or https URL"
	}
	return "fails " + fe.Tag()
}

// snake turns a Go field name ("NotBefore") into its JSON name ("not_before").
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
