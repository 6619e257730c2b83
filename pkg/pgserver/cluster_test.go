package pgserver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// newCluster returns a cluster in a fresh directory that the server user can
// reach (t.TempDir's parent is private to root), stopped and removed when
// the test ends.
func newCluster(t *testing.T) *Cluster {
	t.Helper()
	if _, err := FindBinaries(); errors.Is(err, ErrBinariesNotFound) {
		t.Fatal(err)
	}
	base, err := os.MkdirTemp("", "pgserver-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o711); err != nil {
		t.Fatal(err)
	}
	c := &Cluster{Dir: filepath.Join(base, "pg"), Settings: TestSettings()}
	t.Cleanup(func() {
		if err := c.Stop(context.Background(), StopImmediate); err != nil {
			t.Error(err)
		}
		if err := os.RemoveAll(base); err != nil {
			t.Error(err)
		}
	})
	return c
}

func TestClusterLifecycle(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c := newCluster(t)
	// As the sandbox does: the log beside the other services' logs.
	c.LogFile = filepath.Join(filepath.Dir(c.Dir), "logs", "postgres.log")

	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Port == 0 {
		t.Fatal("Start left Port at 0")
	}
	if running, err := c.Running(ctx); err != nil || !running {
		t.Fatalf("Running = %v, %v; want true", running, err)
	}
	if err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if log, err := os.ReadFile(c.LogFile); err != nil || !strings.Contains(string(log), "ready to accept connections") {
		t.Errorf("server log %s: %v; want the server's start-up lines", c.LogFile, err)
	}
	for range 2 { // the second call finds the database and leaves it
		if err := c.CreateDatabase(ctx, "app"); err != nil {
			t.Fatal(err)
		}
	}
	execSQL(ctx, t, c.DSN("app"), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('x')")

	checkSettings(ctx, t, c.DSN("app"), TestSettings())

	if err := c.Stop(ctx, StopFast); err != nil {
		t.Fatal(err)
	}
	if running, err := c.Running(ctx); err != nil || running {
		t.Fatalf("after Stop, Running = %v, %v; want false", running, err)
	}
	if err := c.Stop(ctx, StopFast); err != nil {
		t.Fatalf("Stop of a stopped cluster: %v", err)
	}

	// A second run on the same directory keeps the data, as the sandbox
	// needs; this time durable, as the sandbox runs it.
	c.Settings = DurableSettings()
	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got := query(ctx, t, c.DSN("app"), "SELECT v FROM kept"); got != "x" {
		t.Errorf("after restart, kept = %q, want x", got)
	}
	checkSettings(ctx, t, c.DSN("app"), DurableSettings())
}

// checkSettings fails t unless the server at dsn runs with want.
func checkSettings(ctx context.Context, t *testing.T, dsn string, want map[string]string) {
	t.Helper()
	for name, value := range want {
		if got := query(ctx, t, dsn, "SELECT current_setting('"+name+"')"); got != value {
			t.Errorf("setting %s = %q, want %q", name, got, value)
		}
	}
}

// TestClusterStartReplacesLeftover covers a sandbox that was killed: its
// server still runs on the data directory, and the next Start must take
// over with its own port rather than fail.
func TestClusterStartReplacesLeftover(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c := newCluster(t)
	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	oldPort := c.Port

	// The old server holds oldPort, so the kernel cannot hand it out here.
	newPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	next := &Cluster{Dir: c.Dir, Port: newPort, Settings: c.Settings}
	if err := next.Start(ctx); err != nil {
		t.Fatal(err)
	}
	c.Port = next.Port
	if got, want := query(ctx, t, next.DSN("postgres"), "SELECT current_setting('port')"), strconv.Itoa(newPort); got != want {
		t.Errorf("new server's port = %s, want %s", got, want)
	}
	if conn, err := pgx.Connect(ctx, (&Cluster{Port: oldPort}).DSN("postgres")); err == nil {
		conn.Close(ctx)
		t.Errorf("the leftover server still answers on port %d", oldPort)
	}
}

func TestClusterNotSearchable(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to another user")
	}
	private := t.TempDir() // 0700, owned by root
	c := &Cluster{Dir: filepath.Join(private, "pg")}
	err := c.Init(t.Context())
	if err == nil || !strings.Contains(err.Error(), "not searchable by the postgres user") {
		t.Fatalf("Init under a private directory: %v; want a not-searchable error", err)
	}
}

func execSQL(ctx context.Context, t *testing.T, dsn, sql string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}

func query(ctx context.Context, t *testing.T, dsn, sql string) string {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}
