package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/directorytest"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/httpapi/httpapitest"
	"github.com/corridor-org/corridor/pkg/logtest"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/pkg/oidcdev/oidcdevtest"
	"github.com/corridor-org/corridor/pkg/pgtest"
	"github.com/corridor-org/corridor/pkg/streams"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	full := map[string]string{
		"DATABASE_URL": "postgres://x", "CORRIDOR_MEMBER": "ci", "CORRIDOR_DIRECTORY": "/d.json",
		"RELAY_KEYS_FILE": "/k.json", "NATS_URL": "nats://x", "NATS_NKEY_SEED_FILE": "/relay.nk", "OIDC_ISSUER": "http://idp",
		"OIDC_AUDIENCE": "corridor-ci", "CORRIDOR_DIRECTORY_ANCHOR": "/a.json",
	}
	tests := []struct {
		name    string
		change  map[string]string
		wantErr []string
	}{
		{name: "complete"},
		{name: "missing", change: map[string]string{"DATABASE_URL": "", "NATS_URL": "", "CORRIDOR_DIRECTORY_ANCHOR": "", "NATS_NKEY_SEED_FILE": ""},
			wantErr: []string{"DATABASE_URL is not set", "NATS_URL is not set", "CORRIDOR_DIRECTORY_ANCHOR is not set", "NATS_NKEY_SEED_FILE is not set"}},
		{name: "bad log level", change: map[string]string{"LOG_LEVEL": "loud"}, wantErr: []string{"LOG_LEVEL"}},
		{name: "provider claims", change: map[string]string{"OIDC_ROLES_CLAIM": "roles", "OIDC_ROLE_MAP": "Corridor.Admin=admin"}},
		{name: "bad role map", change: map[string]string{"OIDC_ROLE_MAP": "Corridor.Admin=root"}, wantErr: []string{"OIDC_ROLE_MAP"}},
		{name: "bad public URL", change: map[string]string{"RELAY_PUBLIC_URL": "relay"}, wantErr: []string{"RELAY_PUBLIC_URL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range full {
				env[k] = v
			}
			for k, v := range tc.change {
				env[k] = v
			}
			cfg, err := loadConfig(func(k string) string { return env[k] })
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Member != "CI" || cfg.HTTPAddr == "" {
					t.Errorf("config = %+v", cfg)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// TestRun starts the relay as its main does, from environment variables,
// against a real database, NATS server, directory file, key file and
// identity provider, waits until it is ready, and stops it.
func TestRun(t *testing.T) {
	t.Parallel()
	hub := natstest.StartHub(t)
	env, addr := runEnv(t, natstest.StartMember(t, hub, "ci"))

	svc := httpapitest.StartService(t, addr, 60*time.Second, func(ctx context.Context, stdout io.Writer) error {
		return run(ctx, []string{"relay"}, func(k string) string { return env[k] }, stdout)
	})
	// The status names the directory version in force.
	resp, err := http.Get("http://" + addr + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	var status struct {
		Directory struct {
			Corridor string `json:"corridor"`
			Version  int64  `json:"version"`
			Expired  bool   `json:"expired"`
		} `json:"directory"`
	}
	err = json.NewDecoder(resp.Body).Decode(&status)
	resp.Body.Close()
	if err != nil || status.Directory.Corridor != "ci-bf" || status.Directory.Version != 1 || status.Directory.Expired {
		t.Errorf("status directory = %+v, %v", status.Directory, err)
	}
	// The quarantine pages sit behind the login; the API beside them
	// keeps answering with problems.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]string{
		"/admin/quarantine": "/login?return=%2Fadmin%2Fquarantine",
		"/":                 "/login?return=%2F",
	} {
		resp, err := noRedirect.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("GET %s: %d to %q, want 303 to %q", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	httpapitest.CheckProblems(t, "http://"+addr, []httpapitest.ProblemCase{
		{Method: http.MethodGet, Path: "/api/v1/nothing", Status: http.StatusNotFound},
	})
	log, err := svc.Stop()
	if err != nil {
		t.Fatalf("relay: %v\n%s", err, log)
	}
	if !strings.Contains(log, `"msg":"relay running"`) {
		t.Errorf("log lacks the start message:\n%s", log)
	}
}

// TestRunRefusesUnsuitableServer: against a server without the feature
// flag the corridor relies on, the relay stops with an error instead of
// running (and stalling silently later).
func TestRunRefusesUnsuitableServer(t *testing.T) {
	t.Parallel()
	hub := natstest.StartHub(t)
	env, _ := runEnv(t, natstest.StartMember(t, hub, "ci", func(o *server.Options) {
		o.FeatureFlags[streams.FeatureAckFlowControlV2] = false
	}))
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var out logtest.Buffer
	err := run(ctx, []string{"relay"}, func(k string) string { return env[k] }, &out)
	if !errors.Is(err, streams.ErrServerUnsuitable) || ctx.Err() != nil {
		t.Fatalf("run = %v, want ErrServerUnsuitable before the deadline\n%s", err, out.String())
	}
	if strings.Contains(out.String(), `"msg":"relay running"`) {
		t.Errorf("the relay ran:\n%s", out.String())
	}
}

// runEnv returns the environment of a relay for CI on member, with a real
// database, directory file, key file and identity provider, and the
// address its HTTP server will listen on. It makes the streams as CI's
// operator would.
func runEnv(t *testing.T, member *natstest.Member) (env map[string]string, addr string) {
	t.Helper()
	member.EnsureStreams(t, []string{"bf"})
	idp := oidcdevtest.Start(t, oidcdev.Config{Audience: "corridor-ci", Country: "CI"})

	dir := t.TempDir()
	now := time.Now().UTC()
	d := &directory.Directory{
		Corridor: "ci-bf", Version: 1, IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour),
		TimeLimits: directory.TimeLimits{RespondWithinHours: 72, InformationResponseWithinHours: 72, HandoverWithinDays: 30, FollowUpEveryDays: 180},
	}
	for _, code := range []corridor.MemberCode{"CI", "BF"} {
		f, err := keyfile.Generate(code, now.Add(-time.Hour), now.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if code == "CI" {
			if err := f.Save(filepath.Join(dir, "keys.json")); err != nil {
				t.Fatal(err)
			}
		}
		enc, sig, err := f.PublicKeys()
		if err != nil {
			t.Fatal(err)
		}
		d.Members = append(d.Members, directory.Member{
			Code: code, Name: string(code), JetStreamDomain: code.Domain(), EncryptionKeys: enc, SigningKeys: sig,
			Agencies: []directory.Agency{{ID: string(code) + "-DPE", Name: "Child protection"}},
		})
	}
	published := directorytest.Write(t, d, dir)
	port, err := natsconf.FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	creds := member.Credentials(t, natsconf.UserRelay)
	env = map[string]string{
		"RELAY_HTTP_ADDR":           addr,
		"DATABASE_URL":              pg.NewDatabase(t, pgtest.Template{Name: "empty"}),
		"CORRIDOR_MEMBER":           "CI",
		"CORRIDOR_DIRECTORY":        published.Directory,
		"CORRIDOR_DIRECTORY_ANCHOR": published.Anchor,
		"CORRIDOR_DIRECTORY_CACHE":  filepath.Join(dir, "directory-cache.json"),
		"RELAY_KEYS_FILE":           filepath.Join(dir, "keys.json"),
		"NATS_URL":                  member.ClientURL(),
		"NATS_NKEY_SEED_FILE":       creds.SeedFile,
		"OIDC_ISSUER":               idp.URL,
		"OIDC_AUDIENCE":             "corridor-ci",
		"LOG_LEVEL":                 "debug",
	}
	return env, addr
}
