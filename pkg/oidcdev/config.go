package oidcdev

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
)

// DefaultTokenLifetime is the access token lifetime when Config leaves it
// zero. The sandbox promises tokens valid for at least eight hours, so that a
// working day of demos needs one login.
const DefaultTokenLifetime = 8*time.Hour + 30*time.Minute

// Claim names carried by access tokens, beyond the registered ones: those
// pkg/auth reads.
const (
	ClaimRoles   = auth.ClaimRoles
	ClaimCountry = auth.ClaimCountry
	ClaimAgency  = auth.ClaimAgency
)

// Config configures a Provider.
type Config struct {
	// Issuer is the URL the provider is served at, exactly as clients will
	// reach it (for example "http://127.0.0.1:9001"), without a trailing
	// slash. Tokens carry it as "iss" and verifiers compare it byte for byte,
	// so create the listener first when the port is chosen by the system.
	Issuer string
	// Audience is the "aud" of access tokens: the member's API (for example
	// "corridor-ci"), as the directory lists it.
	Audience string
	// Country is the member the provider speaks for. It is the
	// corridor_country of clients' tokens and of users that name none.
	Country corridor.MemberCode
	Users   []User
	Clients []Client
	// TokenLifetime is the lifetime of access and ID tokens;
	// DefaultTokenLifetime when zero.
	TokenLifetime time.Duration
	// SigningKey, when set, signs tokens. Otherwise KeyFile is used: a PEM
	// RSA private key loaded from the file, or generated and written there
	// (mode 0600) if it does not exist, so tokens stay valid across restarts.
	// With neither, a key is generated for the life of the process.
	SigningKey *rsa.PrivateKey
	KeyFile    string
}

// User is a person who can log in with the browser flow.
type User struct {
	Username string
	Password string
	// Subject is the stable "sub" claim; Username when empty.
	Subject string
	// Name is the display name ("name" claim).
	Name  string
	Roles []string
	// Country is the user's corridor_country; Config.Country when empty.
	Country corridor.MemberCode
	// Agency is the user's corridor_agency, an agency id from the directory.
	Agency string
	// Claims are added to the user's access tokens, replacing corridor
	// claims of the same name: for tests of other providers' claim shapes
	// (Keycloak's realm_access.roles, Entra ID's roles). Registered claims
	// (iss, sub, aud, exp) cannot be replaced.
	Claims map[string]any
}

// Client is an OAuth client: a web or native app using the browser flow
// (RedirectURIs), a machine using the client credentials grant (Secret,
// Roles), or both.
type Client struct {
	ID string
	// Secret authenticates a confidential client. Public clients (Public
	// true) have none and must use PKCE with S256.
	Secret string
	Public bool
	// RedirectURIs are the exact redirect URIs the browser flow may return
	// to; without any, the client cannot use it.
	RedirectURIs []string
	// PostLogoutRedirectURIs are where end-session may send the browser.
	PostLogoutRedirectURIs []string
	// Roles, Agency: the corridor claims of tokens the client gets for
	// itself with the client credentials grant (usually "service").
	Roles  []string
	Agency string
	// Audience overrides Config.Audience for this client's tokens, for a
	// resource server with an audience of its own (NATS auth callout).
	Audience string
}

// validRole reports whether role is a role a token may carry.
func validRole(role string) bool { return corridor.Role(role).Valid() }

// withDefaults returns a copy of cfg with defaults applied and checks it.
func (cfg Config) withDefaults() (Config, error) {
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	if cfg.TokenLifetime == 0 {
		cfg.TokenLifetime = DefaultTokenLifetime
	}
	cfg.Users = slices.Clone(cfg.Users)
	for i := range cfg.Users {
		u := &cfg.Users[i]
		if u.Subject == "" {
			u.Subject = u.Username
		}
		if u.Country == "" {
			u.Country = cfg.Country
		}
	}
	cfg.Clients = slices.Clone(cfg.Clients)
	for i := range cfg.Clients {
		c := &cfg.Clients[i]
		if c.Audience == "" {
			c.Audience = cfg.Audience
		}
	}
	return cfg, cfg.validate()
}

func (cfg Config) validate() error {
	var errs []error
	u, err := url.Parse(cfg.Issuer)
	switch {
	case cfg.Issuer == "":
		errs = append(errs, errors.New("issuer is required"))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		errs = append(errs, fmt.Errorf("issuer %q is not an http(s) URL without query or fragment", cfg.Issuer))
	}
	if cfg.Audience == "" {
		errs = append(errs, errors.New("audience is required"))
	}
	if cfg.Country == "" {
		errs = append(errs, errors.New("country is required"))
	}
	if cfg.TokenLifetime < 0 {
		errs = append(errs, errors.New("token lifetime is negative"))
	}
	usernames := map[string]bool{}
	subjects := map[string]bool{}
	for i, u := range cfg.Users {
		switch {
		case u.Username == "":
			errs = append(errs, fmt.Errorf("user %d: username is required", i))
		case usernames[u.Username]:
			errs = append(errs, fmt.Errorf("user %q: duplicate username", u.Username))
		case subjects[u.Subject]:
			errs = append(errs, fmt.Errorf("user %q: duplicate subject", u.Username))
		}
		usernames[u.Username] = true
		subjects[u.Subject] = true
		if u.Password == "" {
			errs = append(errs, fmt.Errorf("user %q: password is required", u.Username))
		}
		for _, r := range u.Roles {
			if !validRole(r) {
				errs = append(errs, fmt.Errorf("user %q: unknown role %q", u.Username, r))
			}
		}
	}
	clientIDs := map[string]bool{}
	for i, c := range cfg.Clients {
		switch {
		case c.ID == "":
			errs = append(errs, fmt.Errorf("client %d: id is required", i))
		case clientIDs[c.ID]:
			errs = append(errs, fmt.Errorf("client %q: duplicate id", c.ID))
		}
		clientIDs[c.ID] = true
		if c.Public && c.Secret != "" {
			errs = append(errs, fmt.Errorf("client %q: a public client has no secret", c.ID))
		}
		if !c.Public && c.Secret == "" {
			errs = append(errs, fmt.Errorf("client %q: a confidential client needs a secret", c.ID))
		}
		if c.Public && len(c.RedirectURIs) == 0 {
			errs = append(errs, fmt.Errorf("client %q: a public client needs redirect URIs", c.ID))
		}
		for _, r := range c.Roles {
			if !validRole(r) {
				errs = append(errs, fmt.Errorf("client %q: unknown role %q", c.ID, r))
			}
		}
		for _, uri := range slices.Concat(c.RedirectURIs, c.PostLogoutRedirectURIs) {
			if ru, err := url.Parse(uri); err != nil || !ru.IsAbs() || ru.Fragment != "" {
				errs = append(errs, fmt.Errorf("client %q: redirect URI %q is not an absolute URL without fragment", c.ID, uri))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("validate config: %w", err)
	}
	return nil
}

// DemoPassword is the password of every DemoUsers user.
const DemoPassword = "corridor-demo"

// DemoUsers returns one user per person-role for a member, for the sandbox:
// a labour inspector of the labour directorate (agency "<CC>-DGT"), a
// child-protection caseworker and a supervisor (who is a caseworker too) of the
// child-protection directorate ("<CC>-DPE"), the country's administrator and
// auditor (at "<CC>-DPE", which runs the country's casework), and a
// corridor focal point with the coordinator role. Usernames are
// "<cc>-<role>" ("ci-inspector", "ci-supervisor", "ci-admin"); passwords are
// DemoPassword. The agency ids must match the directory the sandbox
// publishes.
func DemoUsers(country corridor.MemberCode) []User {
	cc := string(country)
	lower := strings.ToLower(cc)
	user := func(name, agency string, roles ...corridor.Role) User {
		u := User{
			Username: lower + "-" + string(roles[len(roles)-1]),
			Password: DemoPassword,
			Name:     name,
			Country:  country,
			Agency:   agency,
		}
		for _, r := range roles {
			u.Roles = append(u.Roles, string(r))
		}
		return u
	}
	return []User{
		user("Demo Inspector ("+cc+")", cc+"-DGT", corridor.RoleInspector),
		user("Demo Caseworker ("+cc+")", cc+"-DPE", corridor.RoleCaseworker),
		// A supervisor also handles cases; the role adds the consent override.
		user("Demo Supervisor ("+cc+")", cc+"-DPE", corridor.RoleCaseworker, corridor.RoleSupervisor),
		user("Demo Focal Point ("+cc+")", cc+"-DPE", corridor.RoleCoordinator),
		user("Demo Administrator ("+cc+")", cc+"-DPE", corridor.RoleAdmin),
		user("Demo Auditor ("+cc+")", cc+"-DPE", corridor.RoleAuditor),
	}
}
