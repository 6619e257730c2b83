package directory

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory/internal/atomicfile"
	"github.com/corridor-org/corridor/pkg/signing"
)

// Key algorithms and their public key sizes. They are the envelope's
// (pkg/envelope) and signing's; this package repeats them rather than import
// the envelope, and a test in directory/keyfile keeps them equal.
const (
	EncryptionAlgorithm     = "MLKEM768-X25519"
	EncryptionPublicKeySize = 1216
	SigningAlgorithm        = signing.Algorithm
	SigningPublicKeySize    = ed25519.PublicKeySize
)

// Sentinel errors. Lookups that find nothing return a *corridor.Error of
// kind not_found wrapping ErrNotFound; SigningKey wraps
// signing.ErrUnknownKey instead, as envelope.Opener expects.
var (
	ErrExpired      = errors.New("corridor directory expired")
	ErrNotFound     = errors.New("not in the corridor directory")
	ErrNoCurrentKey = errors.New("no current key")
)

// Directory is one version of a corridor's directory. Treat a loaded
// Directory as read-only: it is shared between goroutines.
type Directory struct {
	// Corridor identifies the corridor ("ci-bf").
	Corridor string `json:"corridor" validate:"required,ident"`
	// Version increases with every published change.
	Version   int64     `json:"version" validate:"min=1"`
	IssuedAt  time.Time `json:"issued_at" validate:"required"`
	ExpiresAt time.Time `json:"expires_at" validate:"required,gtfield=IssuedAt"`
	// TimeLimits are the corridor's agreed time limits.
	TimeLimits TimeLimits `json:"time_limits"`
	// Exchange holds the window in which a relay accepts a message's
	// sent_at. Absent or zero fields take the defaults, so directories
	// written before it existed stay valid.
	Exchange ExchangeSettings `json:"exchange,omitzero"`
	Members  []Member         `json:"members" validate:"min=2,dive"`
	// Targets are the joint targets the members agreed (targets.go);
	// absent in directories written before they existed.
	Targets []Target `json:"targets,omitempty" validate:"dive"`
	// Governance says who signs the next version (governance.go).
	Governance *Governance `json:"governance,omitempty"`
}

// TimeLimits are the delays the corridor's members agreed on; the
// coordinator reports what is overdue against them.
type TimeLimits struct {
	// RespondWithinHours: from delivery of a referral to the recipient's
	// decision.
	RespondWithinHours int `json:"respond_within_hours" validate:"min=1,max=8760"`
	// InformationResponseWithinHours: from an information request to its
	// answer.
	InformationResponseWithinHours int `json:"information_response_within_hours" validate:"min=1,max=8760"`
	// HandoverWithinDays: from acceptance to the child handed over.
	HandoverWithinDays int `json:"handover_within_days" validate:"min=1,max=3650"`
	// FollowUpEveryDays: the longest gap between follow-up visits.
	FollowUpEveryDays int `json:"follow_up_every_days" validate:"min=1,max=3650"`
}

// RespondWithin returns RespondWithinHours as a duration.
func (l TimeLimits) RespondWithin() time.Duration { return hours(l.RespondWithinHours) }

// InformationResponseWithin returns InformationResponseWithinHours as a duration.
func (l TimeLimits) InformationResponseWithin() time.Duration {
	return hours(l.InformationResponseWithinHours)
}

// HandoverWithin returns HandoverWithinDays as a duration.
func (l TimeLimits) HandoverWithin() time.Duration { return hours(24 * l.HandoverWithinDays) }

// FollowUpEvery returns FollowUpEveryDays as a duration.
func (l TimeLimits) FollowUpEvery() time.Duration { return hours(24 * l.FollowUpEveryDays) }

func hours(n int) time.Duration { return time.Duration(n) * time.Hour }

// Defaults of ExchangeSettings.
const (
	DefaultMaxMessageAge = 30 * 24 * time.Hour
	DefaultClockSkew     = 5 * time.Minute
	DefaultKeyGrace      = 24 * time.Hour
)

// ExchangeSettings bound when a message may claim to have been sent. A
// relay refuses an envelope whose sent_at is older than MaxMessageAge,
// later than now plus ClockSkew, or outside its signing key's validity
// period (from not_before minus ClockSkew to not_after plus KeyGrace): a
// recorded message cannot be replayed once its window has passed, and the
// inbox keeps every message id at least that long. A sender re-seals every
// re-send with a fresh sent_at, so a long outage does not push a message
// out of the window.
type ExchangeSettings struct {
	// MaxMessageAgeHours: 0 means DefaultMaxMessageAge.
	MaxMessageAgeHours int `json:"max_message_age_hours,omitempty" validate:"min=0,max=8760"`
	// ClockSkewSeconds: 0 means DefaultClockSkew.
	ClockSkewSeconds int `json:"clock_skew_seconds,omitempty" validate:"min=0,max=3600"`
	// KeyGraceHours: 0 means DefaultKeyGrace.
	KeyGraceHours int `json:"key_grace_hours,omitempty" validate:"min=0,max=720"`
}

// MaxMessageAge returns the oldest sent_at a relay accepts, as an age.
func (s ExchangeSettings) MaxMessageAge() time.Duration {
	return orDefault(hours(s.MaxMessageAgeHours), DefaultMaxMessageAge)
}

// ClockSkew returns how far in the future a sent_at may be.
func (s ExchangeSettings) ClockSkew() time.Duration {
	return orDefault(time.Duration(s.ClockSkewSeconds)*time.Second, DefaultClockSkew)
}

// KeyGrace returns how long after its signing key's not_after a message may
// claim to have been sent.
func (s ExchangeSettings) KeyGrace() time.Duration {
	return orDefault(hours(s.KeyGraceHours), DefaultKeyGrace)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// ErrOutsideWindow is wrapped by CheckSentAt's error.
var ErrOutsideWindow = errors.New("sent_at outside the accepted window")

// CheckSentAt fails with an error wrapping ErrOutsideWindow unless sentAt,
// the time a message signed by sender's key keyID claims, falls in the
// corridor's window at now (see ExchangeSettings). An unknown key is a
// not-found error.
func (d *Directory) CheckSentAt(sender corridor.MemberCode, keyID string, sentAt, now time.Time) error {
	k, err := d.signingKey(sender, keyID)
	if err != nil {
		return err
	}
	s := d.Exchange
	outside := func(format string, args ...any) error {
		return &corridor.Error{Kind: corridor.KindInvalid, Message: fmt.Sprintf(format, args...), Err: ErrOutsideWindow}
	}
	at := sentAt.UTC().Format(time.RFC3339)
	switch {
	case sentAt.Before(now.Add(-s.MaxMessageAge())):
		return outside("sent_at %s is more than %s old", at, s.MaxMessageAge())
	case sentAt.After(now.Add(s.ClockSkew())):
		return outside("sent_at %s is more than %s in the future", at, s.ClockSkew())
	case sentAt.Before(k.NotBefore.Add(-s.ClockSkew())):
		return outside("sent_at %s is before signing key %q of %s became valid", at, keyID, sender)
	case !sentAt.Before(k.NotAfter.Add(s.KeyGrace())):
		return outside("sent_at %s is after signing key %q of %s expired (plus %s of grace)", at, keyID, sender, s.KeyGrace())
	}
	return nil
}

// Member is a corridor member: a country, or the coordinator.
type Member struct {
	// Code is the ISO 3166-1 alpha-2 code, or "COORD" for the coordinator.
	Code corridor.MemberCode `json:"code" validate:"required,iso3166_1_alpha2|eq=COORD"`
	Name string              `json:"name" validate:"required,max=200"`
	// JetStreamDomain is the member's JetStream domain: its code in lower case.
	JetStreamDomain string `json:"jetstream_domain" validate:"required"`
	// OIDC is the member's identity provider; absent for a member without
	// users of its own.
	OIDC *OIDC `json:"oidc,omitempty"`
	// EncryptionKeys are the member's HPKE public keys; a country needs one.
	EncryptionKeys []Key `json:"encryption_keys" validate:"dive"`
	// SigningKeys are the member's Ed25519 public keys; every member needs one.
	SigningKeys []Key    `json:"signing_keys" validate:"min=1,dive"`
	Agencies    []Agency `json:"agencies" validate:"dive"`
	// NATS is the member's identity on the corridor's NATS hub; absent in
	// directories written before it existed.
	NATS *NATSIdentity `json:"nats,omitempty"`
}

// NATSIdentity is how the corridor's NATS hub knows a member's server. The
// server's leaf link signs in with the nkey whose public key is LeafNkey,
// and the hub admits that key to the member's account only (as its
// operator sets CORRIDOR_HUB_<MEMBER>_LEAF_NKEY from the directory), so
// onboarding a member or rotating its key is one co-signed change. The
// users of the member's own server (relay, operator) are not listed: only
// that server knows them.
type NATSIdentity struct {
	// LeafNkey is a NATS user public key: "U" and 55 more base32 characters.
	LeafNkey string `json:"leaf_nkey" validate:"required,len=56,startswith=U,alphanum,uppercase"`
}

// OIDC names a member's OpenID Connect provider and the audience its
// tokens for corridor services carry.
type OIDC struct {
	Issuer   string `json:"issuer" validate:"required,http_url"`
	Audience string `json:"audience" validate:"required,max=256"`
	// RolesClaim, RoleValues, CountryClaim and AgencyClaim say where the
	// provider puts a person's roles, country and agency, and what its
	// role values mean (auth.Claims): a claim path such as Keycloak's
	// "realm_access.roles" and a map from the provider's values to
	// corridor roles. Absent, Corridor's own claims are read.
	RolesClaim   string            `json:"roles_claim,omitempty" validate:"omitempty,max=256"`
	RoleValues   map[string]string `json:"role_values,omitempty" validate:"omitempty,dive,keys,required,max=256,endkeys,oneof=inspector caseworker supervisor admin auditor coordinator service"`
	CountryClaim string            `json:"country_claim,omitempty" validate:"omitempty,max=256"`
	AgencyClaim  string            `json:"agency_claim,omitempty" validate:"omitempty,max=256"`
}

// Key is a public key with its validity period. PublicKey is base64 in
// JSON.
type Key struct {
	ID        string    `json:"id" validate:"required,ident"`
	Algorithm string    `json:"algorithm" validate:"required"`
	PublicKey []byte    `json:"public_key" validate:"required"`
	NotBefore time.Time `json:"not_before" validate:"required"`
	NotAfter  time.Time `json:"not_after" validate:"required,gtfield=NotBefore"`
}

// ValidAt reports whether at is within the key's validity period.
func (k Key) ValidAt(at time.Time) bool {
	return !at.Before(k.NotBefore) && at.Before(k.NotAfter)
}

// Agency is an agency of a member that sends or receives referrals.
type Agency struct {
	ID   string `json:"id" validate:"required,ident"`
	Name string `json:"name" validate:"required,max=200"`
	// Services are the service types the agency offers ("family_tracing"),
	// from ServiceTypes. Empty means the directory does not say.
	Services []string `json:"services" validate:"unique,dive,service_type"`
	// Places are the ISO 3166-2 subdivisions of its country the agency
	// covers (the areas casework's agency list shows). Empty means the
	// directory does not say.
	Places []string `json:"places" validate:"unique,dive,iso3166_2"`
	// Notify is where the coordinator tells the agency that one of its
	// cases is overdue; absent when the agency is not told.
	Notify *Notify `json:"notify,omitempty"`
}

// Notify is where an agency receives the coordinator's overdue notices: a
// webhook the coordinator POSTs signed JSON to, an e-mail address, or both.
// Notices carry codes and dates only, never personal data.
type Notify struct {
	WebhookURL string `json:"webhook_url,omitempty" validate:"omitempty,http_url,max=2000"`
	Email      string `json:"email,omitempty" validate:"omitempty,email,max=254"`
}

// Parse decodes and validates a directory, and refuses it if it has
// expired at now.
func Parse(data []byte, now time.Time) (*Directory, error) {
	var d Directory
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("parse corridor directory: %w", corridor.Invalid("the corridor directory is not valid JSON: "+err.Error()))
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("parse corridor directory: %w", err)
	}
	if err := d.CheckExpiry(now); err != nil {
		return nil, fmt.Errorf("parse corridor directory: %w", err)
	}
	return &d, nil
}

// Load reads and validates the directory file at path, and refuses it if it
// has expired.
func Load(path string) (*Directory, error) {
	return load(path, time.Now())
}

func load(path string, now time.Time) (*Directory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load corridor directory: %w", err)
	}
	d, err := Parse(data, now)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return d, nil
}

// Save validates d and writes it to path atomically (mode 0644: the
// directory is public).
func (d *Directory) Save(path string) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("save corridor directory: %w", err)
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("save corridor directory: %w", err)
	}
	if err := atomicfile.Write(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("save corridor directory: %w", err)
	}
	return nil
}

// CheckExpiry returns an error wrapping ErrExpired unless d is still valid
// at now.
func (d *Directory) CheckExpiry(now time.Time) error {
	if !now.Before(d.ExpiresAt) {
		return fmt.Errorf("corridor %s directory version %d expired at %s; refusing it until a current one is published: %w",
			d.Corridor, d.Version, d.ExpiresAt.UTC().Format(time.RFC3339), ErrExpired)
	}
	return nil
}

// Member returns the member with the given code.
func (d *Directory) Member(code corridor.MemberCode) (Member, error) {
	for _, m := range d.Members {
		if m.Code == code {
			return m, nil
		}
	}
	return Member{}, notFound(fmt.Sprintf("member %s is not in the corridor directory", code))
}

// MemberByIssuer returns the member whose OpenID Connect issuer is issuer.
func (d *Directory) MemberByIssuer(issuer string) (Member, error) {
	for _, m := range d.Members {
		if m.OIDC != nil && m.OIDC.Issuer == issuer {
			return m, nil
		}
	}
	return Member{}, notFound("no member of the corridor directory has this issuer")
}

// Agency returns the agency agencyID of member.
func (d *Directory) Agency(member corridor.MemberCode, agencyID string) (Agency, error) {
	m, err := d.Member(member)
	if err != nil {
		return Agency{}, err
	}
	for _, a := range m.Agencies {
		if a.ID == agencyID {
			return a, nil
		}
	}
	return Agency{}, notFound(fmt.Sprintf("agency %q of %s is not in the corridor directory", agencyID, member))
}

// CurrentEncryptionKey returns the key to encrypt to member at time at: of
// its keys valid then, the one that became valid last.
func (d *Directory) CurrentEncryptionKey(member corridor.MemberCode, at time.Time) (Key, error) {
	m, err := d.Member(member)
	if err != nil {
		return Key{}, err
	}
	return current(m.EncryptionKeys, member, "encryption", at)
}

// CurrentSigningKey returns the key member signs with at time at: of its
// keys valid then, the one that became valid last.
func (d *Directory) CurrentSigningKey(member corridor.MemberCode, at time.Time) (Key, error) {
	m, err := d.Member(member)
	if err != nil {
		return Key{}, err
	}
	return current(m.SigningKeys, member, "signing", at)
}

func current(keys []Key, member corridor.MemberCode, kind string, at time.Time) (Key, error) {
	var best *Key
	for i := range keys {
		if k := &keys[i]; k.ValidAt(at) && (best == nil || !k.NotBefore.Before(best.NotBefore)) {
			best = k
		}
	}
	if best == nil {
		return Key{}, &corridor.Error{
			Kind:    corridor.KindUnavailable,
			Message: fmt.Sprintf("%s has no %s key valid at %s in the corridor directory", member, kind, at.UTC().Format(time.RFC3339)),
			Err:     ErrNoCurrentKey,
		}
	}
	return *best, nil
}

// SigningKey returns member's signing public key keyID, whatever its
// validity period (see the package doc). It makes Directory an
// envelope.PublicKeys; the error wraps signing.ErrUnknownKey when there is no
// such key.
func (d *Directory) SigningKey(member corridor.MemberCode, keyID string) (ed25519.PublicKey, error) {
	k, err := d.signingKey(member, keyID)
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(k.PublicKey), nil
}

func (d *Directory) signingKey(member corridor.MemberCode, keyID string) (Key, error) {
	for _, m := range d.Members {
		if m.Code != member {
			continue
		}
		for _, k := range m.SigningKeys {
			if k.ID == keyID {
				return k, nil
			}
		}
	}
	return Key{}, fmt.Errorf("find signing key %q of %s in corridor %s directory version %d: %w", keyID, member, d.Corridor, d.Version, signing.ErrUnknownKey)
}

func notFound(msg string) error {
	return &corridor.Error{Kind: corridor.KindNotFound, Message: msg, Err: ErrNotFound}
}
