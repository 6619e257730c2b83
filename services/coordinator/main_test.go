package main

import (
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/directorytest"
	"github.com/corridor-org/corridor/pkg/httpapi/httpapitest"
	"github.com/corridor-org/corridor/pkg/logtest"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/pkg/oidcdev/oidcdevtest"
	"github.com/corridor-org/corridor/pkg/pgtest"
	"github.com/corridor-org/corridor/pkg/signing"
	"github.com/corridor-org/corridor/pkg/streams"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	full := map[string]string{"DATABASE_URL": "postgres://x", "CORRIDOR_DIRECTORY": "/d.json", "CORRIDOR_DIRECTORY_ANCHOR": "/a.json", "NATS_URL": "nats://x", "NATS_NKEY_SEED_FILE": "/coordinator.nk"}
	tests := []struct {
		name    string
		change  map[string]string
		wantErr []string
	}{
		{name: "complete"},
		{name: "missing", change: map[string]string{"CORRIDOR_DIRECTORY": "", "CORRIDOR_DIRECTORY_ANCHOR": "", "NATS_URL": "", "NATS_NKEY_SEED_FILE": ""},
			wantErr: []string{"CORRIDOR_DIRECTORY is not set", "CORRIDOR_DIRECTORY_ANCHOR is not set", "NATS_URL is not set", "NATS_NKEY_SEED_FILE is not set"}},
		{name: "bad log level", change: map[string]string{"LOG_LEVEL": "chatty"}, wantErr: []string{"LOG_LEVEL"}},
		{name: "publication configured", change: map[string]string{"COORDINATOR_PUBLISH_PERIOD": "month", "COORDINATOR_PUBLISH_INTERVAL": "10m"}},
		{name: "bad publication settings", change: map[string]string{"COORDINATOR_PUBLISH_PERIOD": "week", "COORDINATOR_PUBLISH_INTERVAL": "often"},
			wantErr: []string{"COORDINATOR_PUBLISH_PERIOD", "COORDINATOR_PUBLISH_INTERVAL"}},
		{name: "notices configured", change: map[string]string{"COORDINATOR_SMTP_ADDR": "mail.example:25",
			"COORDINATOR_SMTP_FROM": "coordinator@example.org", "COORDINATOR_OUT_OF_CONTACT_AFTER": "48h"}},
		{name: "bad notice settings", change: map[string]string{"COORDINATOR_SMTP_ADDR": "mail.example",
			"COORDINATOR_OUT_OF_CONTACT_AFTER": "two days", "COORDINATOR_NOTIFY_INTERVAL": "-1m", "LOG_LEVEL": "chatty"},
			wantErr: []string{"COORDINATOR_SMTP_ADDR", "COORDINATOR_SMTP_FROM", "COORDINATOR_OUT_OF_CONTACT_AFTER",
				"COORDINATOR_NOTIFY_INTERVAL", "LOG_LEVEL"}},
		{name: "bad session settings", change: map[string]string{"SESSION_IDLE_TIMEOUT": "0", "SESSION_COOKIE_SECURE": "yes"},
			wantErr: []string{"SESSION_IDLE_TIMEOUT", "SESSION_COOKIE_SECURE"}},
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
				if err != nil || cfg.HTTPAddr == "" {
					t.Fatalf("config = %+v, %v", cfg, err)
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

// TestRun starts the coordinator as its main does, from environment
// variables, against a real database, NATS server, directory file and
// identity provider, waits until it is ready, and stops it.
func TestRun(t *testing.T) {
	t.Parallel()
	hub := natstest.StartHub(t)
	env, addr := runEnv(t, natstest.StartMember(t, hub, "coord"))

	svc := httpapitest.StartService(t, addr, 60*time.Second, func(ctx context.Context, stdout io.Writer) error {
		return run(ctx, []string{"coordinator"}, func(k string) string { return env[k] }, stdout)
	})
	// The pages send a person to sign in; the only provider is offered
	// at once.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]string{
		"/": "/login?return=%2F", "/login": "code_challenge_method=S256",
		"/overdue": "/login?return=%2Foverdue", "/report": "/login?return=%2Freport",
	} {
		resp, err := noFollow.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, want) {
			t.Errorf("GET %s: %d to %q, want 303 to %s", path, resp.StatusCode, loc, want)
		}
	}
	// A path nobody serves is the 404 page for people, a problem document
	// under the API.
	for _, c := range []struct{ path, contentType string }{
		{"/no-such-page", "text/html"},
		{"/api/v1/no-such-call", "application/problem+json"},
	} {
		resp, err := http.Get("http://" + addr + c.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(ct, c.contentType) {
			t.Errorf("GET %s: %d %s, want 404 %s", c.path, resp.StatusCode, ct, c.contentType)
		}
	}
	log, err := svc.Stop()
	if err != nil {
		t.Fatalf("coordinator: %v\n%s", err, log)
	}
	if !strings.Contains(log, `"msg":"coordinator running"`) {
		t.Errorf("log lacks the start message:\n%s", log)
	}
}

// TestRunRefusesUnsuitableServer: against a server without the feature
// flag the corridor relies on, the coordinator stops with an error instead
// of running.
func TestRunRefusesUnsuitableServer(t *testing.T) {
	t.Parallel()
	hub := natstest.StartHub(t)
	env, _ := runEnv(t, natstest.StartMember(t, hub, "coord", func(o *server.Options) {
		o.FeatureFlags[streams.FeatureAckFlowControlV2] = false
	}))
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var out logtest.Buffer
	err := run(ctx, []string{"coordinator"}, func(k string) string { return env[k] }, &out)
	if !errors.Is(err, streams.ErrServerUnsuitable) || ctx.Err() != nil {
		t.Fatalf("run = %v, want ErrServerUnsuitable before the deadline\n%s", err, out.String())
	}
	if strings.Contains(out.String(), `"msg":"coordinator running"`) {
		t.Errorf("the coordinator ran:\n%s", out.String())
	}
}

// runEnv returns the environment of the coordinator on member, with a real
// database, directory file and identity provider, and the address its HTTP
// server will listen on. It makes the streams as the coordinator's NATS
// operator would.
func runEnv(t *testing.T, member *natstest.Member) (env map[string]string, addr string) {
	t.Helper()
	member.EnsureStreams(t, []string{"ci"})
	idp := oidcdevtest.Start(t, oidcdev.Config{Audience: "corridor-coord", Country: corridor.Coordinator})

	dir := t.TempDir()
	now := time.Now().UTC()
	d := &directory.Directory{
		Corridor: "ci-bf", Version: 1, IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour),
		TimeLimits: directory.TimeLimits{RespondWithinHours: 72, InformationResponseWithinHours: 72, HandoverWithinDays: 30, FollowUpEveryDays: 180},
	}
	for _, code := range []corridor.MemberCode{"CI", corridor.Coordinator} {
		pub, _, err := signing.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		m := directory.Member{
			Code: code, Name: string(code), JetStreamDomain: code.Domain(),
			SigningKeys: []directory.Key{{ID: code.Domain() + "-sig-1", Algorithm: directory.SigningAlgorithm,
				PublicKey: ed25519.PublicKey(pub), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}},
			Agencies: []directory.Agency{{ID: string(code) + "-X", Name: "Agency"}},
		}
		if code == corridor.Coordinator {
			m.OIDC = &directory.OIDC{Issuer: idp.URL, Audience: "corridor-coord"}
		} else {
			priv, err := hpke.MLKEM768X25519().GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			m.EncryptionKeys = []directory.Key{{ID: "ci-enc-1", Algorithm: directory.EncryptionAlgorithm,
				PublicKey: priv.PublicKey().Bytes(), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}}
		}
		d.Members = append(d.Members, m)
	}
	published := directorytest.Write(t, d, dir)
	port, err := natsconf.FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	creds := member.Credentials(t, natsconf.UserRelay)
	env = map[string]string{
		"COORDINATOR_HTTP_ADDR":     addr,
		"DATABASE_URL":              pg.NewDatabase(t, pgtest.Template{Name: "empty"}),
		"CORRIDOR_DIRECTORY":        published.Directory,
		"CORRIDOR_DIRECTORY_ANCHOR": published.Anchor,
		"NATS_URL":                  member.ClientURL(),
		"NATS_NKEY_SEED_FILE":       creds.SeedFile,
		"LOG_LEVEL":                 "debug",
	}
	return env, addr
}
