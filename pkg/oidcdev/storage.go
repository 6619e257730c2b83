package oidcdev

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// Limits on the browser flow's state, which lives in memory.
const (
	// authRequestLifetime bounds the time from /authorize to the code
	// exchange: long enough for a person to type a password.
	authRequestLifetime = 10 * time.Minute
	// codeLifetime bounds the time from the redirect to the code exchange
	// (RFC 6749 recommends at most ten minutes; clients take seconds).
	codeLifetime = time.Minute
)

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.ClientCredentialsStorage       = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
)

// storage is the provider's op.Storage: users and clients from Config, auth
// requests in a map. Tokens are self-contained JWTs, so none are stored.
type storage struct {
	issuer   string
	country  corridor.MemberCode
	lifetime time.Duration
	key      *signingKey
	now      func() time.Time

	users     map[string]*User // by username
	subjects  map[string]*User // by subject
	clients   map[string]*Client
	loginBase string // login page URL, with a trailing "?authRequestID="

	mu       sync.Mutex
	requests map[string]*authRequest
	codes    map[string]string // code -> auth request id
}

func newStorage(cfg Config, key *signingKey) *storage {
	s := &storage{
		issuer:    cfg.Issuer,
		country:   cfg.Country,
		lifetime:  cfg.TokenLifetime,
		key:       key,
		now:       time.Now,
		users:     make(map[string]*User, len(cfg.Users)),
		subjects:  make(map[string]*User, len(cfg.Users)),
		clients:   make(map[string]*Client, len(cfg.Clients)),
		loginBase: cfg.Issuer + loginPath + "?" + loginRequestParam + "=",
		requests:  make(map[string]*authRequest),
		codes:     make(map[string]string),
	}
	for i := range cfg.Users {
		u := &cfg.Users[i]
		s.users[u.Username] = u
		s.subjects[u.Subject] = u
	}
	for i := range cfg.Clients {
		c := &cfg.Clients[i]
		s.clients[c.ID] = c
	}
	return s
}

// authRequest is one browser login in progress. The storage hands out
// copies, so that the op package never reads a request while a login
// completes it.
type authRequest struct {
	id            string
	createdAt     time.Time
	clientID      string
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge
	audience      []string

	subject  string
	done     bool
	authTime time.Time
	codeAt   time.Time
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAudience() []string                 { return a.audience }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

func (a *authRequest) GetAMR() []string {
	if a.done {
		return []string{"pwd"}
	}
	return nil
}

func (a *authRequest) clone() *authRequest {
	c := *a
	c.scopes = slices.Clone(a.scopes)
	c.audience = slices.Clone(a.audience)
	return &c
}

// clientTokenRequest is a client credentials grant: the client acts as
// itself.
type clientTokenRequest struct {
	client *Client
	scopes []string
}

func (r *clientTokenRequest) GetSubject() string    { return r.client.ID }
func (r *clientTokenRequest) GetAudience() []string { return []string{r.client.Audience} }
func (r *clientTokenRequest) GetScopes() []string   { return r.scopes }

// CreateAuthRequest stores a validated authorization request. It is also
// where PKCE is enforced: op only checks a challenge that was sent, so a
// public client leaving it out, or any client asking for the "plain" method,
// is refused here.
func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	client, ok := s.clients[req.ClientID]
	if !ok {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		// There are no sessions: every login needs the login page.
		return nil, oidc.ErrLoginRequired()
	}
	var challenge *oidc.CodeChallenge
	switch {
	case req.CodeChallenge == "" && client.Public:
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method S256 is required")
	case req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	case req.CodeChallenge != "":
		challenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: oidc.CodeChallengeMethodS256}
	}
	now := s.now()
	a := &authRequest{
		id:            corridor.NewID("ar_"),
		createdAt:     now,
		clientID:      client.ID,
		redirectURI:   req.RedirectURI,
		state:         req.State,
		nonce:         req.Nonce,
		scopes:        slices.Clone(req.Scopes),
		responseType:  req.ResponseType,
		responseMode:  req.ResponseMode,
		codeChallenge: challenge,
		audience:      []string{client.Audience},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	s.requests[a.id] = a
	return a.clone(), nil
}

// pruneLocked forgets abandoned logins, so that memory stays bounded however
// many logins are started and never finished.
func (s *storage) pruneLocked(now time.Time) {
	for id, a := range s.requests {
		if now.Sub(a.createdAt) > authRequestLifetime {
			delete(s.requests, id)
		}
	}
	for code, id := range s.codes {
		if _, ok := s.requests[id]; !ok {
			delete(s.codes, code)
		}
	}
}

func (s *storage) requestLocked(id string) (*authRequest, error) {
	a, ok := s.requests[id]
	if !ok || s.now().Sub(a.createdAt) > authRequestLifetime {
		return nil, errors.New("auth request not found or expired")
	}
	return a, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.requestLocked(id)
	if err != nil {
		return nil, err
	}
	return a.clone(), nil
}

func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.codes[code]
	if !ok {
		return nil, errors.New("code not found")
	}
	a, err := s.requestLocked(id)
	if err != nil {
		return nil, err
	}
	if s.now().Sub(a.codeAt) > codeLifetime {
		return nil, errors.New("code expired")
	}
	return a.clone(), nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.requestLocked(id)
	if err != nil {
		return err
	}
	a.codeAt = s.now()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest is called once the code is exchanged, which makes codes
// single-use.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// login checks a username and password for the auth request id and, when
// they match, marks the request as authenticated by that user. It returns
// the client id for the log.
func (s *storage) login(id, username, password string) (clientID string, err error) {
	u, known := s.users[username]
	// Compare even for unknown users, so that timing says less about which
	// usernames exist.
	want := DemoPassword
	if known {
		want = u.Password
	}
	match := subtle.ConstantTimeCompare([]byte(password), []byte(want)) == 1 && known

	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.requestLocked(id)
	if err != nil {
		return "", errLoginExpired
	}
	if a.done {
		return a.clientID, errLoginExpired
	}
	if !match {
		return a.clientID, errBadCredentials
	}
	a.subject = u.Subject
	a.done = true
	a.authTime = s.now()
	return a.clientID, nil
}

var (
	errBadCredentials = errors.New("wrong username or password")
	errLoginExpired   = errors.New("login request not found, expired or already used")
)

func (s *storage) CreateAccessToken(_ context.Context, _ op.TokenRequest) (string, time.Time, error) {
	return corridor.NewID("at_"), s.now().Add(s.lifetime), nil
}

// CreateAccessAndRefreshTokens is only called for clients with the refresh
// token grant, which no client here has.
func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType().WithDescription("refresh tokens are not issued")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, oidc.ErrInvalidGrant().WithDescription("refresh tokens are not issued")
}

// TerminateSession has nothing to end: there are no sessions and no refresh
// tokens, and access tokens are self-contained.
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

// RevokeToken refuses: resource servers verify access tokens offline, so a
// revocation here would promise what it cannot keep. Tokens expire instead.
func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrRequestNotSupported().WithDescription("access tokens are self-contained JWTs and cannot be revoked")
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := s.clients[id]
	if !ok {
		return nil, errors.New("unknown client")
	}
	return &opClient{c: c, loginBase: s.loginBase, lifetime: s.lifetime}, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	_, err := s.confidentialClient(id, secret)
	return err
}

func (s *storage) confidentialClient(id, secret string) (*Client, error) {
	c, ok := s.clients[id]
	if !ok || c.Public || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return nil, errors.New("wrong client id or secret")
	}
	return c, nil
}

func (s *storage) ClientCredentials(_ context.Context, id, secret string) (op.Client, error) {
	c, err := s.confidentialClient(id, secret)
	if err != nil {
		return nil, err
	}
	return &opClient{c: c, loginBase: s.loginBase, lifetime: s.lifetime}, nil
}

func (s *storage) ClientCredentialsTokenRequest(_ context.Context, id string, scopes []string) (op.TokenRequest, error) {
	c, ok := s.clients[id]
	if !ok {
		return nil, errors.New("unknown client")
	}
	return &clientTokenRequest{client: c, scopes: slices.Clone(scopes)}, nil
}

// SetUserinfoFromScopes is deprecated in op in favour of
// SetUserinfoFromRequest and must do nothing.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's user claims. ID tokens carry
// no corridor claims: they are for the client, and an API must not mistake
// one for an access token.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	u, ok := s.subjects[req.GetSubject()]
	if !ok {
		return fmt.Errorf("unknown subject")
	}
	info.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.PreferredUsername = u.Username
		info.Name = u.Name
	}
	return nil
}

// SetUserinfoFromToken answers /userinfo for a token op has verified.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, _, subject, _ string) error {
	claims, err := s.claimsForSubject(subject)
	if err != nil {
		return err
	}
	info.Subject = subject
	info.PreferredUsername, _ = claims["preferred_username"].(string)
	info.Name, _ = claims["name"].(string)
	for _, k := range []string{ClaimRoles, ClaimCountry, ClaimAgency} {
		if v, ok := claims[k]; ok {
			info.AppendClaims(k, v)
		}
	}
	return nil
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, _, subject, _ string) error {
	claims, err := s.claimsForSubject(subject)
	if err != nil {
		return err
	}
	resp.Subject = subject
	resp.Username, _ = claims["preferred_username"].(string)
	resp.Issuer = s.issuer
	resp.Claims = claims
	return nil
}

// claimsForSubject finds a user, or else a client acting as itself.
func (s *storage) claimsForSubject(subject string) (map[string]any, error) {
	if u, ok := s.subjects[subject]; ok {
		return userClaims(u), nil
	}
	if c, ok := s.clients[subject]; ok && !c.Public {
		return clientClaims(c, s.country), nil
	}
	return nil, errors.New("unknown subject")
}

// GetPrivateClaimsFromRequest adds the corridor claims to access tokens.
func (s *storage) GetPrivateClaimsFromRequest(_ context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	switch r := req.(type) {
	case *clientTokenRequest:
		return clientClaims(r.client, s.country), nil
	case *authRequest:
		u, ok := s.subjects[r.subject]
		if !ok {
			return nil, errors.New("unknown subject")
		}
		return userClaims(u), nil
	default:
		return nil, fmt.Errorf("unsupported token request %T", req)
	}
}

// GetPrivateClaimsFromScopes is unused (GetPrivateClaimsFromRequest takes
// precedence) but part of op.Storage; it answers the same.
func (s *storage) GetPrivateClaimsFromScopes(_ context.Context, subject, _ string, _ []string) (map[string]any, error) {
	return s.claimsForSubject(subject)
}

func userClaims(u *User) map[string]any {
	claims := map[string]any{
		"preferred_username": u.Username,
		ClaimRoles:           nonNil(u.Roles),
		ClaimCountry:         string(u.Country),
	}
	if u.Name != "" {
		claims["name"] = u.Name
	}
	if u.Agency != "" {
		claims[ClaimAgency] = u.Agency
	}
	maps.Copy(claims, u.Claims)
	return claims
}

func clientClaims(c *Client, country corridor.MemberCode) map[string]any {
	claims := map[string]any{
		"preferred_username": c.ID,
		ClaimRoles:           nonNil(c.Roles),
		ClaimCountry:         string(country),
	}
	if c.Agency != "" {
		claims[ClaimAgency] = c.Agency
	}
	return claims
}

// nonNil makes an empty role list encode as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT profile client authentication is not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("JWT profile grant is not supported")
}

func (s *storage) Health(context.Context) error { return nil }

// opClient adapts a Client to op.Client.
type opClient struct {
	c         *Client
	loginBase string
	lifetime  time.Duration
}

func (c *opClient) GetID() string                    { return c.c.ID }
func (c *opClient) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *opClient) PostLogoutRedirectURIs() []string { return c.c.PostLogoutRedirectURIs }
func (c *opClient) LoginURL(id string) string        { return c.loginBase + url.QueryEscape(id) }
func (c *opClient) AccessTokenType() op.AccessTokenType {
	return op.AccessTokenTypeJWT
}
func (c *opClient) IDTokenLifetime() time.Duration { return c.lifetime }
func (c *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *opClient) IsScopeAllowed(string) bool           { return false }
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *opClient) ClockSkew() time.Duration             { return 0 }

// DevMode lets registered http:// redirect URIs on any host through (they
// are still matched exactly): the sandbox serves everything over plain HTTP.
func (c *opClient) DevMode() bool { return true }

func (c *opClient) ApplicationType() op.ApplicationType {
	if c.c.Public {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

func (c *opClient) AuthMethod() oidc.AuthMethod {
	if c.c.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *opClient) GrantTypes() []oidc.GrantType {
	var grants []oidc.GrantType
	if len(c.c.RedirectURIs) > 0 {
		grants = append(grants, oidc.GrantTypeCode)
	}
	if !c.c.Public {
		grants = append(grants, oidc.GrantTypeClientCredentials)
	}
	return grants
}

func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}
