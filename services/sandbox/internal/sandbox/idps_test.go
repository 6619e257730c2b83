package sandbox

import (
	"slices"
	"testing"

	"github.com/corridor-org/corridor/pkg/weblogin"
)

// TestIdPRegistersWebLogin: each country's provider lets its casework, its
// relay and the coordinator sign people in and out, and nothing else.
func TestIdPRegistersWebLogin(t *testing.T) {
	t.Parallel()
	s := &Sandbox{dir: t.TempDir()}
	ports := map[string]int{"casework-ci": 8101, "casework-bf": 8102, "relay-ci": 8201, "relay-bf": 8202, "coordinator": 8100, "idp-ci": 9101, "idp-bf": 9102, "idp-coord": 9100}
	for _, m := range countries() {
		cfg := s.idpConfig(m, ports)
		if len(cfg.Clients) != 1 || cfg.Clients[0].ID != weblogin.DefaultClientID || !cfg.Clients[0].Public {
			t.Fatalf("%s clients = %+v", m.Code, cfg.Clients)
		}
		c := cfg.Clients[0]
		casework := httpURL(ports["casework-"+m.domain()])
		relay := httpURL(ports["relay-"+m.domain()])
		coordinator := httpURL(ports["coordinator"])
		wantRedirects := []string{toolRedirectURI, casework + weblogin.CallbackPath, relay + weblogin.CallbackPath, coordinator + weblogin.CallbackPath}
		wantLogout := []string{casework + weblogin.LoggedOutPath, relay + weblogin.LoggedOutPath, coordinator + weblogin.LoggedOutPath}
		if !slices.Equal(c.RedirectURIs, wantRedirects) || !slices.Equal(c.PostLogoutRedirectURIs, wantLogout) {
			t.Errorf("%s: redirect URIs %q, post-logout %q; want %q, %q", m.Code, c.RedirectURIs, c.PostLogoutRedirectURIs, wantRedirects, wantLogout)
		}
	}
}
