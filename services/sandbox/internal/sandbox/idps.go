package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"golang.org/x/oauth2"

	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/pkg/weblogin"
	"github.com/corridor-org/corridor/services/sandbox/internal/idp"
	"github.com/corridor-org/corridor/services/sandbox/internal/state"
)

// webClientID is the public OAuth client users log in with (PKCE).
const webClientID = weblogin.DefaultClientID

// toolRedirectURI is the loopback redirect URI registered for tools that
// log in without a browser (PasswordLogin stops at the redirect and never
// requests it).
const toolRedirectURI = "http://127.0.0.1/callback"

// tokenLifetime is the demo tokens' lifetime: at least the eight hours
// docs/operations.md promises, so that a day of demos needs one start.
const tokenLifetime = 8*time.Hour + 30*time.Minute

// idpConfig is the configuration of m's identity provider.
func (s *Sandbox) idpConfig(m member, ports map[string]int) idp.Config {
	d := m.domain()
	redirects := []string{toolRedirectURI}
	var postLogout []string
	// The web pages' login callbacks and where logout comes back to: the
	// member's casework and relay (its administrator's quarantine pages),
	// and the coordinator, whose people sign in with their own country's
	// provider.
	var apps []int
	if m.Country {
		apps = append(apps, ports["casework-"+d], ports["relay-"+d])
	}
	apps = append(apps, ports["coordinator"])
	for _, port := range apps {
		redirects = append(redirects, httpURL(port)+weblogin.CallbackPath)
		postLogout = append(postLogout, httpURL(port)+weblogin.LoggedOutPath)
	}
	cfg := idp.Config{
		Addr:          hostPort(ports["idp-"+d]),
		Issuer:        httpURL(ports["idp-"+d]),
		Audience:      m.audience(),
		Country:       string(m.Code),
		KeyFile:       s.path("idp", d+"-signing-key.pem"),
		TokenLifetime: tokenLifetime.String(),
		Clients: []idp.Client{{
			ID:                     webClientID,
			Public:                 true,
			RedirectURIs:           redirects,
			PostLogoutRedirectURIs: postLogout,
		}},
	}
	for _, u := range demoUsers() {
		if u.Member != m.Code {
			continue
		}
		cfg.Users = append(cfg.Users, idp.User{
			Username: u.Username,
			Password: demoPassword,
			Name:     u.Name,
			Roles:    roleNames(u.Roles),
			Country:  string(u.Member),
			Agency:   u.Agency,
		})
	}
	return cfg
}

// startIdPs writes each member's provider configuration and starts it as
// `sandbox idp`, then waits for each one's discovery document.
func (s *Sandbox) startIdPs(ctx context.Context, ports map[string]int) error {
	if err := os.MkdirAll(s.path("idp"), 0o700); err != nil {
		return fmt.Errorf("start identity providers: %w", err)
	}
	for _, m := range members() {
		name := "idp-" + m.domain()
		cfg := s.idpConfig(m, ports)
		b, err := json.MarshalIndent(cfg, "", "  ")
		if err != nil {
			return fmt.Errorf("start identity providers: %w", err)
		}
		path := s.path("idp", m.domain()+".json")
		if err := state.WriteFileAtomic(path, append(b, '\n'), 0o600); err != nil {
			return fmt.Errorf("start identity providers: %w", err)
		}
		if err := s.startProcess(name, s.cfg.Self, []string{"idp", "-config", path}, s.baseEnv()); err != nil {
			return err
		}
	}
	for _, m := range members() {
		issuer := httpURL(ports["idp-"+m.domain()])
		if err := s.waitReady(ctx, "idp-"+m.domain(), httpOK(s.client, issuer+"/.well-known/openid-configuration")); err != nil {
			return err
		}
	}
	return nil
}

// login logs a demo user in through the real code flow with PKCE.
func (s *Sandbox) login(ctx context.Context, issuer, username string) (*oauth2.Token, error) {
	tok, err := oidcdev.PasswordLogin(ctx, s.client, issuer, webClientID, toolRedirectURI, username, demoPassword)
	if err != nil {
		return nil, fmt.Errorf("log in %s: %w", username, err)
	}
	return tok, nil
}

// issueTokens logs every demo user in and lists them, with their tokens, in
// e.Users.
func (s *Sandbox) issueTokens(ctx context.Context, e *Endpoints) error {
	e.Users = e.Users[:0]
	for _, u := range demoUsers() {
		issuer := e.Coordinator.IdP
		if me, ok := e.Members[string(u.Member)]; ok {
			issuer = me.IdP
		}
		tok, err := s.login(ctx, issuer, u.Username)
		if err != nil {
			return fmt.Errorf("issue demo tokens: %w", err)
		}
		e.Users = append(e.Users, User{
			Username:    u.Username,
			Password:    demoPassword,
			Role:        string(u.Roles[len(u.Roles)-1]),
			Country:     string(u.Member),
			Agency:      u.Agency,
			AccessToken: tok.AccessToken,
			Issuer:      issuer,
			ExpiresAt:   tok.Expiry.UTC().Format(time.RFC3339),
		})
	}
	return nil
}

func roleNames[R ~string](roles []R) []string {
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		out = append(out, string(r))
	}
	return out
}
