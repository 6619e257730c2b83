package natsconf_test

import (
	"crypto/tls"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/streams"
)

// corridorEnv is a hub's environment for members, with fresh nkeys and a
// fresh CA, and what each member needs to dial it.
type corridorEnv struct {
	hub   natsconf.HubEnv
	seeds map[string]string
	pki   natsconf.PKI
}

func newCorridorEnv(t *testing.T, members []string) corridorEnv {
	t.Helper()
	c := corridorEnv{seeds: map[string]string{}}
	public := map[string]string{}
	for _, m := range members {
		k, err := natsconf.NewNkey()
		if err != nil {
			t.Fatal(err)
		}
		c.seeds[m], public[m] = k.Seed, k.Public
	}
	sys, err := natsconf.NewNkey()
	if err != nil {
		t.Fatal(err)
	}
	if c.pki, err = natsconf.LoadOrCreatePKI(t.TempDir(), []string{"127.0.0.1"}, members); err != nil {
		t.Fatal(err)
	}
	if c.hub, err = natsconf.NewHubEnv("127.0.0.1", public, sys.Public, c.pki.Hub); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c corridorEnv) member(t *testing.T, m string) natsconf.MemberEnv {
	t.Helper()
	var users natsconf.UserNkeys
	for _, u := range []*string{&users.Relay, &users.Operator, &users.Sys, &users.Publisher} {
		k, err := natsconf.NewNkey()
		if err != nil {
			t.Fatal(err)
		}
		*u = k.Public
	}
	env, err := natsconf.NewMemberEnv(m, "127.0.0.1", t.TempDir(), c.hub, c.seeds[m], c.pki.Members[m], users)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := natsconf.RepoRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestRepoRoot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.work"), []byte("go 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, start := range []string{dir, deep} {
		got, err := natsconf.RepoRoot(start)
		if err != nil || got != dir {
			t.Errorf("RepoRoot(%s) = %q, %v; want %q", start, got, err, dir)
		}
	}
}

func TestMembers(t *testing.T) {
	t.Parallel()
	got, err := natsconf.Members(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"bf", "ci", "coord"}; !slices.Equal(got, want) {
		t.Fatalf("Members = %v, want %v", got, want)
	}
}

// TestHubConfigLoads loads deploy/nats/hub.conf as the hub runs it and checks
// the settings the corridor relies on.
func TestHubConfigLoads(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	members, err := natsconf.Members(root)
	if err != nil {
		t.Fatal(err)
	}
	env := newCorridorEnv(t, members).hub
	opts, err := natsconf.Load(filepath.Join(root, natsconf.HubConfigPath), env.Vars())
	if err != nil {
		t.Fatal(err)
	}
	if opts.JetStream {
		t.Error("hub runs JetStream; it must hold no data")
	}
	if !opts.LeafNode.NoAdvertise {
		t.Error("hub leaf listener advertises its addresses")
	}
	if opts.LeafNode.Port != env.LeafPort || opts.Port != env.Port || opts.HTTPPort != env.MonitorPort {
		t.Errorf("ports %d/%d/%d, want %d/%d/%d", opts.Port, opts.LeafNode.Port, opts.HTTPPort, env.Port, env.LeafPort, env.MonitorPort)
	}
	if opts.SystemAccount != natsconf.AccountSys {
		t.Errorf("system account %q", opts.SystemAccount)
	}
	if opts.MaxControlLine != 16384 {
		t.Errorf("max_control_line %d, want 16384", opts.MaxControlLine)
	}
	// Leaf links over verified TLS, and no leaf user or password: each
	// member's leaf nkey is a user of its own account, for leaf links only.
	if opts.LeafNode.TLSConfig == nil || opts.LeafNode.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Error("the leaf listener does not require verified client certificates")
	}
	if opts.LeafNode.Username != "" || opts.LeafNode.Nkey != "" || len(opts.LeafNode.Users) != 0 {
		t.Error("the leaf listener has users of its own; leaf links must authenticate as their account's nkey user")
	}
	if len(opts.Users) != 0 {
		t.Errorf("hub has %d password users, want none", len(opts.Users))
	}
	leafNkeys := map[string]string{}
	for _, u := range opts.Nkeys {
		acc := ""
		if u.Account != nil {
			acc = u.Account.Name
		}
		if acc == natsconf.AccountSys {
			continue
		}
		leafNkeys[acc] = u.Nkey
		if _, leafOnly := u.AllowedConnectionTypes["LEAFNODE"]; !leafOnly || len(u.AllowedConnectionTypes) != 1 {
			t.Errorf("nkey user of %s may connect as %v, want leaf links only", acc, u.AllowedConnectionTypes)
		}
	}
	for _, m := range members {
		if got, want := leafNkeys[natsconf.HubAccount(m)], env.LeafNkeys[m]; got != want {
			t.Errorf("account %s: leaf nkey %q, want %q from the environment", natsconf.HubAccount(m), got, want)
		}
	}
	if len(leafNkeys) != len(members) {
		t.Errorf("leaf nkeys %v, want one per member %v", leafNkeys, members)
	}
}

// TestMemberConfigsLoad loads every member's configuration as the member
// runs it and checks the settings the corridor relies on.
func TestMemberConfigsLoad(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	members, err := natsconf.Members(root)
	if err != nil {
		t.Fatal(err)
	}
	c := newCorridorEnv(t, members)
	for _, m := range members {
		t.Run(m, func(t *testing.T) {
			t.Parallel()
			env := c.member(t, m)
			opts, err := natsconf.Load(filepath.Join(root, natsconf.MemberConfigPath(m)), env.Vars())
			if err != nil {
				t.Fatal(err)
			}
			if !opts.JetStream || opts.JetStreamDomain != m {
				t.Errorf("JetStream %v domain %q, want domain %q", opts.JetStream, opts.JetStreamDomain, m)
			}
			if !opts.SyncAlways {
				t.Error("sync_interval is not always")
			}
			// Without an explicit limit the server takes the free disk space,
			// and a full disk switches JetStream off. Both streams reserve
			// their max bytes from it.
			if opts.JetStreamMaxStore < 2*streams.MaxBytes {
				t.Errorf("max_file_store %d, want explicit and at least %d (OUTBOX and INBOX)", opts.JetStreamMaxStore, 2*streams.MaxBytes)
			}
			if opts.StoreDir != env.StoreDir {
				t.Errorf("store dir %q, want %q", opts.StoreDir, env.StoreDir)
			}
			if opts.MaxControlLine != 16384 {
				t.Errorf("max_control_line %d, want 16384", opts.MaxControlLine)
			}
			if !opts.FeatureFlags["js_ack_fc_v2"] {
				t.Error("feature flag js_ack_fc_v2 is off: flow-control replies of both directions would share $JS.FC.OUTBOX.>")
			}
			if opts.SystemAccount != natsconf.AccountSys {
				t.Errorf("system account %q", opts.SystemAccount)
			}
			if len(opts.LeafNode.Remotes) != 1 {
				t.Fatalf("%d leaf remotes, want 1", len(opts.LeafNode.Remotes))
			}
			r := opts.LeafNode.Remotes[0]
			if r.LocalAccount != natsconf.AccountLink {
				t.Errorf("leaf remote bound to %q, want %q", r.LocalAccount, natsconf.AccountLink)
			}
			if len(r.URLs) != 1 || r.URLs[0].User != nil || !strings.HasSuffix(env.HubURL, r.URLs[0].Host) {
				t.Errorf("leaf remote URLs %v, want %s without credentials", r.URLs, env.HubURL)
			}
			if r.Nkey != env.LeafSeed || r.TLSConfig == nil || len(r.TLSConfig.Certificates) != 1 || r.TLSConfig.RootCAs == nil {
				t.Error("leaf remote does not sign in with the member's nkey over TLS with its certificate and the corridor CA")
			}
			// Every user is an nkey: no user has a password.
			if len(opts.Users) != 0 {
				t.Errorf("%d users with a name and password, want none", len(opts.Users))
			}
			users := map[string]*server.NkeyUser{}
			for _, u := range opts.Nkeys {
				users[u.Nkey] = u
			}
			want := map[string]struct{ key, account string }{
				natsconf.UserRelay:    {env.Users.Relay, natsconf.AccountStreams},
				natsconf.UserOperator: {env.Users.Operator, natsconf.AccountStreams},
				natsconf.UserSys:      {env.Users.Sys, natsconf.AccountSys},
			}
			if m == "coord" {
				// Only the coordinator's server has the directory's publisher.
				want[natsconf.UserPublisher] = struct{ key, account string }{env.Users.Publisher, natsconf.AccountStreams}
			}
			for name, want := range want {
				u := users[want.key]
				if u == nil || u.Account == nil || u.Account.Name != want.account {
					t.Errorf("user %s (nkey %s) missing or not in account %s", name, want.key, want.account)
				}
			}
			if len(users) != len(want) {
				t.Errorf("nkey users %v, want %v only", slices.Sorted(maps.Keys(users)), slices.Sorted(maps.Keys(want)))
			}
		})
	}
}

// TestLoadFailsClosed: a configuration whose variable is unset does not load,
// and Load leaves the environment as it found it. Not parallel: the other
// tests' Loads set the same variables while they run, and the check reads the
// environment after Load.
func TestLoadFailsClosed(t *testing.T) {
	root := repoRoot(t)
	vars := newCorridorEnv(t, []string{"ci"}).member(t, "ci").Vars()
	delete(vars, natsconf.EnvMemberRelayNkey)
	if _, ok := os.LookupEnv(natsconf.EnvMemberRelayNkey); ok {
		t.Skipf("%s is set in this process's environment", natsconf.EnvMemberRelayNkey)
	}
	_, err := natsconf.Load(filepath.Join(root, natsconf.MemberConfigPath("ci")), vars)
	if err == nil || !strings.Contains(err.Error(), natsconf.EnvMemberRelayNkey) {
		t.Fatalf("Load without %s: %v", natsconf.EnvMemberRelayNkey, err)
	}
	for k := range vars {
		if _, ok := os.LookupEnv(k); ok {
			t.Errorf("Load left %s in the environment", k)
		}
	}
}

// TestPairsAgree: the hub grants exactly the pairs the members' own
// configurations open, and each pair is open at both of its ends.
func TestPairsAgree(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	members, err := natsconf.Members(root)
	if err != nil {
		t.Fatal(err)
	}
	hub, err := natsconf.HubPairs(root)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[natsconf.Pair]int{}
	for _, m := range members {
		pairs, err := natsconf.MemberPairs(root, m)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pairs {
			seen[p]++
		}
	}
	for p, n := range seen {
		if n != 2 {
			t.Errorf("pair %s->%s is open in %d member configurations, want 2 (origin and recipient)", p.From, p.To, n)
		}
		if !slices.Contains(hub, p) {
			t.Errorf("pair %s->%s is open at the members but not granted by the hub", p.From, p.To)
		}
	}
	for _, p := range hub {
		if seen[p] == 0 {
			t.Errorf("hub grants %s->%s, which no member opens", p.From, p.To)
		}
	}
	// The demo corridor's directions.
	for _, p := range []natsconf.Pair{{"ci", "bf"}, {"bf", "ci"}, {"ci", "coord"}, {"bf", "coord"}} {
		if !slices.Contains(hub, p) {
			t.Errorf("demo pair %s->%s is not granted", p.From, p.To)
		}
	}
	senders, err := natsconf.Senders(root, "coord")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"bf", "ci"}; !slices.Equal(senders, want) {
		t.Errorf("Senders(coord) = %v, want %v", senders, want)
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	c := newCorridorEnv(t, []string{"ci", "bf"})
	if u := c.hub.LeafURL(); !strings.HasPrefix(u, "nats-leaf://127.0.0.1:") {
		t.Errorf("LeafURL = %q, want nats-leaf://127.0.0.1:<port>", u)
	}
	if got := c.hub.Vars()[natsconf.EnvHubLeafNkey("bf")]; got != c.hub.LeafNkeys["bf"] || natsconf.EnvHubLeafNkey("bf") != "CORRIDOR_HUB_BF_LEAF_NKEY" {
		t.Errorf("bf's leaf nkey variable is wrong")
	}
	for _, v := range c.hub.Vars() {
		for m, seed := range c.seeds {
			if strings.Contains(v, seed) {
				t.Errorf("the hub's environment holds %s's seed", m)
			}
		}
	}
	if k, err := natsconf.NkeyFromSeed(c.seeds["ci"]); err != nil || k.Public != c.hub.LeafNkeys["ci"] {
		t.Errorf("NkeyFromSeed = %v, %v: want ci's public key", k, err)
	}
	if _, err := natsconf.NewHubEnv("127.0.0.1", map[string]string{"CI": "U"}, "U", natsconf.TLSFiles{}); err == nil {
		t.Error("NewHubEnv accepted an upper-case member")
	}
	if env := natsconf.Environ(map[string]string{"A": "1"}); !slices.Equal(env, []string{"A=1"}) {
		t.Errorf("Environ = %v", env)
	}
}

// TestSharedFlowControlSubjectFormsCycle pins down why members run with
// feature flag js_ack_fc_v2. Without it a consumer's flow-control replies go
// to $JS.FC.<stream>.>, the same for every member's OUTBOX, so a member that
// is both origin and recipient needs its two accounts (and the hub its
// member accounts) to import $JS.FC.OUTBOX.> from each other. The server
// refuses that as a cycle. If a later nats-server accepts it, this test
// fails and the README's reasoning needs revisiting.
func TestSharedFlowControlSubjectFormsCycle(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cycle.conf")
	cfg := `
accounts {
  CORRIDOR: {
    exports: [{service: "$JS.FC.OUTBOX.>", accounts: [LINK]}]
    imports: [{service: {account: LINK, subject: "$JS.FC.OUTBOX.>"}}]
  }
  LINK: {
    exports: [{service: "$JS.FC.OUTBOX.>", accounts: [CORRIDOR]}]
    imports: [{service: {account: CORRIDOR, subject: "$JS.FC.OUTBOX.>"}}]
  }
}
`
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := server.ProcessConfigFile(path)
	if err == nil || !strings.Contains(err.Error(), "import forms a cycle") {
		t.Fatalf("load mutual $JS.FC.OUTBOX.> imports: %v, want an import cycle error", err)
	}
	// The domain-qualified subjects of js_ack_fc_v2 do not collide.
	cfg = strings.NewReplacer(
		`{service: "$JS.FC.OUTBOX.>", accounts: [LINK]}`, `{service: "$JS.FC.ci.*.OUTBOX.>", accounts: [LINK]}`,
		`{service: {account: LINK, subject: "$JS.FC.OUTBOX.>"}}`, `{service: {account: LINK, subject: "$JS.FC.bf.*.OUTBOX.>"}}`,
		`{service: "$JS.FC.OUTBOX.>", accounts: [CORRIDOR]}`, `{service: "$JS.FC.bf.*.OUTBOX.>", accounts: [CORRIDOR]}`,
		`{service: {account: CORRIDOR, subject: "$JS.FC.OUTBOX.>"}}`, `{service: {account: CORRIDOR, subject: "$JS.FC.ci.*.OUTBOX.>"}}`,
	).Replace(cfg)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := server.ProcessConfigFile(path); err != nil {
		t.Fatalf("load domain-qualified flow-control imports: %v", err)
	}
}

// TestPeersOnlyResetTheirConsumer: no configuration lets a peer create a
// consumer on a member's OUTBOX (the importer of a consumer-create export
// chooses every field but the filter); each granted pair exports exactly
// the reset of the consumer its origin made for its recipient, at the hub
// and at both members.
func TestPeersOnlyResetTheirConsumer(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	members, err := natsconf.Members(root)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, path := range []string{natsconf.HubConfigPath, "deploy/nats/hub/accounts.conf", "deploy/nats/member.conf"} {
		files[path] = ""
	}
	for _, m := range members {
		files[natsconf.MemberConfigPath(m)] = m
	}
	text := map[string]string{}
	for path := range files {
		b, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		text[path] = string(b)
		for _, bad := range []string{"CONSUMER.CREATE.OUTBOX", "CONSUMER.DURABLE.CREATE.OUTBOX", "CONSUMER.CREATE.>", `"$JS.API.>"`} {
			if strings.Contains(text[path], bad) {
				t.Errorf("%s mentions %s", path, bad)
			}
		}
	}
	hub, err := natsconf.HubPairs(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range hub {
		reset := "CONSUMER.RESET.OUTBOX.to-" + p.To
		if want := `"$JS.` + p.From + `.API.` + reset + `"`; !strings.Contains(text["deploy/nats/hub/accounts.conf"], want) {
			t.Errorf("hub: no %s", want)
		}
		if want := `"$JS.API.` + reset + `"`; !strings.Contains(text[natsconf.MemberConfigPath(p.From)], want) {
			t.Errorf("%s: no %s", p.From, want)
		}
		if want := `"$JS.` + p.From + `.API.` + reset + `"`; !strings.Contains(text[natsconf.MemberConfigPath(p.To)], want) {
			t.Errorf("%s: no %s", p.To, want)
		}
	}
}
