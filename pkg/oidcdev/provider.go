package oidcdev

import (
	"crypto/rand"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/corridor-org/corridor/pkg/corridor"
)

const (
	loginPath         = "/login"
	loggedOutPath     = "/logged-out"
	loginRequestParam = "authRequestID"
	maxLoginFormBytes = 16 << 10
)

//go:embed login.html
var loginHTML string

// Provider is a running development OpenID provider for one member.
type Provider struct {
	issuer   string
	audience string
	country  corridor.MemberCode
	logger   *slog.Logger
	storage  *storage
	op       *op.Provider
	login    *template.Template
	handler  http.Handler
}

// New creates a provider. cfg.Issuer must be where Handler will be served;
// when the port is picked by the system, create the listener first:
//
//	ln, _ := net.Listen("tcp", "127.0.0.1:0")
//	p, _ := oidcdev.New(oidcdev.Config{Issuer: "http://" + ln.Addr().String(), ...}, logger)
//	go http.Serve(ln, p.Handler())
func New(cfg Config, logger *slog.Logger) (*Provider, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new oidc provider: %w", err)
	}
	rsaKey, err := loadOrCreateKey(cfg)
	if err != nil {
		return nil, fmt.Errorf("new oidc provider: %w", err)
	}
	key, err := newSigningKey(rsaKey)
	if err != nil {
		return nil, fmt.Errorf("new oidc provider: %w", err)
	}
	store := newStorage(cfg, key)

	opConfig := &op.Config{
		// Encrypts authorization codes (and would encrypt opaque tokens);
		// codes live a minute, so a key per process is enough.
		CryptoKey:                [32]byte(randomBytes(32)),
		DefaultLogoutRedirectURI: cfg.Issuer + loggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedClaims:          append(slices.Clone(op.DefaultSupportedClaims), ClaimRoles, ClaimCountry, ClaimAgency),
	}
	// http issuers are what the sandbox serves; op refuses them unless told.
	provider, err := op.NewProvider(opConfig, store, op.StaticIssuer(cfg.Issuer), op.WithAllowInsecure())
	if err != nil {
		return nil, fmt.Errorf("new oidc provider: %w", err)
	}
	tmpl, err := template.New("login").Parse(loginHTML)
	if err != nil {
		return nil, fmt.Errorf("parse login page: %w", err)
	}
	p := &Provider{
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		country:  cfg.Country,
		logger:   logger,
		storage:  store,
		op:       provider,
		login:    tmpl,
	}

	mux := http.NewServeMux()
	issuerCtx := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	mux.HandleFunc("GET "+loginPath, p.showLogin)
	mux.Handle("POST "+loginPath, issuerCtx.HandlerFunc(p.submitLogin))
	mux.HandleFunc("GET "+loggedOutPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("Signed out.\n"))
	})
	mux.Handle("/", provider)
	p.handler = mux
	if u, _ := url.Parse(cfg.Issuer); strings.Trim(u.Path, "/") != "" {
		// An issuer with a path serves everything under it.
		p.handler = http.StripPrefix(strings.TrimSuffix(u.Path, "/"), mux)
	}
	return p, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return b
}

// Handler serves the provider: discovery, JWKS, authorize, token, userinfo,
// introspection, revocation, end-session and the login page.
func (p *Provider) Handler() http.Handler { return p.handler }

// Issuer returns the issuer URL tokens carry.
func (p *Provider) Issuer() string { return p.issuer }

// Audience returns the audience of access tokens.
func (p *Provider) Audience() string { return p.audience }

// KeyID returns the key id ("kid") of the signing key, its RFC 7638
// thumbprint.
func (p *Provider) KeyID() string { return p.storage.key.id }

type loginPage struct {
	Country      corridor.MemberCode
	Action       string
	RequestParam string
	RequestID    string
	Username     string
	Error        string
}

func (p *Provider) showLogin(w http.ResponseWriter, r *http.Request) {
	p.renderLogin(w, http.StatusOK, loginPage{RequestID: r.URL.Query().Get(loginRequestParam)})
}

func (p *Provider) renderLogin(w http.ResponseWriter, status int, page loginPage) {
	page.Country = p.country
	page.Action = p.issuer + loginPath
	page.RequestParam = loginRequestParam
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := p.login.Execute(w, page); err != nil {
		p.logger.Error("render login page", slog.String("error", err.Error()))
	}
}

// submitLogin checks the form and, on success, sends the browser back to op,
// which redirects to the client with a code. The password is never logged.
func (p *Provider) submitLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The login form could not be read.", http.StatusBadRequest)
		return
	}
	id := r.PostForm.Get(loginRequestParam)
	username := r.PostForm.Get("username")
	clientID, err := p.storage.login(id, username, r.PostForm.Get("password"))
	switch {
	case errors.Is(err, errBadCredentials):
		p.logger.Info("login failed: wrong username or password", slog.String("client_id", clientID))
		p.renderLogin(w, http.StatusUnauthorized, loginPage{
			RequestID: id,
			Username:  username,
			Error:     "Wrong username or password.",
		})
		return
	case err != nil:
		p.logger.Info("login failed: request expired or unknown", slog.String("client_id", clientID))
		p.renderLogin(w, http.StatusBadRequest, loginPage{
			RequestID: id,
			Error:     "This sign-in attempt has expired. Go back to the application and start again.",
		})
		return
	}
	p.logger.Info("login succeeded", slog.String("client_id", clientID))
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(r.Context(), id), http.StatusFound)
}
