package codes

import (
	"strings"

	"golang.org/x/text/language"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// Language returns the canonical form of BCP 47 language tag tag ("en-us"
// becomes "en-US", "iw" becomes "he"), or a KindInvalid *corridor.Error when
// tag is not well formed or uses a subtag the IANA registry does not know.
// Store the canonical form, so that equal languages compare equal.
func Language(tag string) (string, error) {
	// x/text also reads "fr_CI", a locale identifier; BCP 47 has only
	// hyphens, and the wire format must be the same for every partner.
	if tag == "" || strings.ContainsAny(tag, "_ \t") {
		return "", corridor.Errorf(corridor.KindInvalid, "not a well-formed BCP 47 language tag")
	}
	t, err := language.Parse(tag)
	if err != nil {
		return "", corridor.Errorf(corridor.KindInvalid, "not a well-formed BCP 47 language tag")
	}
	return t.String(), nil
}
