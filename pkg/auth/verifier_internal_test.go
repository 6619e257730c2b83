package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
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
		{"unknown roles are dropped", map[string]any{ClaimRoles: []string{"astronaut", "caseworker", "root"}, ClaimCountry: "ci"}, []corridor.Role{corridor.RoleCaseworker}, "CI", false},
		{"administrator and auditor", map[string]any{ClaimRoles: []string{"admin", "auditor"}, ClaimCountry: "CI"}, []corridor.Role{corridor.RoleAdmin, corridor.RoleAuditor}, "CI", false},
		{"coordinator member", map[string]any{ClaimRoles: []string{"coordinator"}, ClaimCountry: "COORD"}, []corridor.Role{corridor.RoleCoordinator}, "COORD", false},
		{"no roles claim", map[string]any{ClaimCountry: "CI"}, nil, "", true},
		{"roles not a list", map[string]any{ClaimRoles: "caseworker", ClaimCountry: "CI"}, nil, "", true},
		{"roles not strings", map[string]any{ClaimRoles: []any{"caseworker", 7}, ClaimCountry: "CI"}, nil, "", true},
		{"agency not a string", map[string]any{ClaimRoles: []string{"caseworker"}, ClaimCountry: "CI", ClaimAgency: 7}, nil, "", true},
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

// TestProviderClaimShapes reads roles, country and agency where Keycloak and
// Microsoft Entra ID put them, through each issuer's Claims.
func TestProviderClaimShapes(t *testing.T) {
	t.Parallel()
	p := newStaticProvider(t)
	keycloak := Claims{
		Roles:      "realm_access.roles",
		RoleValues: map[string]corridor.Role{"labour-inspector": corridor.RoleInspector, "dpe-officer": corridor.RoleCaseworker},
		Country:    "corridor.country",
		Agency:     "corridor.agency",
	}
	entra := Claims{
		Roles:      "roles",
		RoleValues: map[string]corridor.Role{"Corridor.Supervisor": corridor.RoleSupervisor, "Corridor.Caseworker": corridor.RoleCaseworker},
		Country:    "ctry",
		Agency:     "extn.corridorAgency",
	}
	tests := []struct {
		name       string
		claims     Claims
		member     corridor.MemberCode
		token      map[string]any
		wantRoles  []corridor.Role
		wantMember corridor.MemberCode
		wantAgency string
		wantErr    bool
	}{
		{
			name: "Keycloak realm roles", claims: keycloak, member: "CI",
			token: map[string]any{
				"realm_access": map[string]any{"roles": []string{"offline_access", "labour-inspector", "uma_authorization"}},
				"corridor":     map[string]any{"country": "CI", "agency": "CI-DGT"},
			},
			wantRoles: []corridor.Role{corridor.RoleInspector}, wantMember: "CI", wantAgency: "CI-DGT",
		},
		{
			name: "Keycloak: corridor names do not count once a map is given", claims: keycloak, member: "CI",
			token:     map[string]any{"realm_access": map[string]any{"roles": []string{"supervisor", "dpe-officer"}}},
			wantRoles: []corridor.Role{corridor.RoleCaseworker}, wantMember: "CI",
		},
		{
			name: "Keycloak: no realm roles", claims: keycloak, member: "CI",
			token: map[string]any{"realm_access": map[string]any{}, ClaimRoles: []string{"supervisor"}}, wantErr: true,
		},
		{
			name: "Entra ID app roles", claims: entra, member: "BF",
			token:     map[string]any{"roles": []string{"Corridor.Supervisor", "Corridor.Caseworker", "Corridor.Supervisor"}, "ctry": "BF", "extn.corridorAgency": "BF-DPE"},
			wantRoles: []corridor.Role{corridor.RoleSupervisor, corridor.RoleCaseworker}, wantMember: "BF", wantAgency: "BF-DPE",
		},
		{
			name: "Entra ID: no country claim, the pinned member", claims: entra, member: "BF",
			token:     map[string]any{"roles": []string{"Corridor.Caseworker"}},
			wantRoles: []corridor.Role{corridor.RoleCaseworker}, wantMember: "BF",
		},
		{
			name: "Entra ID: another country", claims: entra, member: "BF",
			token: map[string]any{"roles": []string{"Corridor.Caseworker"}, "ctry": "CI"}, wantErr: true,
		},
		{
			name: "Entra ID: unmapped roles only", claims: entra, member: "BF",
			token:     map[string]any{"roles": []string{"Directory.Reader", "caseworker"}},
			wantRoles: nil, wantMember: "BF",
		},
		{
			name: "no country claim and no pinned member", claims: entra,
			token: map[string]any{"roles": []string{"Corridor.Caseworker"}}, wantErr: true,
		},
		{
			name: "default claims ignore Keycloak's", member: "CI",
			token: map[string]any{"realm_access": map[string]any{"roles": []string{"caseworker"}}, ClaimCountry: "CI"}, wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewVerifier(Config{Issuers: []Issuer{{URL: p.url, Audience: "corridor-ci", Member: tt.member, Claims: tt.claims}}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(t.Context(), p.sign(t, tt.token))
			if tt.wantErr {
				if corridor.KindOf(err) != corridor.KindUnauthorized {
					t.Errorf("Verify() = %+v, %v; want unauthorized", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify(): %v", err)
			}
			if !slices.Equal(got.Roles, tt.wantRoles) || got.Country != tt.wantMember || got.Agency != tt.wantAgency {
				t.Errorf("Verify() = %+v, want roles %v, member %s, agency %q", got, tt.wantRoles, tt.wantMember, tt.wantAgency)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	claims := map[string]any{
		"roles":        []any{"a"},
		"realm_access": map[string]any{"roles": []any{"b"}},
		"extn.agency":  "flat",
		"extn":         map[string]any{"other": "nested"},
		"deep":         map[string]any{"a": map[string]any{"b.c": "d"}},
	}
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"roles", []any{"a"}, true},
		{"realm_access.roles", []any{"b"}, true},
		{"extn.agency", "flat", true},
		{"extn.other", "nested", true},
		{"deep.a.b.c", "d", true},
		{"realm_access.groups", nil, false},
		{"roles.x", nil, false},
		{"missing", nil, false},
	}
	for _, tt := range tests {
		got, ok := lookup(claims, tt.path)
		if ok != tt.ok || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("lookup(%q) = %v, %v; want %v, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseRoleValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    map[string]corridor.Role
		wantErr bool
	}{
		{"", nil, false},
		{"  ", nil, false},
		{"labour-inspector=inspector, dpe-officer=caseworker,dpe-head=supervisor", map[string]corridor.Role{
			"labour-inspector": corridor.RoleInspector, "dpe-officer": corridor.RoleCaseworker, "dpe-head": corridor.RoleSupervisor}, false},
		{"a=caseworker,b=caseworker", map[string]corridor.Role{"a": corridor.RoleCaseworker, "b": corridor.RoleCaseworker}, false},
		{"Corridor.Admin=admin,Corridor.Audit=auditor", map[string]corridor.Role{"Corridor.Admin": corridor.RoleAdmin, "Corridor.Audit": corridor.RoleAuditor}, false},
		{"a=root", nil, true},
		{"a", nil, true},
		{"=caseworker", nil, true},
		{"a=caseworker,a=supervisor", nil, true},
		{"a=caseworker,", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseRoleValues(tt.in)
		if (err != nil) != tt.wantErr || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("ParseRoleValues(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestForgedTokens: tokens a provider did not sign, or signed for another
// time, are refused whatever they claim.
func TestForgedTokens(t *testing.T) {
	t.Parallel()
	p := newStaticProvider(t)
	v, err := NewVerifier(Config{Issuers: []Issuer{{URL: p.url, Audience: "corridor-ci", Member: "CI"}}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]any{ClaimRoles: []string{"supervisor"}, ClaimCountry: "CI", ClaimAgency: "CI-DPE"}
	with := func(extra map[string]any) map[string]any {
		out := maps.Clone(good)
		maps.Copy(out, extra)
		return out
	}
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signWith := func(alg jose.SignatureAlgorithm, key any, kid string) string {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		claims := with(map[string]any{"iss": p.url, "aud": "corridor-ci", "sub": "s1", "exp": time.Now().Add(time.Hour).Unix()})
		payload, _ := json.Marshal(claims)
		jws, err := signer.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := jws.CompactSerialize()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	unsigned := func() string {
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
		payload, _ := json.Marshal(with(map[string]any{"iss": p.url, "aud": "corridor-ci", "sub": "s1", "exp": time.Now().Add(time.Hour).Unix()}))
		return header + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
	}
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"well signed (control)", p.sign(t, good), true},
		{"not yet valid", p.sign(t, with(map[string]any{"nbf": time.Now().Add(time.Hour).Unix()})), false},
		{"expired", p.sign(t, with(map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})), false},
		{"for another audience", p.sign(t, with(map[string]any{"aud": "corridor-bf"})), false},
		{"another issuer inside", p.sign(t, with(map[string]any{"iss": p.url + "/evil"})), false},
		{"unknown key id", signWith(jose.ES256, otherKey, "k2"), false},
		{"another key under the known id", signWith(jose.ES256, otherKey, "k1"), false},
		{"HMAC", signWith(jose.HS256, []byte("a secret the attacker chose, long enough"), "k1"), false},
		{"alg none", unsigned(), false},
		{"no role claim", p.sign(t, with(map[string]any{ClaimRoles: nil})), false},
		{"another country", p.sign(t, with(map[string]any{ClaimCountry: "BF"})), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := v.Verify(t.Context(), tt.token)
			if tt.ok {
				if err != nil || !got.Has(corridor.RoleSupervisor) {
					t.Fatalf("Verify() = %+v, %v", got, err)
				}
				return
			}
			if corridor.KindOf(err) != corridor.KindUnauthorized {
				t.Errorf("Verify() = %+v, %v; want unauthorized", got, err)
			}
		})
	}
}

func TestNewVerifierClaims(t *testing.T) {
	t.Parallel()
	for _, c := range []Claims{
		{Roles: "realm_access..roles"},
		{Country: ".ctry"},
		{RoleValues: map[string]corridor.Role{"x": "root"}},
		{RoleValues: map[string]corridor.Role{"": corridor.RoleInspector}},
	} {
		if _, err := NewVerifier(Config{Issuers: []Issuer{{URL: "http://127.0.0.1:1", Audience: "a", Claims: c}}}, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
			t.Errorf("NewVerifier accepted claims %+v", c)
		}
	}
}
