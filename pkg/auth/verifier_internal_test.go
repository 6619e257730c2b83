package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// staticProvider serves discovery and a JWKS for one ES256 key, so that
// tests can sign claims no well-behaved provider would issue.
type staticProvider struct {
	url    string
	signer jose.Signer
}

func newStaticProvider(t *testing.T) *staticProvider {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": srv.URL, "jwks_uri": srv.URL + "/keys",
			"authorization_endpoint": srv.URL + "/authorize", "token_endpoint": srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"ES256", "HS256", "none"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	return &staticProvider{url: srv.URL, signer: signer}
}

func (p *staticProvider) sign(t *testing.T, claims map[string]any) string {
	t.Helper()
	base := map[string]any{"iss": p.url, "aud": "corridor-ci", "sub": "s1", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	for k, v := range claims {
		if v == nil {
			delete(base, k)
			continue
		}
		base[k] = v
	}
	payload, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := p.signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestClaimMapping(t *testing.T) {
	t.Parallel()
	p := newStaticProvider(t)
	v, err := NewVerifier(Config{Issuers: []Issuer{{URL: p.url, Audience: "corridor-ci"}}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		claims     map[string]any
		wantRoles  []corridor.Role
		wantMember corridor.MemberCode
		wantErr    bool
	}{
		{"unknown roles are dropped", map[string]any{ClaimRoles: []string{"astronaut", "caseworker", "admin"}, ClaimCountry: "ci"}, []corridor.Role{corridor.RoleCaseworker}, "CI", false},
		{"coordinator member", map[string]any{ClaimRoles: []string{"coordinator"}, ClaimCountry: "COORD"}, []corridor.Role{corridor.RoleCoordinator}, "COORD", false},
		{"no roles claim", map[string]any{ClaimCountry: "CI"}, nil, "", true},
		{"roles not a list", map[string]any{ClaimRoles: "caseworker", ClaimCountry: "CI"}, nil, "", true},
		{"no country", map[string]any{ClaimRoles: []string{"caseworker"}}, nil, "", true},
		{"country not a code", map[string]any{ClaimRoles: []string{"caseworker"}, ClaimCountry: "Côte d'Ivoire"}, nil, "", true},
		{"no subject", map[string]any{ClaimRoles: []string{"caseworker"}, ClaimCountry: "CI", "sub": nil}, nil, "", true},
		{"nonce betrays an ID token", map[string]any{ClaimRoles: []string{"caseworker"}, ClaimCountry: "CI", "nonce": "n"}, nil, "", true},
		{"audience list", map[string]any{ClaimRoles: []string{"caseworker"}, ClaimCountry: "CI", "aud": []string{"other", "corridor-ci"}}, []corridor.Role{corridor.RoleCaseworker}, "CI", false},
		{"no expiry is expired", map[string]any{ClaimRoles: []string{"caseworker"}, ClaimCountry: "CI", "exp": nil}, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := v.Verify(t.Context(), p.sign(t, tt.claims))
			if tt.wantErr {
				if corridor.KindOf(err) != corridor.KindUnauthorized {
					t.Errorf("Verify() = %+v, %v; want unauthorized", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify(): %v", err)
			}
			if !slices.Equal(got.Roles, tt.wantRoles) || got.Country != tt.wantMember {
				t.Errorf("Verify() = %+v", got)
			}
		})
	}
}

func TestSigningAlgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want []string
	}{
		{nil, []string{"RS256"}},
		{[]string{"none", "HS256"}, []string{"RS256"}},
		{[]string{"RS256", "HS256", "ES256", "none", "EdDSA"}, []string{"RS256", "ES256", "EdDSA"}},
	}
	for _, tt := range tests {
		if got := signingAlgs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("signingAlgs(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestUnverifiedIssuer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw     string
		want    string
		wantErr bool
	}{
		{"e30.eyJpc3MiOiJodHRwOi8vaWRwIn0.c2ln", "http://idp", false},
		{"e30.e30.c2ln", "", true},          // no iss
		{"e30.eyJpc3MiOjF9.c2ln", "", true}, // iss not a string
		{"e30.eyJpc3Mi.c2ln", "", true},     // truncated JSON
		{"e30.!!!.c2ln", "", true},          // not base64url
		{"e30.eyJpc3MiOiJ4In0", "", true},   // two segments
		{"a.b.c.d.e", "", true},             // JWE shape
	}
	for _, tt := range tests {
		got, err := unverifiedIssuer(tt.raw)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("unverifiedIssuer(%q) = %q, %v; want %q, error %v", tt.raw, got, err, tt.want, tt.wantErr)
		}
	}
}
