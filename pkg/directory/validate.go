package directory

import (
	"crypto/hpke"
	"fmt"
	"regexp"
	"strings"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/validation"
)

var (
	countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
	placePattern   = regexp.MustCompile(`^[A-Z]{2}-[A-Z0-9]{1,3}$`)
)

// Validate checks d's structure and the rules between its parts: unique
// member codes, key ids and agency ids; key algorithms and sizes; each
// member's JetStream domain; agencies' places within their country. It does
// not look at the clock (see CheckExpiry). The error is a *corridor.Error of
// kind invalid whose fields are JSON paths ("members[1].signing_keys[0].public_key").
func (d *Directory) Validate() error {
	val, err := validation.Default()
	if err != nil {
		return fmt.Errorf("validate corridor directory: %w", err)
	}
	fields, err := val.Fields(d)
	if err != nil {
		return fmt.Errorf("validate corridor directory: %w", err)
	}
	add := func(field, format string, args ...any) {
		fields = append(fields, corridor.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
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
	d.validateTargets(add)
	if len(fields) > 0 {
		return corridor.Invalid("the corridor directory is not valid", fields...)
	}
	return nil
}
