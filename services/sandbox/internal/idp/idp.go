package idp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/oidcdev"
)

// Config is the JSON file `sandbox idp -config` reads.
type Config struct {
	// Addr is the host:port to listen on.
	Addr string `json:"addr"`
	// Issuer is the URL clients reach the provider at.
	Issuer   string `json:"issuer"`
	Audience string `json:"audience"`
	Country  string `json:"country"`
	// KeyFile holds the RSA signing key; created on first start.
	KeyFile string `json:"key_file"`
	// TokenLifetime is a Go duration ("8h30m"); oidcdev's default when
	// empty.
	TokenLifetime string   `json:"token_lifetime,omitempty"`
	Users         []User   `json:"users"`
	Clients       []Client `json:"clients"`
}

// User is a person who can log in.
type User struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	Name     string   `json:"name,omitempty"`
	Roles    []string `json:"roles"`
	Country  string   `json:"country,omitempty"`
	Agency   string   `json:"agency"`
}

// Client is an OAuth client of the provider.
type Client struct {
	ID           string   `json:"id"`
	Secret       string   `json:"secret,omitempty"`
	Public       bool     `json:"public,omitempty"`
	RedirectURIs []string `json:"redirect_uris,omitempty"`
	// PostLogoutRedirectURIs are where end-session may send the browser.
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	Roles                  []string `json:"roles,omitempty"`
	Agency                 string   `json:"agency,omitempty"`
	Audience               string   `json:"audience,omitempty"`
}

// ReadConfig reads and decodes a configuration file, refusing unknown
// fields so that a typo is not silently ignored.
func ReadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read idp config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("parse idp config %s: %w", path, err)
	}
	if c.Addr == "" {
		return Config{}, fmt.Errorf("parse idp config %s: addr is required", path)
	}
	return c, nil
}

// Provider returns the oidcdev configuration c describes.
func (c Config) Provider() (oidcdev.Config, error) {
	out := oidcdev.Config{
		Issuer:   c.Issuer,
		Audience: c.Audience,
		Country:  corridor.MemberCode(c.Country),
		KeyFile:  c.KeyFile,
	}
	if c.TokenLifetime != "" {
		d, err := time.ParseDuration(c.TokenLifetime)
		if err != nil {
			return oidcdev.Config{}, fmt.Errorf("parse token lifetime: %w", err)
		}
		out.TokenLifetime = d
	}
	for _, u := range c.Users {
		out.Users = append(out.Users, oidcdev.User{
			Username: u.Username,
			Password: u.Password,
			Name:     u.Name,
			Roles:    u.Roles,
			Country:  corridor.MemberCode(u.Country),
			Agency:   u.Agency,
		})
	}
	for _, cl := range c.Clients {
		out.Clients = append(out.Clients, oidcdev.Client{
			ID:                     cl.ID,
			Secret:                 cl.Secret,
			Public:                 cl.Public,
			RedirectURIs:           cl.RedirectURIs,
			PostLogoutRedirectURIs: cl.PostLogoutRedirectURIs,
			Roles:                  cl.Roles,
			Agency:                 cl.Agency,
			Audience:               cl.Audience,
		})
	}
	return out, nil
}

// Run is `sandbox idp -config <file>`: it serves the provider until ctx is
// done. Logs are JSON on stderr.
func Run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("idp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "the provider's JSON configuration `file`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("parse idp flags: %w", err)
	}
	if *path == "" || fs.NArg() != 0 {
		return errors.New("usage: sandbox idp -config <file>")
	}
	cfg, err := ReadConfig(*path)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil)).With("idp", cfg.Country)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen idp: %w", err)
	}
	return Serve(ctx, ln, cfg, logger)
}

// Serve serves the provider cfg describes on ln until ctx is done.
func Serve(ctx context.Context, ln net.Listener, cfg Config, logger *slog.Logger) error {
	pcfg, err := cfg.Provider()
	if err != nil {
		ln.Close()
		return fmt.Errorf("serve idp: %w", err)
	}
	p, err := oidcdev.New(pcfg, logger)
	if err != nil {
		ln.Close()
		return fmt.Errorf("serve idp: %w", err)
	}
	srv := &http.Server{
		Handler:           p.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("identity provider serving", "issuer", p.Issuer(), "audience", p.Audience(), "kid", p.KeyID(), "users", len(pcfg.Users))

	select {
	case err := <-errc:
		return fmt.Errorf("serve idp: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down idp: %w", err)
	}
	return nil
}
