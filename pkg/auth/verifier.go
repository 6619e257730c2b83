package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// Issuer is an identity provider a service trusts.
type Issuer struct {
	// URL is the issuer exactly as its tokens' "iss" claim states it.
	URL string
	// Audience is the "aud" value tokens must carry for this service.
	Audience string
	// Member, when set, is the only corridor_country this issuer may
	// vouch for: CI's provider cannot log a BF user in.
	Member corridor.MemberCode
	// Claims says where this provider puts roles, country and agency and
	// what its role values mean; the zero value reads corridor_roles,
	// corridor_country and corridor_agency.
	Claims Claims
}

// Defaults for Config's zero values.
const (
	DefaultClockSkew          = 30 * time.Second
	DefaultRetryInterval      = 5 * time.Second
	DefaultKeyRefreshInterval = 30 * time.Second
	discoveryTimeout          = 10 * time.Second
	maxTokenBytes             = 16 << 10
)

// Config configures a Verifier.
type Config struct {
	Issuers []Issuer
	// HTTPClient fetches discovery documents and key sets; nil means a
	// client with a 10-second timeout.
	HTTPClient *http.Client
	// ClockSkew is how long after its expiry a token is still accepted,
	// for clocks that disagree a little; DefaultClockSkew when zero.
	ClockSkew time.Duration
	// RetryInterval is how long after a failed discovery the next request
	// waits before trying again (requests in between fail fast as
	// unavailable); DefaultRetryInterval when zero, no wait when negative.
	RetryInterval time.Duration
	// KeyRefreshInterval is the least time between two fetches of an
	// issuer's key set, so that tokens with made-up key ids cannot make
	// the service hammer the provider. The last good key set stays in use
	// meanwhile. DefaultKeyRefreshInterval when zero, no limit when negative.
	KeyRefreshInterval time.Duration
	// Now is the clock for expiry checks; time.Now when nil.
	Now func() time.Time
}

// Verifier verifies access tokens from a set of trusted issuers. It
// discovers each issuer on first use and retries on later requests when the
// provider is not up yet, so a service can start before its provider.
type Verifier struct {
	logger        *slog.Logger
	client        *http.Client
	skew          time.Duration
	retryInterval time.Duration
	keyInterval   time.Duration
	now           func() time.Time
	issuers       map[string]*trustedIssuer
}

type trustedIssuer struct {
	cfg Issuer

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	lastTry  time.Time
	lastErr  error
}

// NewVerifier returns a Verifier for cfg.Issuers. It does not contact them.
func NewVerifier(cfg Config, logger *slog.Logger) (*Verifier, error) {
	if len(cfg.Issuers) == 0 {
		return nil, errors.New("new verifier: no trusted issuers")
	}
	v := &Verifier{
		logger:        logger,
		client:        cfg.HTTPClient,
		skew:          cfg.ClockSkew,
		retryInterval: cfg.RetryInterval,
		keyInterval:   cfg.KeyRefreshInterval,
		now:           cfg.Now,
		issuers:       make(map[string]*trustedIssuer, len(cfg.Issuers)),
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: 10 * time.Second}
	}
	if v.skew == 0 {
		v.skew = DefaultClockSkew
	}
	if v.retryInterval == 0 {
		v.retryInterval = DefaultRetryInterval
	}
	if v.keyInterval == 0 {
		v.keyInterval = DefaultKeyRefreshInterval
	}
	if v.now == nil {
		v.now = time.Now
	}
	for _, is := range cfg.Issuers {
		u, err := url.Parse(is.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("new verifier: issuer %q is not an http(s) URL", is.URL)
		}
		if is.Audience == "" {
			return nil, fmt.Errorf("new verifier: issuer %q has no audience", is.URL)
		}
		if is.Member != "" && !is.Member.Valid() {
			return nil, fmt.Errorf("new verifier: issuer %q: invalid member %q", is.URL, is.Member)
		}
		if _, dup := v.issuers[is.URL]; dup {
			return nil, fmt.Errorf("new verifier: issuer %q listed twice", is.URL)
		}
		if err := is.Claims.validate(); err != nil {
			return nil, fmt.Errorf("new verifier: issuer %q: %w", is.URL, err)
		}
		is.Claims = is.Claims.withDefaults()
		v.issuers[is.URL] = &trustedIssuer{cfg: is}
	}
	return v, nil
}

// Ready reports whether at least one trusted issuer has been discovered,
// trying those that have not: a readiness check for services whose every
// request needs a token.
func (v *Verifier) Ready(ctx context.Context) error {
	var errs []error
	for _, ti := range v.issuers {
		_, err := v.verifierFor(ctx, ti)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("no identity provider reachable: %w", errors.Join(errs...))
}

// Errors Verify returns. Their messages are shown to callers.
func unauthorized(message string, cause error) error {
	return &corridor.Error{Kind: corridor.KindUnauthorized, Message: message, Err: cause}
}

func unavailable(cause error) error {
	return &corridor.Error{
		Kind:    corridor.KindUnavailable,
		Message: "The identity provider cannot be reached; try again later.",
		Err:     cause,
	}
}

// Verify checks raw, an access token, and returns its Principal. Errors are
// *corridor.Error: KindUnauthorized for a token that is malformed, expired,
// for another audience, from an untrusted issuer or badly signed, and
// KindUnavailable while the token's issuer cannot be reached.
func (v *Verifier) Verify(ctx context.Context, raw string) (Principal, error) {
	if raw == "" {
		return Principal{}, unauthorized("A bearer token is required.", nil)
	}
	iss, err := unverifiedIssuer(raw)
	if err != nil {
		return Principal{}, unauthorized("The bearer token is malformed.", err)
	}
	// The issuer is only a hint for picking keys and audience; the chosen
	// verifier checks it again against the signed token.
	ti, ok := v.issuers[iss]
	if !ok {
		return Principal{}, unauthorized("The bearer token's issuer is not trusted.", nil)
	}
	verifier, err := v.verifierFor(ctx, ti)
	if err != nil {
		return Principal{}, err
	}
	var probe keyProbe
	tok, err := verifier.Verify(context.WithValue(ctx, keyProbeKey{}, &probe), raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		switch {
		case errors.As(err, &expired):
			return Principal{}, unauthorized("The bearer token has expired.", err)
		case probe.unreachable():
			return Principal{}, unavailable(fmt.Errorf("fetch keys of %s: %w", iss, probe.err))
		default:
			return Principal{}, unauthorized("The bearer token is invalid.", err)
		}
	}
	return principalFrom(tok, ti.cfg)
}

// tokenClaims are the registered claims a Principal is made of, plus those
// that betray an ID token; the rest sit where the issuer's Claims say.
type tokenClaims struct {
	Subject  string `json:"sub"`
	Username string `json:"preferred_username"`
	ClientID string `json:"client_id"`
	AtHash   string `json:"at_hash"`
	Nonce    string `json:"nonce"`
}

func principalFrom(tok *oidc.IDToken, is Issuer) (Principal, error) {
	var c tokenClaims
	var all map[string]any
	if err := tok.Claims(&c); err != nil {
		return Principal{}, unauthorized("The bearer token's claims are malformed.", err)
	}
	if err := tok.Claims(&all); err != nil {
		return Principal{}, unauthorized("The bearer token's claims are malformed.", err)
	}
	// An ID token from the same provider can carry the API's audience too;
	// it says who logged in, not what the bearer may do.
	if c.AtHash != "" || c.Nonce != "" {
		return Principal{}, unauthorized("An ID token is not an access token.", nil)
	}
	values, present, err := stringsAt(all, is.Claims.Roles)
	if err != nil {
		return Principal{}, unauthorized("The bearer token's claims are malformed.", err)
	}
	if c.Subject == "" || !present {
		return Principal{}, unauthorized("The bearer token lacks the subject or corridor roles.", nil)
	}
	countryClaim, err := stringAt(all, is.Claims.Country)
	if err != nil {
		return Principal{}, unauthorized("The bearer token's claims are malformed.", err)
	}
	agency, err := stringAt(all, is.Claims.Agency)
	if err != nil {
		return Principal{}, unauthorized("The bearer token's claims are malformed.", err)
	}
	country := corridor.MemberCode(strings.ToUpper(countryClaim))
	if countryClaim == "" {
		country = is.Member
	}
	if !country.Valid() {
		return Principal{}, unauthorized("The bearer token lacks a valid corridor country.", nil)
	}
	if is.Member != "" && country != is.Member {
		return Principal{}, unauthorized("The bearer token's issuer may not vouch for this country.", nil)
	}
	p := Principal{
		Subject:  c.Subject,
		Username: c.Username,
		ClientID: c.ClientID,
		Country:  country,
		Agency:   agency,
		Issuer:   tok.Issuer,
	}
	for _, v := range values {
		if r, ok := is.Claims.role(v); ok && !slices.Contains(p.Roles, r) {
			p.Roles = append(p.Roles, r)
		}
	}
	return p, nil
}

// unverifiedIssuer reads the "iss" claim without checking anything.
func unverifiedIssuer(raw string) (string, error) {
	if len(raw) > maxTokenBytes {
		return "", errors.New("token too large")
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", errors.New("not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("decode payload: %w", err)
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", fmt.Errorf("decode payload: %w", err)
	}
	if c.Issuer == "" {
		return "", errors.New("no issuer")
	}
	return c.Issuer, nil
}

// verifierFor returns the issuer's verifier, discovering the issuer if that
// has not succeeded yet. Discovery failures are remembered for the retry
// interval so that an outage costs each request nothing.
func (v *Verifier) verifierFor(ctx context.Context, ti *trustedIssuer) (*oidc.IDTokenVerifier, error) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if ti.verifier != nil {
		return ti.verifier, nil
	}
	if !ti.lastTry.IsZero() && time.Since(ti.lastTry) < v.retryInterval {
		return nil, unavailable(ti.lastErr)
	}
	ti.lastTry = time.Now()
	// Not the request's cancellation: one impatient client must not fail
	// discovery for the requests queued behind it.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), discoveryTimeout)
	defer cancel()
	verifier, err := v.discover(dctx, ti.cfg)
	if err != nil {
		ti.lastErr = err
		v.logger.LogAttrs(ctx, slog.LevelWarn, "identity provider discovery failed",
			slog.String("issuer", ti.cfg.URL), slog.String("error", err.Error()))
		return nil, unavailable(err)
	}
	ti.verifier = verifier
	ti.lastErr = nil
	v.logger.LogAttrs(ctx, slog.LevelInfo, "identity provider discovered", slog.String("issuer", ti.cfg.URL))
	return verifier, nil
}

// signingAlgs are the algorithms accepted when a provider advertises them;
// never "none" or HMAC, whatever the discovery document says.
func signingAlgs(advertised []string) []string {
	var algs []string
	for _, a := range advertised {
		switch a {
		case oidc.RS256, oidc.RS384, oidc.RS512, oidc.PS256, oidc.PS384, oidc.PS512,
			oidc.ES256, oidc.ES384, oidc.ES512, oidc.EdDSA:
			algs = append(algs, a)
		}
	}
	if len(algs) == 0 {
		algs = []string{oidc.RS256}
	}
	return algs
}

func (v *Verifier) discover(ctx context.Context, is Issuer) (*oidc.IDTokenVerifier, error) {
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, v.client), is.URL)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", is.URL, err)
	}
	var meta struct {
		JWKS string   `json:"jwks_uri"`
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := p.Claims(&meta); err != nil {
		return nil, fmt.Errorf("discover %s: %w", is.URL, err)
	}
	if meta.JWKS == "" {
		return nil, fmt.Errorf("discover %s: no jwks_uri", is.URL)
	}
	keyClient := *v.client
	keyClient.Transport = &keyFetchLimiter{next: transportOf(v.client), interval: v.keyInterval}
	// The key set outlives this request; its context only carries the client.
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), &keyClient), meta.JWKS)
	return oidc.NewVerifier(is.URL, probedKeySet{keys}, &oidc.Config{
		ClientID:             is.Audience,
		SupportedSigningAlgs: signingAlgs(meta.Algs),
		Now:                  func() time.Time { return v.now().Add(-v.skew) },
	}), nil
}

func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

// errKeyFetchLimited is the key set fetch refused by the rate limit.
var errKeyFetchLimited = errors.New("key set fetched too recently")

// keyFetchLimiter spaces out an issuer's key set fetches. go-oidc refetches
// whenever a signature does not verify with the cached keys, which an
// attacker controls; the cached keys keep working meanwhile.
type keyFetchLimiter struct {
	next     http.RoundTripper
	interval time.Duration

	mu   sync.Mutex
	last time.Time
}

func (l *keyFetchLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	l.mu.Lock()
	if !l.last.IsZero() && time.Since(l.last) < l.interval {
		l.mu.Unlock()
		return nil, errKeyFetchLimited
	}
	l.last = time.Now()
	l.mu.Unlock()
	return l.next.RoundTrip(req)
}

// keyProbe records the key set's error for one verification: go-oidc
// flattens it into a string, and Verify needs to tell "the provider is down"
// from "the signature is wrong".
type keyProbe struct{ err error }

type keyProbeKey struct{}

func (p *keyProbe) unreachable() bool {
	var urlErr *url.Error
	return p.err != nil && errors.As(p.err, &urlErr) && !errors.Is(p.err, errKeyFetchLimited)
}

type probedKeySet struct{ inner oidc.KeySet }

func (k probedKeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.inner.VerifySignature(ctx, jwt)
	if err != nil {
		if p, ok := ctx.Value(keyProbeKey{}).(*keyProbe); ok {
			p.err = err
		}
	}
	return payload, err
}
