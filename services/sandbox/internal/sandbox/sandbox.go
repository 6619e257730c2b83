package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/pgserver"
	"github.com/corridor-org/corridor/services/sandbox/internal/state"
	"github.com/corridor-org/corridor/services/sandbox/internal/supervise"
)

// Config says where a sandbox lives and what it runs.
type Config struct {
	// Dir holds all of the sandbox's state (".sandbox").
	Dir string
	// BinDir holds the casework, relay and coordinator binaries (".bin").
	BinDir string
	// Root is the repository root: docs/examples is read from it.
	Root string
	// Self is the sandbox binary, run as `Self nats ...` and `Self idp ...`
	// for the NATS servers and identity providers; BinDir/sandbox when empty.
	Self string
	// Reset wipes Dir first.
	Reset bool
	// NoSeed skips filing the synthetic cases on a fresh sandbox.
	NoSeed bool
	// Out receives progress and warnings for the person at the terminal.
	Out io.Writer
	// ReadyTimeout bounds each wait for a process to become ready; two
	// minutes when zero.
	ReadyTimeout time.Duration
	// LogLevel is the children's LOG_LEVEL; "info" when empty.
	LogLevel string
	// Supervise tunes restarts; zero values take the supervisor's defaults.
	Supervise supervise.Config
	// LeafURL, when set, returns the URL a member's server ("ci") dials
	// for its leaf link instead of the hub's own: the fault tests put a TCP
	// proxy there, to cut the link and heal it.
	LeafURL func(member, hubURL string) (string, error)
}

// Sandbox is a running corridor.
type Sandbox struct {
	cfg    Config
	dir    string
	logger *slog.Logger
	logOut *os.File
	lock   *os.File
	sup    *supervise.Supervisor
	st     *state.State
	client *http.Client
	procs  map[string]*supervise.Process
	reused bool

	mu        sync.Mutex
	endpoints *Endpoints // nil until every process is ready
	stopped   bool
	// stopNotices stops the agencies' demo webhook (notices.go).
	stopNotices func()
}

// streamsTimeout bounds the wait for the streams' sources: nats-server's
// longest retry interval (2 minutes) and then some.
const streamsTimeout = 4 * time.Minute

// PublishPeriod is the length of the period of the indicator sets the
// sandbox's coordinator publishes.
const PublishPeriod = "month"

// lockWait is how long a start waits for the lock of a sandbox directory.
const lockWait = time.Second

// The files and directories of a sandbox, relative to its directory.
const (
	endpointsFile = "endpoints.json"
	envFile       = "env.sh"
	directoryFile = "directory.json"
	lockFile      = ".lock"
	logsDir       = "logs"
)

// Start brings the whole corridor up: it creates or reuses the state in
// cfg.Dir, starts every process, waits until all are ready, seeds synthetic
// cases on a fresh sandbox, and writes endpoints.json and env.sh. On error,
// whatever was started is stopped again.
func Start(ctx context.Context, cfg Config) (_ *Sandbox, err error) {
	s, err := open(cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			defer cancel()
			_ = s.Stop(stopCtx)
		}
	}()
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// open resolves the configuration, locks the directory and loads, creates or
// resets the state.
func open(cfg Config) (*Sandbox, error) {
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	// Restarts are reported from the supervisor's goroutines while Start
	// reports progress from the caller's.
	cfg.Out = &syncWriter{w: cfg.Out}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 2 * time.Minute
	}
	for _, p := range []*string{&cfg.Dir, &cfg.BinDir, &cfg.Root} {
		if *p == "" {
			return nil, errors.New("open sandbox: Dir, BinDir and Root are required")
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, fmt.Errorf("open sandbox: %w", err)
		}
		*p = abs
	}
	if cfg.Self == "" {
		cfg.Self = filepath.Join(cfg.BinDir, "sandbox")
	}
	for _, name := range []string{"casework", "relay", "coordinator"} {
		if _, err := os.Stat(filepath.Join(cfg.BinDir, name)); err != nil {
			return nil, fmt.Errorf("open sandbox: %s: build the services first (make build): %w", name, err)
		}
	}
	if _, err := os.Stat(cfg.Self); err != nil {
		return nil, fmt.Errorf("open sandbox: the sandbox binary: %w", err)
	}

	// The directory must be searchable by the postgres user, who owns the
	// cluster inside it; the secrets inside are files only their owner reads.
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("open sandbox: %w", err)
	}
	s := &Sandbox{cfg: cfg, dir: cfg.Dir, procs: map[string]*supervise.Process{},
		client: &http.Client{Timeout: 5 * time.Second}}
	if err := s.acquireLock(); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.releaseLock()
		}
	}()

	st, err := state.Load(s.path(state.FileName))
	fresh := cfg.Reset || errors.Is(err, os.ErrNotExist)
	switch {
	case fresh:
		// Wiping a directory that is not a sandbox's (a mistyped -dir)
		// would destroy someone's files: refuse instead.
		foreign, ferr := s.foreignEntries()
		if ferr != nil {
			return nil, ferr
		}
		if len(foreign) > 0 {
			return nil, fmt.Errorf("open sandbox: %s holds %s, which the sandbox did not write: choose another -dir", s.displayDir(), strings.Join(foreign, ", "))
		}
		// Without a state file, what is there is the rest of an interrupted
		// first start, not worth keeping.
		if err := s.wipe(); err != nil {
			return nil, err
		}
		if cfg.Reset && st != nil {
			fmt.Fprintf(cfg.Out, "reset: wiped %s (created %s); starting afresh\n", s.displayDir(), st.CreatedAt.Local().Format(time.DateTime))
		} else if cfg.Reset {
			fmt.Fprintf(cfg.Out, "reset: wiped %s; starting afresh\n", s.displayDir())
		} else {
			fmt.Fprintf(cfg.Out, "creating a new sandbox in %s\n", s.displayDir())
		}
		st = state.New(time.Now())
	case err == nil:
		s.reused = true
		fmt.Fprintf(cfg.Out, "reusing %s from %s; `make demo-reset` starts afresh\n", s.displayDir(), st.CreatedAt.Local().Format(time.DateTime))
	default:
		return nil, fmt.Errorf("open sandbox: %w (`make demo-reset` starts afresh)", err)
	}
	s.st = st

	if err := os.MkdirAll(s.path(logsDir), 0o700); err != nil {
		return nil, fmt.Errorf("open sandbox: %w", err)
	}
	s.logOut, err = os.OpenFile(s.logFile("sandbox"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sandbox: %w", err)
	}
	s.logger = slog.New(slog.NewMultiHandler(
		slog.NewJSONHandler(s.logOut, nil),
		// The terminal gets warnings only, without timestamps: what a person
		// must notice (a process crashed), not the log.
		slog.NewTextHandler(cfg.Out, &slog.HandlerOptions{Level: slog.LevelWarn, ReplaceAttr: dropTime}),
	))
	supCfg := cfg.Supervise
	supCfg.OnRestart = func(p *supervise.Process) {
		fmt.Fprintf(cfg.Out, "%s restarted (pid %d, restart %d); its log: %s\n", p.Name(), p.PID(), p.Restarts(), s.display(s.logFile(p.Name())))
		if err := s.rewriteEndpoints(); err != nil {
			s.logger.Error("rewrite endpoints after restart", "error", err.Error())
		}
	}
	s.sup = supervise.New(s.logger, supCfg)
	ok = true
	return s, nil
}

// start runs every process in dependency order and waits for each.
func (s *Sandbox) start(ctx context.Context) error {
	if s.reused {
		if busy := s.st.BusyPorts(); len(busy) > 0 {
			return fmt.Errorf("start sandbox: ports of %s are in use: is another sandbox or program using them? stop it, or `make demo-reset` to choose new ports", strings.Join(busy, ", "))
		}
	}
	ports, err := s.allocatePorts()
	if err != nil {
		return err
	}
	if err := s.st.Save(s.path(state.FileName)); err != nil {
		return fmt.Errorf("start sandbox: %w", err)
	}

	trust, err := s.prepareTrust(ports)
	if err != nil {
		return err
	}

	var databases []string
	for _, m := range members() {
		databases = append(databases, databaseName(m))
	}
	fmt.Fprintln(s.cfg.Out, "starting postgres")
	pg, proc, err := s.startPostgres(ctx, ports["postgres"], databases)
	if proc != nil {
		s.procs["postgres"] = proc
	}
	if err != nil {
		return s.explain(err, "postgres")
	}

	fmt.Fprintln(s.cfg.Out, "starting NATS: hub, ci, bf, coord")
	natsEnv, err := s.startNATS(ctx, ports, trust)
	if err != nil {
		return err
	}
	if err := s.provisionStreams(ctx, natsEnv); err != nil {
		return err
	}
	if err := s.publishDirectory(ctx, natsEnv, trust); err != nil {
		return err
	}

	fmt.Fprintln(s.cfg.Out, "starting identity providers")
	if err := s.startIdPs(ctx, ports); err != nil {
		return err
	}

	// The agencies' demo webhook, before the coordinator that posts to it.
	if err := s.startNoticeReceiver(ctx, ports["notices"], trust); err != nil {
		return err
	}
	fmt.Fprintln(s.cfg.Out, "starting relays, casework and the coordinator")
	if err := s.startServices(ctx, ports, pg, natsEnv, trust); err != nil {
		return err
	}

	e := s.buildEndpoints(ports, pg, natsEnv)
	if s.st.SeededAt.IsZero() && !s.cfg.NoSeed {
		fmt.Fprintln(s.cfg.Out, "seeding synthetic cases")
		if err := s.seed(ctx, e); err != nil {
			return fmt.Errorf("seed synthetic cases: %w", err)
		}
		caseRef, err := s.seedOverdue(ctx, natsEnv, trust)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.cfg.Out, "seeded overdue case %s (a demo history, see docs/coordinator.md); its notices: %s\n",
			caseRef, s.display(s.path(logsDir, noticesLog)))
		s.st.SeededAt = time.Now().UTC()
		if err := s.st.Save(s.path(state.FileName)); err != nil {
			return fmt.Errorf("start sandbox: %w", err)
		}
	}
	if err := s.issueTokens(ctx, &e); err != nil {
		return err
	}

	s.mu.Lock()
	s.endpoints = &e
	s.mu.Unlock()
	if err := s.rewriteEndpoints(); err != nil {
		return err
	}
	if err := state.WriteFileAtomic(s.path(envFile), envShell(e, s.cfg.Root), 0o600); err != nil {
		return fmt.Errorf("write env.sh: %w", err)
	}
	s.logger.Info("sandbox ready", "endpoints", s.path(endpointsFile))
	return nil
}

// allocatePorts returns every port the sandbox listens on, chosen on first
// use and remembered in the state.
func (s *Sandbox) allocatePorts() (map[string]int, error) {
	names := []string{"postgres", "nats-hub", "nats-hub-leaf", "nats-hub-monitor", "coordinator", "notices"}
	for _, m := range members() {
		d := m.domain()
		names = append(names, "nats-"+d, "nats-"+d+"-monitor", "idp-"+d)
		if m.Country {
			names = append(names, "casework-"+d, "relay-"+d)
		}
	}
	ports := map[string]int{}
	for _, n := range names {
		p, err := s.st.Port(n)
		if err != nil {
			return nil, fmt.Errorf("start sandbox: %w", err)
		}
		ports[n] = p
	}
	return ports, nil
}

// startNATS starts the hub and every member's server and waits until each
// member's leaf link to the hub is up. Every server runs the configuration
// `corridorctl nats render` makes of the corridor directory (under
// nats/conf), and the hub admits the leaf nkeys the directory names, as a
// real corridor's operators do.
func (s *Sandbox) startNATS(ctx context.Context, ports map[string]int, trust trustFiles) (map[string]natsconf.MemberEnv, error) {
	dir, err := loadDirectory(trust.Directory)
	if err != nil {
		return nil, fmt.Errorf("start nats: %w", err)
	}
	leafNkeys, err := leafNkeysOf(dir)
	if err != nil {
		return nil, fmt.Errorf("start nats: %w", err)
	}
	conf := s.path("nats", "conf")
	rendered, err := natsconf.Render(natsconf.TopologyOf(dir))
	if err != nil {
		return nil, fmt.Errorf("start nats: %w", err)
	}
	if err := natsconf.WriteRendered(conf, rendered); err != nil {
		return nil, fmt.Errorf("start nats: %w", err)
	}
	var domains []string
	for _, m := range members() {
		domains = append(domains, m.domain())
	}
	// The leaf links' CA and certificates, made on first start and kept.
	pki, err := natsconf.LoadOrCreatePKI(s.path("nats", "tls"), []string{"127.0.0.1"}, domains)
	if err != nil {
		return nil, fmt.Errorf("start nats: %w", err)
	}
	sys, err := s.nkey("nats-hub-sys")
	if err != nil {
		return nil, err
	}
	hub := natsconf.HubEnv{
		Host:        "127.0.0.1",
		Port:        ports["nats-hub"],
		LeafPort:    ports["nats-hub-leaf"],
		MonitorPort: ports["nats-hub-monitor"],
		LeafNkeys:   leafNkeys,
		SysNkey:     sys.Public,
		TLS:         pki.Hub,
	}
	leafSeeds := map[string]string{}
	for _, d := range domains {
		k, err := s.nkey(leafNkeyName(d))
		if err != nil {
			return nil, err
		}
		if hub.LeafNkeys[d] != k.Public {
			return nil, fmt.Errorf("start nats: the directory names another leaf nkey for %s than the one the sandbox keeps", d)
		}
		leafSeeds[d] = k.Seed
	}
	if err := s.st.Save(s.path(state.FileName)); err != nil {
		return nil, fmt.Errorf("start nats: %w", err)
	}
	if err := s.startProcess("nats-hub", s.cfg.Self,
		[]string{"nats", "-c", filepath.Join(conf, natsconf.RenderedHub)},
		natsconf.Environ(hub.Vars())); err != nil {
		return nil, err
	}
	if err := s.waitReady(ctx, "nats-hub", httpOK(s.client, monitorURL(hub.MonitorPort)+"/healthz")); err != nil {
		return nil, err
	}

	envs := map[string]natsconf.MemberEnv{}
	for _, d := range domains {
		hubURL := hub.LeafURL()
		if s.cfg.LeafURL != nil {
			if hubURL, err = s.cfg.LeafURL(d, hubURL); err != nil {
				return nil, fmt.Errorf("start nats: leaf link of %s: %w", d, err)
			}
		}
		users, err := s.natsUsers(d)
		if err != nil {
			return nil, err
		}
		env := natsconf.MemberEnv{
			Member:      d,
			Host:        "127.0.0.1",
			Port:        ports["nats-"+d],
			MonitorPort: ports["nats-"+d+"-monitor"],
			StoreDir:    s.path("nats", d),
			HubURL:      hubURL,
			LeafSeed:    leafSeeds[d],
			LeafTLS:     pki.Members[d],
			Users:       users,
		}
		if err := os.MkdirAll(env.StoreDir, 0o700); err != nil {
			return nil, fmt.Errorf("start nats: %w", err)
		}
		envs[d] = env
		if err := s.startProcess("nats-"+d, s.cfg.Self,
			[]string{"nats", "-c", filepath.Join(conf, natsconf.RenderedMemberServer(d))},
			natsconf.Environ(env.Vars())); err != nil {
			return nil, err
		}
	}
	if err := s.st.Save(s.path(state.FileName)); err != nil {
		return nil, fmt.Errorf("start nats: %w", err)
	}
	var accounts []string
	for _, m := range members() {
		d := m.domain()
		if err := s.waitReady(ctx, "nats-"+d, leafsConnected(s.client, monitorURL(envs[d].MonitorPort), natsconf.AccountLink)); err != nil {
			return nil, err
		}
		accounts = append(accounts, natsconf.HubAccount(d))
	}
	if err := s.waitReady(ctx, "nats-hub", leafsConnected(s.client, monitorURL(hub.MonitorPort), accounts...)); err != nil {
		return nil, err
	}
	return envs, nil
}

// nkey returns the nkey kept in the state under name, making it on first
// use. The state file is readable by its owner only.
func (s *Sandbox) nkey(name string) (natsconf.Nkey, error) {
	if seed, ok := s.st.Secrets[name]; ok {
		k, err := natsconf.NkeyFromSeed(seed)
		if err != nil {
			return natsconf.Nkey{}, fmt.Errorf("start nats: %s: %w", name, err)
		}
		return k, nil
	}
	k, err := natsconf.NewNkey()
	if err != nil {
		return natsconf.Nkey{}, fmt.Errorf("start nats: %w", err)
	}
	s.st.Secrets[name] = k.Seed
	return k, nil
}

// natsUsers makes the nkeys of member server d's own users on first start
// (kept in the state), writes each seed to its 0600 file under nats/keys
// (natsSeedFile) for the process that signs in with it, and returns the
// public keys, all the server's configuration holds.
func (s *Sandbox) natsUsers(d string) (natsconf.UserNkeys, error) {
	var users natsconf.UserNkeys
	for user, public := range map[string]*string{
		natsconf.UserRelay:     &users.Relay,
		natsconf.UserOperator:  &users.Operator,
		natsconf.UserSys:       &users.Sys,
		natsconf.UserPublisher: &users.Publisher,
	} {
		// Sandboxes made before the users had nkeys kept passwords
		// under the names without "-nkey".
		delete(s.st.Secrets, "nats-"+d+"-"+user)
		k, err := s.nkey("nats-" + d + "-" + user + "-nkey")
		if err != nil {
			return natsconf.UserNkeys{}, err
		}
		if err := natsconf.WriteSeedFile(s.natsSeedFile(d, user), k); err != nil {
			return natsconf.UserNkeys{}, fmt.Errorf("start nats: %w", err)
		}
		*public = k.Public
	}
	return users, nil
}

// natsSeedFile is where the seed of user's nkey on member server d is.
func (s *Sandbox) natsSeedFile(d, user string) string {
	return s.path("nats", "keys", d+"-"+user+".nk")
}

// startServices starts the relays, casework and the coordinator, all at
// once, then waits for each one's /readyz.
func (s *Sandbox) startServices(ctx context.Context, ports map[string]int, pg *pgserver.Cluster, natsEnv map[string]natsconf.MemberEnv, trust trustFiles) error {
	type service struct {
		name, bin string
		env       []string
		port      int
	}
	var services []service
	for _, m := range countries() {
		d := m.domain()
		nats := natsEnv[d]
		common := []string{
			"DATABASE_URL=" + pg.DSN(databaseName(m)),
			"CORRIDOR_MEMBER=" + string(m.Code),
			"CORRIDOR_DIRECTORY=" + trust.Directory,
			"CORRIDOR_DIRECTORY_ANCHOR=" + trust.Anchor,
			"OIDC_ISSUER=" + httpURL(ports["idp-"+d]),
			"OIDC_AUDIENCE=" + m.audience(),
		}
		services = append(services,
			service{"relay-" + d, "relay", slicesConcat(common,
				"RELAY_HTTP_ADDR="+hostPort(ports["relay-"+d]),
				"RELAY_PUBLIC_URL="+httpURL(ports["relay-"+d]),
				"RELAY_KEYS_FILE="+trust.Keys[m.Code],
				"NATS_URL="+natsURL(nats.Port),
				"NATS_NKEY_SEED_FILE="+s.natsSeedFile(d, natsconf.UserRelay)), ports["relay-"+d]},
			service{"casework-" + d, "casework", slicesConcat(common,
				"CASEWORK_HTTP_ADDR="+hostPort(ports["casework-"+d]),
				"CASEWORK_PUBLIC_URL="+httpURL(ports["casework-"+d]),
				"CASEWORK_AUDIT_KEY="+trust.AuditKeys[m.Code],
				"CASEWORK_RELAY_URL="+httpURL(ports["relay-"+d])), ports["casework-"+d]},
		)
	}
	coord := natsEnv[coordinatorMember().domain()]
	services = append(services, service{"coordinator", "coordinator", []string{
		"COORDINATOR_HTTP_ADDR=" + hostPort(ports["coordinator"]),
		"COORDINATOR_PUBLIC_URL=" + httpURL(ports["coordinator"]),
		"DATABASE_URL=" + pg.DSN(databaseName(coordinatorMember())),
		"CORRIDOR_DIRECTORY=" + trust.Directory,
		"CORRIDOR_DIRECTORY_ANCHOR=" + trust.Anchor,
		"COORDINATOR_KEYS_FILE=" + trust.Keys[coordinatorMember().Code],
		// Overdue steps are noticed within seconds, for the demo.
		"COORDINATOR_NOTIFY_INTERVAL=5s",
		// A set of the month in progress is re-issued within seconds of
		// the figures changing, so that a member can verify what it just
		// did (docs/indicators.md).
		"COORDINATOR_PUBLISH_PERIOD=" + PublishPeriod,
		"COORDINATOR_PUBLISH_INTERVAL=10s",
		"NATS_URL=" + natsURL(coord.Port),
		"NATS_NKEY_SEED_FILE=" + s.natsSeedFile(coordinatorMember().domain(), natsconf.UserRelay),
	}, ports["coordinator"]})

	for _, svc := range services {
		env := append(s.baseEnv(), svc.env...)
		if err := s.startProcess(svc.name, filepath.Join(s.cfg.BinDir, svc.bin), nil, env); err != nil {
			return err
		}
	}
	for _, svc := range services {
		if err := s.waitReady(ctx, svc.name, httpOK(s.client, httpURL(svc.port)+"/readyz")); err != nil {
			return err
		}
	}

	// Every INBOX must be sourcing from the countries before the corridor
	// counts as up. After a restart nats-server retries a source that
	// failed while its peer was still down with a growing backoff (10 s,
	// 20 s, ... at most 2 minutes), so this wait can be long.
	began := time.Now()
	if s.reused {
		fmt.Fprintln(s.cfg.Out, "waiting for the streams to reconnect across the hub (nats-server retries for up to 2 minutes after a restart)")
	}
	timeout := max(s.cfg.ReadyTimeout, streamsTimeout)
	for _, m := range members() {
		var peers []string
		for _, c := range countries() {
			if c.Code != m.Code {
				peers = append(peers, c.domain())
			}
		}
		check := inboxSourcesActive(s.client, monitorURL(natsEnv[m.domain()].MonitorPort), peers...)
		if err := s.waitReadyFor(ctx, "nats-"+m.domain(), timeout, check); err != nil {
			return err
		}
	}
	if s.reused {
		fmt.Fprintf(s.cfg.Out, "streams connected after %s\n", time.Since(began).Round(time.Second))
	}
	return nil
}

// baseEnv is what every service inherits besides its own configuration.
func (s *Sandbox) baseEnv() []string {
	level := s.cfg.LogLevel
	if level == "" {
		level = "info"
	}
	env := []string{"LOG_LEVEL=" + level}
	for _, k := range []string{"PATH", "HOME", "TZ", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// startProcess starts a supervised child whose output goes to
// logs/<name>.log.
func (s *Sandbox) startProcess(name, path string, args, env []string) error {
	p, err := s.sup.Start(supervise.Spec{
		Name:    name,
		Path:    path,
		Args:    args,
		Env:     env,
		Dir:     s.dir,
		LogFile: s.logFile(name),
	})
	if err != nil {
		return fmt.Errorf("start sandbox: %w", err)
	}
	s.procs[name] = p
	return nil
}

// waitReady polls check for the named process and, when it never passes,
// says where that process's log is and how it ends.
func (s *Sandbox) waitReady(ctx context.Context, name string, check func(context.Context) error) error {
	return s.waitReadyFor(ctx, name, s.cfg.ReadyTimeout, check)
}

// waitReadyFor is waitReady with its own timeout.
func (s *Sandbox) waitReadyFor(ctx context.Context, name string, timeout time.Duration, check func(context.Context) error) error {
	if err := poll(ctx, timeout, name, check); err != nil {
		if ctx.Err() != nil { // interrupted: nothing to explain
			return err
		}
		return s.explain(err, name)
	}
	s.logger.Info("process ready", "process", name)
	return nil
}

// explain adds the end of a process's log to err: the reason a service
// does not come up is nearly always there.
func (s *Sandbox) explain(err error, name string) error {
	path := s.logFile(name)
	restarts := 0
	if p, ok := s.procs[name]; ok {
		restarts = p.Restarts()
	}
	return fmt.Errorf("%w\n%s (restarted %d times) log %s ends with:\n%s", err, name, restarts, s.display(path), tailLines(path, 15))
}

// Endpoints returns what endpoints.json holds.
func (s *Sandbox) Endpoints() Endpoints {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.endpoints == nil {
		return Endpoints{}
	}
	return *s.endpoints
}

// Process returns the supervised process with the given name ("relay-bf"),
// or nil.
func (s *Sandbox) Process(name string) *supervise.Process { return s.procs[name] }

// Dir returns the sandbox's directory.
func (s *Sandbox) Dir() string { return s.dir }

// Reused reports whether the sandbox found and reused earlier state.
func (s *Sandbox) Reused() bool { return s.reused }

// rewriteEndpoints writes endpoints.json with the processes' current ids.
func (s *Sandbox) rewriteEndpoints() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.endpoints == nil || s.stopped {
		return nil
	}
	s.fillPIDs(s.endpoints)
	return writeEndpoints(s.path(endpointsFile), *s.endpoints)
}

func (s *Sandbox) pid(name string) int {
	if p, ok := s.procs[name]; ok {
		return p.PID()
	}
	return 0
}

func (s *Sandbox) fillPIDs(e *Endpoints) {
	e.Hub.PID = s.pid("nats-hub")
	e.Coordinator.PIDs = CoordinatorPIDs{
		Coordinator: s.pid("coordinator"),
		NATS:        s.pid("nats-coord"),
		IdP:         s.pid("idp-coord"),
	}
	for _, m := range countries() {
		d := m.domain()
		me := e.Members[string(m.Code)]
		me.PIDs = MemberPIDs{Casework: s.pid("casework-" + d), Relay: s.pid("relay-" + d), NATS: s.pid("nats-" + d), IdP: s.pid("idp-" + d)}
		e.Members[string(m.Code)] = me
	}
}

// buildEndpoints describes the running sandbox, without tokens.
func (s *Sandbox) buildEndpoints(ports map[string]int, pg *pgserver.Cluster, natsEnv map[string]natsconf.MemberEnv) Endpoints {
	coord := coordinatorMember()
	cn := natsEnv[coord.domain()]
	e := Endpoints{
		Dir: s.dir,
		Hub: HubEndpoint{NATS: natsURL(ports["nats-hub"]), Monitor: monitorURL(ports["nats-hub-monitor"])},
		Coordinator: CoordinatorEndpoint{
			URL:          httpURL(ports["coordinator"]),
			Database:     pg.DSN(databaseName(coord)),
			NATS:         natsURL(cn.Port),
			NATSOperator: Credentials{NkeySeedFile: s.natsSeedFile(coord.domain(), natsconf.UserOperator)},
			IdP:          httpURL(ports["idp-"+coord.domain()]),
			NATSStore:    cn.StoreDir,
			NATSMonitor:  monitorURL(cn.MonitorPort),
		},
		Members: map[string]MemberEndpoint{},
		Users:   []User{},
	}
	for _, m := range countries() {
		d := m.domain()
		n := natsEnv[d]
		e.Members[string(m.Code)] = MemberEndpoint{
			Casework:     httpURL(ports["casework-"+d]),
			Relay:        httpURL(ports["relay-"+d]),
			IdP:          httpURL(ports["idp-"+d]),
			Database:     pg.DSN(databaseName(m)),
			NATS:         natsURL(n.Port),
			NATSOperator: Credentials{NkeySeedFile: s.natsSeedFile(d, natsconf.UserOperator)},
			NATSStore:    n.StoreDir,
			NATSMonitor:  monitorURL(n.MonitorPort),
		}
	}
	s.fillPIDs(&e)
	return e
}

// Stop stops every process (services first, Postgres last), removes
// endpoints.json and env.sh, and unlocks the directory. It is safe to call
// more than once.
func (s *Sandbox) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	s.mu.Unlock()

	var errs []error
	for _, f := range []string{endpointsFile, envFile} {
		if err := os.Remove(s.path(f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if s.sup != nil {
		if err := s.sup.StopAll(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	s.mu.Lock()
	stopNotices := s.stopNotices
	s.mu.Unlock()
	if stopNotices != nil {
		stopNotices()
	}
	if s.logger != nil {
		s.logger.Info("sandbox stopped")
	}
	if s.logOut != nil {
		s.logOut.Close()
	}
	s.releaseLock()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stop sandbox: %w", err)
	}
	return nil
}

// acquireLock keeps two sandboxes off one directory: the second would
// fight the first over ports and the Postgres data directory.
func (s *Sandbox) acquireLock() error {
	f, err := os.OpenFile(s.path(lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("lock sandbox: %w", err)
	}
	// A process forked just as the previous holder closed its lock file
	// shares that file until it execs, and with it the lock: a holder that
	// is really there holds it for longer than a moment.
	err = poll(context.Background(), lockWait, "the sandbox lock", func(context.Context) error {
		return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	})
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("lock sandbox: another sandbox is running in %s: stop it first (Ctrl-C in its terminal)", s.displayDir())
		}
		return fmt.Errorf("lock sandbox: %w", err)
	}
	// The holder's pid, for a person wondering who holds the lock.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	s.lock = f
	return nil
}

func (s *Sandbox) releaseLock() {
	if s.lock != nil {
		s.lock.Close() // closing releases the flock
		s.lock = nil
	}
}

// wipe deletes everything in the directory but the lock, stopping first a
// Postgres that a killed sandbox may have left running on its data.
func (s *Sandbox) wipe() error {
	if _, err := os.Stat(s.path("postgres", "data")); err == nil {
		c := &pgserver.Cluster{Dir: s.path("postgres")}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if running, err := c.Running(ctx); err == nil && running {
			if err := c.Stop(ctx, pgserver.StopImmediate); err != nil {
				return fmt.Errorf("wipe sandbox: %w", err)
			}
		}
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("wipe sandbox: %w", err)
	}
	for _, e := range entries {
		if e.Name() == lockFile || !sandboxEntry(e.Name()) {
			continue
		}
		if err := os.RemoveAll(s.path(e.Name())); err != nil {
			return fmt.Errorf("wipe sandbox: %w", err)
		}
	}
	return nil
}

// foreignEntries lists what the directory holds that a sandbox does not
// write.
func (s *Sandbox) foreignEntries() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read sandbox directory: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !sandboxEntry(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// sandboxEntry reports whether a name in the sandbox directory is one the
// sandbox writes, including the temporary files of its atomic writes
// (".state.json.123", ".directory.json.123.tmp").
func sandboxEntry(name string) bool {
	files := []string{state.FileName, directoryFile, endpointsFile, envFile}
	switch name {
	case lockFile, logsDir, "postgres", "nats", "keys", "idp":
		return true
	}
	for _, f := range files {
		if name == f || strings.HasPrefix(name, "."+f+".") {
			return true
		}
	}
	return false
}

func (s *Sandbox) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

func (s *Sandbox) logFile(process string) string {
	return s.path(logsDir, process+".log")
}

// display shortens path relative to the working directory when it is
// inside it, for messages.
func (s *Sandbox) display(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

func (s *Sandbox) displayDir() string { return s.display(s.dir) }

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func databaseName(m member) string { return "corridor_" + m.domain() }

func hostPort(port int) string   { return "127.0.0.1:" + strconv.Itoa(port) }
func httpURL(port int) string    { return "http://" + hostPort(port) }
func natsURL(port int) string    { return "nats://" + hostPort(port) }
func monitorURL(port int) string { return httpURL(port) }

func slicesConcat(a []string, more ...string) []string {
	out := make([]string, 0, len(a)+len(more))
	return append(append(out, a...), more...)
}

// syncWriter serialises writes to an io.Writer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// tailLines returns the last n lines of a file, for error messages.
func tailLines(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	defer f.Close()
	const window = 64 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > window {
		if _, err := f.Seek(-window, io.SeekEnd); err != nil {
			return "(unreadable: " + err.Error() + ")"
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
