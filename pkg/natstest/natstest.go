package natstest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/streams"
)

// Host is the address every test server listens on.
const Host = "127.0.0.1"

// startTimeout bounds how long a server may take to accept connections, and
// linkTimeout how long leaf links may take to come up.
const (
	startTimeout = 10 * time.Second
	linkTimeout  = 15 * time.Second
)

// LogEnv names the environment variable that, set to any value, makes the
// test servers log to standard error (debug level), for diagnosing a test.
const LogEnv = "CORRIDOR_NATSTEST_LOG"

// Credentials are a user's role ("relay") and the file holding the seed
// of its nkey (mode 0600): no user has a password.
type Credentials struct {
	User, SeedFile string
	// Public is the nkey's public key, what the server's configuration holds.
	Public string
}

// newCredentials makes an nkey for user and writes its seed under dir.
func newCredentials(t testing.TB, dir, user string) Credentials {
	t.Helper()
	k, err := natsconf.NewNkey()
	if err != nil {
		t.Fatal(err)
	}
	c := Credentials{User: user, SeedFile: filepath.Join(dir, user+".nk"), Public: k.Public}
	if err := natsconf.WriteSeedFile(c.SeedFile, k); err != nil {
		t.Fatal(err)
	}
	return c
}

// RepoRoot returns the repository root (the directory holding go.work),
// found by walking up from the working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("get working directory: %v", err)
	}
	root, err := natsconf.RepoRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// Hub is a running corridor hub.
type Hub struct {
	root   string
	env    natsconf.HubEnv
	probes map[string]Credentials // by hub account
	// What the test hands each member: the seed of its leaf nkey and its
	// leaf-link certificate, from a CA made for this test.
	leafSeeds map[string]string
	pki       natsconf.PKI

	mu  sync.Mutex
	srv *server.Server
}

// StartHub starts a hub from deploy/nats/hub.conf with a leaf nkey for every
// member that has a configuration under deploy/nats/members, and a CA and
// certificates for the leaf links made for this test.
//
// Besides the shipped configuration it adds, in memory only, one probe user
// per member account ("probe-ci" in account CI): a test can then act as
// whoever controls the hub side of a member's account (see ConnectAccount).
func StartHub(t testing.TB) *Hub {
	t.Helper()
	root := RepoRoot(t)
	members, err := natsconf.Members(root)
	if err != nil {
		t.Fatal(err)
	}
	h := &Hub{root: root, probes: make(map[string]Credentials, len(members)), leafSeeds: make(map[string]string, len(members))}
	leafNkeys := make(map[string]string, len(members))
	probeDir := t.TempDir()
	for _, m := range members {
		h.probes[natsconf.HubAccount(m)] = newCredentials(t, probeDir, "probe-"+m)
		k, err := natsconf.NewNkey()
		if err != nil {
			t.Fatal(err)
		}
		h.leafSeeds[m], leafNkeys[m] = k.Seed, k.Public
	}
	sys, err := natsconf.NewNkey()
	if err != nil {
		t.Fatal(err)
	}
	if h.pki, err = natsconf.LoadOrCreatePKI(t.TempDir(), []string{Host}, members); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		if h.env, err = natsconf.NewHubEnv(Host, leafNkeys, sys.Public, h.pki.Hub); err != nil {
			t.Fatal(err)
		}
		if err = h.start(t); err == nil || attempt == startAttempts {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h
}

func (h *Hub) start(t testing.TB) error {
	t.Helper()
	opts, err := natsconf.Load(filepath.Join(h.root, natsconf.HubConfigPath), h.env.Vars())
	if err != nil {
		return err
	}
	for _, acc := range opts.Accounts {
		if p, ok := h.probes[acc.Name]; ok {
			opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: p.Public, Account: acc})
		}
	}
	srv, err := runServer(t, opts)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.srv = srv
	h.mu.Unlock()
	return nil
}

// Env returns the hub's environment: ports, public keys, TLS files.
func (h *Hub) Env() natsconf.HubEnv { return h.env }

// LeafSeed returns the seed of member's leaf nkey: with LeafTLS, what a
// test needs to dial the hub as that member (or to steal part of it).
func (h *Hub) LeafSeed(member string) string { return h.leafSeeds[member] }

// LeafTLS returns member's leaf-link certificate, key and the corridor CA.
func (h *Hub) LeafTLS(member string) natsconf.TLSFiles { return h.pki.Members[member] }

// LeafURL returns the URL members dial.
func (h *Hub) LeafURL() string { return h.env.LeafURL() }

// Server returns the running server (nil after Stop).
func (h *Hub) Server() *server.Server {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.srv
}

// ClientURL returns the hub's client URL.
func (h *Hub) ClientURL() string {
	return fmt.Sprintf("nats://%s:%d", h.env.Host, h.env.Port)
}

// Stop shuts the hub down, cutting every member's leaf link. It is safe to
// call more than once; the test's cleanup calls it too.
func (h *Hub) Stop() {
	h.mu.Lock()
	srv := h.srv
	h.srv = nil
	h.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart starts a stopped hub again on the same ports, so members' leaf
// links reconnect by themselves.
func (h *Hub) Restart(t testing.TB) {
	t.Helper()
	if h.Server() != nil {
		t.Fatal("restart hub: hub is running")
	}
	if err := h.start(t); err != nil {
		t.Fatal(err)
	}
}

// ConnectAccount connects to the hub as the probe user of a member's hub
// account ("CI"): what an operator of the hub, or an intruder there, could
// do in that account.
// Extra options are applied after natstest's own.
func (h *Hub) ConnectAccount(t testing.TB, account string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	p, ok := h.probes[account]
	if !ok {
		t.Fatalf("connect to hub: no account %q", account)
	}
	return connect(t, h.ClientURL(), p, opts)
}

// WaitLeafNodes waits until n leaf links are connected to the hub.
func (h *Hub) WaitLeafNodes(t testing.TB, n int) {
	t.Helper()
	WaitFor(t, linkTimeout, fmt.Sprintf("hub has %d leaf links", n), func() bool {
		srv := h.Server()
		return srv != nil && srv.NumLeafNodes() == n
	})
}

// Member is a running member server.
type Member struct {
	// Name is the member's JetStream domain ("ci").
	Name string
	// Relay and Operator are the users of the account holding the streams,
	// Sys the system account's; Publisher, on the coordinator's server
	// only, puts directory versions into the bucket.
	Relay, Operator, Sys, Publisher Credentials

	root    string
	env     natsconf.MemberEnv
	changes []Change

	mu  sync.Mutex
	srv *server.Server
}

// Change alters a server's options after its configuration is loaded, for
// a test that needs a server unlike the shipped one (a feature flag off,
// say). Tests of the shipped configuration use none.
type Change func(*server.Options)

// StartMember starts member's server from deploy/nats/members/<member>.conf,
// storing under a temporary directory, linked to hub, with changes applied
// to the loaded options (on every restart too).
func StartMember(t testing.TB, hub *Hub, member string, changes ...Change) *Member {
	t.Helper()
	m := &Member{Name: member, root: hub.root, changes: changes}
	keys := t.TempDir()
	m.Relay = newCredentials(t, keys, natsconf.UserRelay)
	m.Operator = newCredentials(t, keys, natsconf.UserOperator)
	m.Sys = newCredentials(t, keys, natsconf.UserSys)
	m.Publisher = newCredentials(t, keys, natsconf.UserPublisher)
	users := natsconf.UserNkeys{Relay: m.Relay.Public, Operator: m.Operator.Public, Sys: m.Sys.Public, Publisher: m.Publisher.Public}
	var err error
	for attempt := 1; ; attempt++ {
		if m.env, err = natsconf.NewMemberEnv(member, Host, t.TempDir(), hub.env, hub.leafSeeds[member], hub.pki.Members[member], users); err != nil {
			t.Fatal(err)
		}
		if err = m.start(t); err == nil || attempt == startAttempts {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

func (m *Member) start(t testing.TB) error {
	t.Helper()
	opts, err := natsconf.Load(filepath.Join(m.root, natsconf.MemberConfigPath(m.Name)), m.env.Vars())
	if err != nil {
		return err
	}
	for _, change := range m.changes {
		change(opts)
	}
	srv, err := runServer(t, opts)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.srv = srv
	m.mu.Unlock()
	return nil
}

// Env returns the member's environment: ports, leaf nkey seed and TLS
// files, users' public keys, store directory, hub URL.
func (m *Member) Env() natsconf.MemberEnv { return m.env }

// Server returns the running server (nil after Stop).
func (m *Member) Server() *server.Server {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.srv
}

// ClientURL returns the member's client URL.
func (m *Member) ClientURL() string {
	return fmt.Sprintf("nats://%s:%d", m.env.Host, m.env.Port)
}

// Stop shuts the member down, keeping its store. Safe to call more than once.
func (m *Member) Stop() {
	m.mu.Lock()
	srv := m.srv
	m.srv = nil
	m.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart starts a stopped member again on the same ports and store.
func (m *Member) Restart(t testing.TB) {
	t.Helper()
	if m.Server() != nil {
		t.Fatal("restart member: member is running")
	}
	if err := m.start(t); err != nil {
		t.Fatal(err)
	}
}

// Credentials returns the credentials of user (natsconf.UserRelay,
// UserOperator, UserSys, or UserPublisher, which only the coordinator's
// server knows).
func (m *Member) Credentials(t testing.TB, user string) Credentials {
	t.Helper()
	switch user {
	case natsconf.UserRelay:
		return m.Relay
	case natsconf.UserOperator:
		return m.Operator
	case natsconf.UserSys:
		return m.Sys
	case natsconf.UserPublisher:
		return m.Publisher
	}
	t.Fatalf("member %s has no user %q", m.Name, user)
	return Credentials{}
}

// Connect connects to the member as user; the connection closes when the
// test ends. Extra options are applied after natstest's own (reconnect
// forever, quickly).
func (m *Member) Connect(t testing.TB, user string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	return connect(t, m.ClientURL(), m.Credentials(t, user), opts)
}

// JetStream returns a JetStream context on a new connection as user.
func (m *Member) JetStream(t testing.TB, user string) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(m.Connect(t, user))
	if err != nil {
		t.Fatalf("jetstream on %s: %v", m.Name, err)
	}
	return js
}

// WaitLeafConnected waits until the member's leaf link to the hub is up.
func (m *Member) WaitLeafConnected(t testing.TB) {
	t.Helper()
	WaitFor(t, linkTimeout, m.Name+"'s leaf link is up", func() bool {
		srv := m.Server()
		return srv != nil && srv.NumLeafNodes() == 1
	})
}

// Senders returns the peers whose OUTBOX this member's configuration lets
// its INBOX source.
func (m *Member) Senders(t testing.TB) []string {
	t.Helper()
	s, err := natsconf.Senders(m.root, m.Name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// EnsureStreams creates the member's OUTBOX with a source consumer for each
// of peers and an INBOX sourcing from peers, or brings them up to date, as
// the member's operator does.
func (m *Member) EnsureStreams(t testing.TB, peers []string) {
	t.Helper()
	m.ensureOutbox(t, peers)
	m.ensureInbox(t, peers)
}

func (m *Member) ensureOutbox(t testing.TB, peers []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := streams.EnsureOutbox(ctx, m.JetStream(t, natsconf.UserOperator), m.Name, peers); err != nil {
		t.Fatalf("%s: %v", m.Name, err)
	}
}

func (m *Member) ensureInbox(t testing.TB, peers []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := streams.EnsureInbox(ctx, m.JetStream(t, natsconf.UserOperator), m.Name, peers); err != nil {
		t.Fatalf("%s: %v", m.Name, err)
	}
}

// Corridor is a hub and the members linked to it.
type Corridor struct {
	Hub     *Hub
	Members map[string]*Member
}

// StartCorridor starts a hub and the given members (every configured member
// if none is given) and waits until all leaf links are up.
func StartCorridor(t testing.TB, members ...string) *Corridor {
	t.Helper()
	hub := StartHub(t)
	if len(members) == 0 {
		var err error
		if members, err = natsconf.Members(hub.root); err != nil {
			t.Fatal(err)
		}
	}
	c := &Corridor{Hub: hub, Members: make(map[string]*Member, len(members))}
	for _, name := range members {
		c.Members[name] = StartMember(t, hub, name)
	}
	for _, m := range c.Members {
		m.WaitLeafConnected(t)
	}
	hub.WaitLeafNodes(t, len(members))
	return c
}

// EnsureStreams creates every member's OUTBOX and INBOX as the members'
// operators do; each INBOX sources the peers its configuration allows that
// run in this corridor. Every OUTBOX comes first, so that each source finds
// its upstream consumer at once (one created earlier retries on a timer of
// several seconds).
func (c *Corridor) EnsureStreams(t testing.TB) {
	t.Helper()
	peers := map[string][]string{}
	for _, name := range c.Names() {
		for _, p := range c.Members[name].Senders(t) {
			if _, ok := c.Members[p]; ok {
				peers[name] = append(peers[name], p)
			}
		}
	}
	for _, name := range c.Names() {
		c.Members[name].ensureOutbox(t, peers[name])
	}
	for _, name := range c.Names() {
		c.Members[name].ensureInbox(t, peers[name])
	}
}

// Names returns the names of the corridor's members, sorted.
func (c *Corridor) Names() []string {
	names := make([]string, 0, len(c.Members))
	for n := range c.Members {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// startAttempts is how often a new server is tried on fresh ports: a port
// found free can be taken by another test before the server binds it, and
// nats-server then never becomes ready.
const startAttempts = 3

func runServer(t testing.TB, opts *server.Options) (*server.Server, error) {
	t.Helper()
	opts.NoSigs = true
	_, logging := os.LookupEnv(LogEnv)
	opts.NoLog = !logging
	opts.Debug = logging
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("create nats server: %w", err)
	}
	if logging {
		srv.ConfigureLogger()
	}
	go srv.Start()
	if !srv.ReadyForConnections(startTimeout) {
		srv.Shutdown()
		return nil, fmt.Errorf("nats server %s did not start within %s", opts.ServerName, startTimeout)
	}
	return srv, nil
}

func connect(t testing.TB, url string, c Credentials, extra []nats.Option) *nats.Conn {
	t.Helper()
	nkey, err := streams.NkeyOption(c.SeedFile)
	if err != nil {
		t.Fatal(err)
	}
	opts := append([]nats.Option{
		nkey,
		nats.Name("natstest " + c.User),
		// Generous: under -race on a loaded two-core machine the handshake
		// alone has taken more than nats.go's default of two seconds.
		nats.Timeout(15 * time.Second),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50 * time.Millisecond),
	}, extra...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect to %s as %s: %v", url, c.User, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// WaitFor polls cond every few milliseconds until it holds, failing the test
// if timeout passes first; what says what was awaited.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting until %s", timeout, what)
		case <-tick.C:
		}
	}
}
