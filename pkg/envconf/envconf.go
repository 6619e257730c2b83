// Package envconf reads a service's configuration from environment
// variables, the only place it comes from, so that a deployment is
// described by its unit file or manifest alone. Every service reads its
// variables through a Reader, which collects every missing or bad variable
// and reports them at once, so that an operator fixes them in one go.
package envconf

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
)

// The variables more than one service reads.
const (
	DatabaseURL = "DATABASE_URL"
	Member      = "CORRIDOR_MEMBER"
	Directory   = "CORRIDOR_DIRECTORY"
	// DirectoryAnchor is the governance anchor the signed directory is
	// verified against; DirectoryCache, optional, where the last good
	// version is kept.
	DirectoryAnchor = "CORRIDOR_DIRECTORY_ANCHOR"
	DirectoryCache  = "CORRIDOR_DIRECTORY_CACHE"
	NATSURL         = "NATS_URL"
	// NATSSeedFile is the file (mode 0600) holding the seed of the nkey a
	// service signs in to its member's NATS server with; no service has a
	// NATS password.
	NATSSeedFile = "NATS_NKEY_SEED_FILE"
	OIDCIssuer   = "OIDC_ISSUER"
	OIDCAud      = "OIDC_AUDIENCE"
	LogLevel     = "LOG_LEVEL"
	// The web login of people (pkg/weblogin): the public client id, the
	// session cookie's Secure attribute (auto, true, false) and the
	// session timeouts (Go durations such as 30m, 12h).
	OIDCClientID           = "OIDC_CLIENT_ID"
	SessionCookieSecure    = "SESSION_COOKIE_SECURE"
	SessionIdleTimeout     = "SESSION_IDLE_TIMEOUT"
	SessionAbsoluteTimeout = "SESSION_ABSOLUTE_TIMEOUT"
	// The identity provider's claims, for providers that do not use
	// Corridor's own (auth.Claims): the dot paths of the roles, country
	// and agency claims, and the role map ("value=role,value=role").
	OIDCRolesClaim   = "OIDC_ROLES_CLAIM"
	OIDCRoleMap      = "OIDC_ROLE_MAP"
	OIDCCountryClaim = "OIDC_COUNTRY_CLAIM"
	OIDCAgencyClaim  = "OIDC_AGENCY_CLAIM"
)

// Reader reads variables from one environment and remembers what was wrong
// with them until Err.
type Reader struct {
	getenv func(string) string
	errs   []error
}

// New returns a Reader of getenv (os.Getenv, or a map's lookup in tests).
func New(getenv func(string) string) *Reader { return &Reader{getenv: getenv} }

// Optional returns the variable name, or def when it is unset or empty.
func (r *Reader) Optional(name, def string) string {
	if v := r.getenv(name); v != "" {
		return v
	}
	return def
}

// Required returns the variable name, and records an error when it is unset
// or empty.
func (r *Reader) Required(name string) string {
	v := r.getenv(name)
	if v == "" {
		r.errs = append(r.errs, fmt.Errorf("%s is not set", name))
	}
	return v
}

// Member returns the required member code in name, in upper case ("ci"
// and " CI " both read as CI), and records an error for one that is not a
// member code.
func (r *Reader) Member(name string) corridor.MemberCode {
	v := r.Required(name)
	if v == "" {
		return ""
	}
	m := corridor.MemberCode(strings.ToUpper(strings.TrimSpace(v)))
	if !m.Valid() {
		r.errs = append(r.errs, fmt.Errorf("%s: must be a member code such as CI", name))
		return ""
	}
	return m
}

// Audience returns OIDC_AUDIENCE, by default the audience the corridor's
// identity providers issue member's tokens for ("corridor-ci").
func (r *Reader) Audience(member corridor.MemberCode) string {
	def := ""
	if member != "" {
		def = "corridor-" + member.Domain()
	}
	return r.Optional(OIDCAud, def)
}

// Duration returns the variable name as a positive Go duration ("30m",
// "12h"), or def when it is unset, and records an error for anything else.
func (r *Reader) Duration(name string, def time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.errs = append(r.errs, fmt.Errorf("%s: must be a positive duration such as 30m or 12h", name))
		return def
	}
	return d
}

// Count returns the variable name as a positive whole number, or def when
// it is unset, and records an error for anything else.
func (r *Reader) Count(name string, def int64) int64 {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		r.errs = append(r.errs, fmt.Errorf("%s: must be a positive whole number", name))
		return def
	}
	return n
}

// PublicURL returns the variable name: where browsers reach a service, an
// http(s) origin without path. By default it is http:// and the service's
// listen address, with "localhost" for an address that names no host
// (":8080", "0.0.0.0:8080"), which suits a development machine.
func (r *Reader) PublicURL(name, listenAddr string) string {
	v := r.getenv(name)
	if v == "" {
		host, port, err := net.SplitHostPort(listenAddr)
		if err != nil {
			return "http://" + listenAddr
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "localhost"
		}
		return "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: must be an http(s) URL without path, such as https://casework.example", name))
		return ""
	}
	return strings.TrimSuffix(v, "/")
}

// OneOf returns the variable name, or def when it is unset, and records an
// error for a value not among allowed.
func (r *Reader) OneOf(name, def string, allowed ...string) string {
	v := r.Optional(name, def)
	if !slices.Contains(allowed, v) {
		r.errs = append(r.errs, fmt.Errorf("%s: must be one of %s", name, strings.Join(allowed, ", ")))
		return def
	}
	return v
}

// Claims returns where the identity provider puts roles, country and
// agency, and what its role values mean, from OIDC_ROLES_CLAIM,
// OIDC_ROLE_MAP, OIDC_COUNTRY_CLAIM and OIDC_AGENCY_CLAIM; all unset reads
// Corridor's own claims (corridor_roles, corridor_country, corridor_agency).
func (r *Reader) Claims() auth.Claims {
	values, err := auth.ParseRoleValues(r.getenv(OIDCRoleMap))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %w", OIDCRoleMap, err))
	}
	return auth.Claims{
		Roles:      strings.TrimSpace(r.getenv(OIDCRolesClaim)),
		RoleValues: values,
		Country:    strings.TrimSpace(r.getenv(OIDCCountryClaim)),
		Agency:     strings.TrimSpace(r.getenv(OIDCAgencyClaim)),
	}
}

// LogLevel returns LOG_LEVEL: debug, info (the default), warn or error.
func (r *Reader) LogLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(r.Optional(LogLevel, "info"))); err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: must be debug, info, warn or error", LogLevel))
		return slog.LevelInfo
	}
	return l
}

// Err returns every problem found so far, or nil.
func (r *Reader) Err() error {
	if err := errors.Join(r.errs...); err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	return nil
}
