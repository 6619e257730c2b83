package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/pgdb"
	"github.com/corridor-org/corridor/pkg/pgserver"
)

// clusterPrefix names the temporary directories of private clusters, so that
// a later test binary can find and reap the ones a killed binary left.
const clusterPrefix = "pgtest-"

// ownerFile, in a private cluster's directory, holds the process id of the
// test binary that owns the cluster.
const ownerFile = "owner.pid"

// setupTimeout bounds starting the server, building a template, or creating
// or dropping one database.
const setupTimeout = 2 * time.Minute

// MigrateFunc brings the empty database at dsn to the schema tests expect,
// typically a service's own Migrate.
type MigrateFunc func(ctx context.Context, dsn string) error

// Template is a schema that tests' databases are cloned from. The template
// database is built once per Name in a test binary, by the first test that
// asks for it; every Template with the same Name must migrate the same way.
type Template struct {
	Name    string
	Migrate MigrateFunc // nil means an empty database
}

// Server hands out databases to tests. The zero value is ready to use; it
// starts its cluster when the first test asks for a database, and Run (or
// Main) must be called from TestMain so that the cluster is stopped.
type Server struct {
	// Getenv reads DATABASE_URL; nil means os.Getenv.
	Getenv func(string) string

	mu        sync.Mutex
	started   bool
	startErr  error
	cluster   *pgserver.Cluster // nil when DATABASE_URL names the server
	adminDSN  string
	admin     *pgxpool.Pool
	templates map[string]*template
}

type template struct {
	build  sync.Once
	err    error
	dbName string
	// create serialises CREATE DATABASE from this template: PostgreSQL
	// refuses to copy a template while another session is connected to it,
	// and a concurrent copy's backend can be one.
	create sync.Mutex
}

// Main runs the tests, stops the server and exits: call it from TestMain.
func (s *Server) Main(m *testing.M) { os.Exit(s.Run(m)) }

// Run runs the tests and then stops the private cluster and deletes its
// directory, or drops the templates it made on DATABASE_URL's server. It
// returns the exit code for os.Exit.
func (s *Server) Run(m *testing.M) int {
	code := m.Run()
	if err := s.close(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// NewDatabase creates a database for this test only, migrated by tmpl, and
// returns its DSN. The database is dropped when the test ends.
func (s *Server) NewDatabase(t testing.TB, tmpl Template) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	admin, err := s.start(ctx)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	tp, err := s.template(ctx, admin, tmpl)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := "pgtest_" + randomHex(8)
	if err := createFrom(ctx, admin, name, tp); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		// FORCE ends connections the test left open, such as a pool it did
		// not close.
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	dsn, err := withDatabase(s.adminDSN, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// NewPool creates a database as NewDatabase does and returns a pool for it,
// closed when the test ends.
func (s *Server) NewPool(t testing.TB, tmpl Template) *pgxpool.Pool {
	t.Helper()
	dsn := s.NewDatabase(t, tmpl)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	pool, err := pgdb.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// Registered after the database's drop, so it runs before it.
	t.Cleanup(pool.Close)
	return pool
}

// start starts the server once, and returns the maintenance pool.
func (s *Server) start(ctx context.Context) (*pgxpool.Pool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return s.admin, s.startErr
	}
	s.started = true
	s.startErr = s.startLocked(ctx)
	return s.admin, s.startErr
}

func (s *Server) startLocked(ctx context.Context) error {
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if dsn := getenv("DATABASE_URL"); dsn != "" {
		admin, err := pgdb.Open(ctx, dsn)
		if err != nil {
			return fmt.Errorf("connect to DATABASE_URL: %w", err)
		}
		s.adminDSN, s.admin = dsn, admin
		return nil
	}

	reapStale(ctx, os.TempDir())
	c, err := startCluster(ctx)
	if err != nil {
		return err
	}
	admin, err := pgdb.Open(ctx, c.DSN("postgres"))
	if err != nil {
		return errors.Join(err, stopCluster(c))
	}
	s.cluster, s.adminDSN, s.admin = c, c.DSN("postgres"), admin
	return nil
}

// startCluster starts a private cluster in a new temporary directory, which
// is deleted again if the cluster cannot start.
func startCluster(ctx context.Context) (*pgserver.Cluster, error) {
	if _, err := pgserver.FindBinaries(); errors.Is(err, pgserver.ErrBinariesNotFound) {
		return nil, fmt.Errorf("%w or set DATABASE_URL", err)
	}
	// os.TempDir is world-searchable; the directory itself is private (0700)
	// and handed to the server user by Init.
	dir, err := os.MkdirTemp("", clusterPrefix)
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, errors.Join(fmt.Errorf("record cluster owner: %w", err), os.RemoveAll(dir))
	}
	c := &pgserver.Cluster{Dir: dir, Settings: pgserver.TestSettings()}
	if err := c.Init(ctx); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	if err := c.Start(ctx); err != nil {
		return nil, errors.Join(err, stopCluster(c))
	}
	return c, nil
}

func stopCluster(c *pgserver.Cluster) error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	// Immediate: the data is about to be deleted, so a checkpoint is waste.
	err := c.Stop(ctx, pgserver.StopImmediate)
	return errors.Join(err, os.RemoveAll(c.Dir))
}

// reapStale stops and deletes the private clusters of test binaries that no
// longer run: a binary killed by a timeout or ^C never reaches Run's
// clean-up. It is best effort, since another binary may reap the same one.
func reapStale(ctx context.Context, tmp string) {
	dirs, err := filepath.Glob(filepath.Join(tmp, clusterPrefix+"*"))
	if err != nil {
		return
	}
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not ours, or its owner is still writing the file
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue // the owner runs, or we cannot tell
		}
		c := &pgserver.Cluster{Dir: dir}
		_ = c.Stop(ctx, pgserver.StopImmediate)
		_ = os.RemoveAll(dir)
	}
}

// close releases what start acquired.
func (s *Server) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin == nil {
		return nil
	}
	var errs []error
	if s.cluster == nil {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		for _, tp := range s.templates {
			if tp.dbName == "" {
				continue
			}
			if _, err := s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(tp.dbName)+" WITH (FORCE)"); err != nil {
				errs = append(errs, fmt.Errorf("drop template: %w", err))
			}
		}
	}
	s.admin.Close()
	if s.cluster != nil {
		errs = append(errs, stopCluster(s.cluster))
	}
	s.admin, s.cluster, s.templates, s.started, s.startErr = nil, nil, nil, false, nil
	return errors.Join(errs...)
}

// template returns tmpl's template database, building it on first use.
func (s *Server) template(ctx context.Context, admin *pgxpool.Pool, tmpl Template) (*template, error) {
	if tmpl.Name == "" {
		return nil, errors.New("template has no name")
	}
	s.mu.Lock()
	if s.templates == nil {
		s.templates = make(map[string]*template)
	}
	tp, ok := s.templates[tmpl.Name]
	if !ok {
		tp = &template{}
		s.templates[tmpl.Name] = tp
	}
	adminDSN := s.adminDSN
	s.mu.Unlock()

	tp.build.Do(func() {
		name := "pgtest_tmpl_" + safeName(tmpl.Name) + "_" + randomHex(4)
		tp.err = buildTemplate(ctx, admin, adminDSN, name, tmpl.Migrate)
		if tp.err == nil {
			tp.dbName = name
		}
	})
	if tp.err != nil {
		return nil, fmt.Errorf("build template %q: %w", tmpl.Name, tp.err)
	}
	return tp, nil
}

func buildTemplate(ctx context.Context, admin *pgxpool.Pool, adminDSN, name string, migrate MigrateFunc) error {
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident(name)); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	if migrate != nil {
		dsn, err := withDatabase(adminDSN, name)
		if err != nil {
			return err
		}
		if err := migrate(ctx, dsn); err != nil {
			return errors.Join(fmt.Errorf("migrate: %w", err), dropDatabase(admin, name))
		}
	}
	// Copying a template fails while anyone is connected to it. Barring new
	// connections and ending the ones a migration left behind means only the
	// copies themselves can get in the way, and those are serialised.
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+ident(name)+" WITH ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("seal template: %w", err)
	}
	if _, err := admin.Exec(ctx,
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
		name); err != nil {
		return fmt.Errorf("disconnect template: %w", err)
	}
	return nil
}

// createFrom creates database name as a copy of tp. A backend that is still
// exiting from the template makes CREATE DATABASE fail with object_in_use,
// so that error is retried until ctx ends.
func createFrom(ctx context.Context, admin *pgxpool.Pool, name string, tp *template) error {
	tp.create.Lock()
	defer tp.create.Unlock()
	sql := "CREATE DATABASE " + ident(name) + " TEMPLATE " + ident(tp.dbName)
	delay := 10 * time.Millisecond
	for {
		_, err := admin.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" { // object_in_use
			if err != nil {
				return fmt.Errorf("create database: %w", err)
			}
			return nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("create database: %w", err)
		case <-t.C:
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

func dropDatabase(admin *pgxpool.Pool, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database: %w", err)
	}
	return nil
}

// withDatabase returns dsn with its database replaced by name. It accepts
// both URL and keyword/value connection strings, as libpq does.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse DSN: %w", err)
		}
		u.Path, u.RawPath = "/"+name, ""
		q := u.Query()
		q.Del("dbname")
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	// A later keyword overrides an earlier one.
	return strings.TrimSpace(dsn) + " dbname=" + name, nil
}

// safeName reduces a template name to what can appear, unquoted and short,
// in a database name.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if b.Len() == 32 {
			break
		}
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b)
}
