package sandbox

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/user"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/corridor-org/corridor/pkg/pgserver"
	"github.com/corridor-org/corridor/services/sandbox/internal/supervise"
)

// postgresStopTimeout bounds pg_ctl's fast shutdown before SIGKILL.
const postgresStopTimeout = time.Minute

// startPostgres initialises the cluster on first use, then runs its server
// in the foreground under the supervisor (pg_ctl start would detach it, and
// a detached server is neither restarted nor stopped with the sandbox), and
// creates the databases that do not exist yet.
func (s *Sandbox) startPostgres(ctx context.Context, port int, databases []string) (*pgserver.Cluster, *supervise.Process, error) {
	c := postgresCluster(s.path("postgres"), port)
	if err := c.Init(ctx); err != nil {
		return nil, nil, fmt.Errorf("start postgres: %w", err)
	}
	// A server left by a sandbox that was killed holds the data directory.
	running, err := c.Running(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("start postgres: %w", err)
	}
	if running {
		s.logger.Warn("stopping a postgres left running by an earlier sandbox")
		if err := c.Stop(ctx, pgserver.StopFast); err != nil {
			return nil, nil, fmt.Errorf("start postgres: %w", err)
		}
	}
	cred, err := postgresCredential()
	if err != nil {
		return nil, nil, fmt.Errorf("start postgres: %w", err)
	}
	proc, err := s.sup.Start(supervise.Spec{
		Name:        "postgres",
		Path:        c.Binaries.Postgres,
		Args:        postgresArgs(c),
		Env:         []string{"LC_ALL=C", "PATH=" + os.Getenv("PATH")},
		Dir:         c.Dir,
		LogFile:     s.logFile("postgres"),
		Credential:  cred,
		StopTimeout: postgresStopTimeout,
		Stop: func(ctx context.Context, _ int) error {
			return c.Stop(ctx, pgserver.StopFast)
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("start postgres: %w", err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, s.cfg.ReadyTimeout)
	defer cancel()
	if err := c.Wait(waitCtx); err != nil {
		return nil, proc, fmt.Errorf("start postgres: %w (see %s)", err, s.logFile("postgres"))
	}
	for _, db := range databases {
		if err := c.CreateDatabase(ctx, db); err != nil {
			return nil, proc, fmt.Errorf("start postgres: %w", err)
		}
	}
	return c, proc, nil
}

// postgresCluster is the sandbox's cluster in dir. It is durable, like
// anything a user runs: the referrals someone files in the sandbox survive
// a crash of the machine, not only of PostgreSQL. Only tests (pkg/pgtest)
// trade that for speed.
func postgresCluster(dir string, port int) *pgserver.Cluster {
	return &pgserver.Cluster{Dir: dir, Port: port, Settings: pgserver.DurableSettings()}
}

// postgresArgs are the arguments of the server the supervisor runs for c,
// its settings included.
func postgresArgs(c *pgserver.Cluster) []string {
	args := []string{
		"-D", c.DataDir(),
		"-p", strconv.Itoa(c.Port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + c.SocketDir(),
	}
	for _, name := range slices.Sorted(maps.Keys(c.Settings)) {
		args = append(args, "-c", name+"="+c.Settings[name])
	}
	return args
}

// postgresCredential returns nil when not root, and the postgres user's
// credential when root: PostgreSQL refuses to run as root. pgserver does the
// same for the commands it runs; the sandbox runs the server itself.
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("look up the postgres user to run the server as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parse uid of postgres: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parse gid of postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
