package pgtest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/pgserver"
)

var pg Server

func TestMain(m *testing.M) { pg.Main(m) }

// countingTemplate returns a template that creates table items and counts
// how often it ran. Its name is new each time, since a Server keeps its
// templates for the whole binary and -count runs a test again in it.
func countingTemplate(name string, runs *atomic.Int32) Template {
	return Template{Name: name + "-" + randomHex(4), Migrate: func(ctx context.Context, dsn string) error {
		runs.Add(1)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "CREATE TABLE items (owner text NOT NULL)")
		return err
	}}
}

func TestParallelDatabasesAreIsolated(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	tmpl := countingTemplate("isolation", &runs)
	var mu sync.Mutex
	names := map[string]string{} // test name → database name

	t.Run("group", func(t *testing.T) {
		for _, owner := range []string{"a", "b", "c", "d", "e", "f"} {
			t.Run(owner, func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				pool := pg.NewPool(t, tmpl)
				if _, err := pool.Exec(ctx, "INSERT INTO items VALUES ($1)", owner); err != nil {
					t.Fatal(err)
				}
				var owners []string
				rows, err := pool.Query(ctx, "SELECT owner FROM items")
				if err != nil {
					t.Fatal(err)
				}
				owners, err = pgx.CollectRows(rows, pgx.RowTo[string])
				if err != nil {
					t.Fatal(err)
				}
				if len(owners) != 1 || owners[0] != owner {
					t.Errorf("items = %v, want only %q", owners, owner)
				}
				var db string
				if err := pool.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				names[owner] = db
				mu.Unlock()
			})
		}
	})

	if got := runs.Load(); got != 1 {
		t.Errorf("template migrated %d times, want 1", got)
	}
	seen := map[string]bool{}
	for owner, db := range names {
		if seen[db] {
			t.Errorf("database %s handed out twice (again to %s)", db, owner)
		}
		seen[db] = true
	}
	if len(names) != 6 {
		t.Errorf("got %d databases, want 6", len(names))
	}
}

func TestDatabaseDroppedAfterTest(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	tmpl := countingTemplate("dropped", &runs)
	var db string
	t.Run("user", func(t *testing.T) {
		pool := pg.NewPool(t, tmpl)
		if err := pool.QueryRow(t.Context(), "SELECT current_database()").Scan(&db); err != nil {
			t.Fatal(err)
		}
	})
	if exists := databaseExists(t, pg.admin, db); exists {
		t.Errorf("database %s still exists after its test ended", db)
	}
}

func TestEmptyTemplate(t *testing.T) {
	t.Parallel()
	pool := pg.NewPool(t, Template{Name: "empty"})
	var n int
	if err := pool.QueryRow(t.Context(),
		"SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("empty template has %d tables", n)
	}
}

func TestFailedMigration(t *testing.T) {
	t.Parallel()
	// A fake testing.TB records the Fatal that NewDatabase must raise.
	tb := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pg.NewDatabase(tb, Template{Name: "broken", Migrate: func(context.Context, string) error {
			return errors.New("migration 3 failed")
		}})
	}()
	<-done
	if !tb.failed.Load() {
		t.Fatal("NewDatabase with a failing migration did not fail the test")
	}
}

// fatalRecorder turns Fatalf into a recorded failure that ends only the
// goroutine NewDatabase runs on.
type fatalRecorder struct {
	testing.TB
	failed atomic.Bool
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.failed.Store(true)
	f.TB.Logf("expected failure: "+format, args...)
	runtime.Goexit()
}

func (f *fatalRecorder) Helper() {}

// TestDatabaseURL points a second Server at the first one's cluster, as a
// developer or CI does with DATABASE_URL, and checks that it leaves nothing
// behind on a server it does not own.
func TestDatabaseURL(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	admin, err := pg.start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ext := &Server{Getenv: func(key string) string {
		if key == "DATABASE_URL" {
			return pg.adminDSN
		}
		return ""
	}}
	var runs atomic.Int32
	tmpl := countingTemplate("external", &runs)
	var db string
	t.Run("user", func(t *testing.T) {
		pool := ext.NewPool(t, tmpl)
		if err := pool.QueryRow(t.Context(), "SELECT current_database()").Scan(&db); err != nil {
			t.Fatal(err)
		}
	})
	if ext.cluster != nil {
		t.Error("a Server with DATABASE_URL started its own cluster")
	}
	tmplDB := ext.templates[tmpl.Name].dbName
	if !databaseExists(t, admin, tmplDB) {
		t.Fatalf("template %s missing before close", tmplDB)
	}
	if err := ext.close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{db, tmplDB} {
		if databaseExists(t, admin, name) {
			t.Errorf("database %s left on the external server", name)
		}
	}
}

func TestClusterRunsAsPostgresUser(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to the postgres user")
	}
	if os.Getenv("DATABASE_URL") != "" {
		t.Skip("DATABASE_URL names the server")
	}
	if _, err := pg.start(t.Context()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(pg.cluster.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if got := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)); got != u.Uid {
		t.Errorf("data directory owned by uid %s, want postgres (%s)", got, u.Uid)
	}
}

// TestReapStale leaves a running cluster whose owner has exited, as a test
// binary killed by a timeout does, and checks that the next binary's start
// stops it and deletes its directory.
func TestReapStale(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	tmp, err := os.MkdirTemp("", "pgtest-reap-root-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o711); err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	living := os.Getpid()

	stale := &pgserver.Cluster{Dir: filepath.Join(tmp, clusterPrefix+"stale")}
	if err := stale.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := stale.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stale.Stop(context.Background(), pgserver.StopImmediate) })
	writeOwner(t, stale.Dir, dead.Process.Pid)

	owned := filepath.Join(tmp, clusterPrefix+"owned")
	if err := os.Mkdir(owned, 0o700); err != nil {
		t.Fatal(err)
	}
	writeOwner(t, owned, living)
	foreign := filepath.Join(tmp, clusterPrefix+"foreign") // no owner file: not ours to judge
	if err := os.Mkdir(foreign, 0o700); err != nil {
		t.Fatal(err)
	}

	reapStale(ctx, tmp)

	if _, err := os.Stat(stale.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale cluster directory still there: %v", err)
	}
	if conn, err := pgx.Connect(ctx, stale.DSN("postgres")); err == nil {
		conn.Close(ctx)
		t.Error("stale cluster still accepts connections")
	}
	for _, dir := range []string{owned, foreign} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s was reaped: %v", dir, err)
		}
	}
}

func writeOwner(t *testing.T, dir string, pid int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	cases := []struct{ dsn, want string }{
		{"postgres://u:p@h:5432/old?sslmode=disable", "postgres://u:p@h:5432/new?sslmode=disable"},
		{"postgresql://h/old", "postgresql://h/new"},
		{"postgres://h/?dbname=old&sslmode=disable", "postgres://h/new?sslmode=disable"},
		{"host=h user=u dbname=old", "host=h user=u dbname=old dbname=new"},
	}
	for _, tc := range cases {
		got, err := withDatabase(tc.dsn, "new")
		if err != nil {
			t.Errorf("withDatabase(%q): %v", tc.dsn, err)
			continue
		}
		if got != tc.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil {
			t.Errorf("parse %q: %v", got, err)
			continue
		}
		if cfg.Database != "new" {
			t.Errorf("%q connects to %q, want new", got, cfg.Database)
		}
	}
}

func TestSafeName(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"casework", "casework"},
		{"Relay-Inbox v2", "relay_inbox_v2"},
		{"ÿ", "_"},
		{"abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz012345"},
	}
	for _, tc := range cases {
		if got := safeName(tc.in); got != tc.want {
			t.Errorf("safeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func databaseExists(t *testing.T, admin *pgxpool.Pool, name string) bool {
	t.Helper()
	var exists bool
	if err := admin.QueryRow(context.Background(),
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	return exists
}
