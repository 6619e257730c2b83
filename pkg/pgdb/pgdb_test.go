package pgdb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/pgdb"
	"github.com/corridor-org/corridor/pkg/pgtest"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

var empty = pgtest.Template{Name: "empty"}

// migrations returns goose SQL files, one per statement.
func migrations(stmts ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i, stmt := range stmts {
		fsys[fmt.Sprintf("%05d_step.sql", i+1)] = &fstest.MapFile{Data: []byte("-- +goose Up\n" + stmt + ";\n")}
	}
	return fsys
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	pool, err := pgdb.Open(ctx, pg.NewDatabase(t, empty))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var one int
	if err := pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
}

func TestOpenBadDSN(t *testing.T) {
	t.Parallel()
	if _, err := pgdb.Open(t.Context(), "postgres://%zz"); err == nil {
		t.Fatal("Open accepted a malformed DSN")
	}
}

// TestOpenWaitsForDatabase starts a service before its database exists, as
// happens when the services and the database start together.
func TestOpenWaitsForDatabase(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	dsn := pg.NewDatabase(t, empty)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	later := cfg.Database + "_later"
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{later}.Sanitize()+" WITH (FORCE)")
	})
	laterDSN := strings.Replace(dsn, "/"+cfg.Database+"?", "/"+later+"?", 1)

	type result struct{ err error }
	done := make(chan result, 1)
	go func() {
		pool, err := pgdb.Open(ctx, laterDSN)
		if err == nil {
			pool.Close()
		}
		done <- result{err}
	}()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{later}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil {
		t.Fatalf("Open once the database exists: %v", r.err)
	}
}

func TestOpenGivesUpWithTheLastError(t *testing.T) {
	t.Parallel()
	dsn := pg.NewDatabase(t, empty)
	// Long enough for one connection attempt to finish on a loaded machine,
	// so the error Open gives up with is the server's, not the deadline's.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	missing := strings.Replace(dsn, "/pgtest_", "/missing_", 1)
	_, err := pgdb.Open(ctx, missing)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Open of a missing database = %v; want its does-not-exist error", err)
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pg.NewDatabase(t, empty)
	v1 := migrations("CREATE TABLE a (id int)")
	if err := pgdb.Migrate(ctx, dsn, v1, "a_version"); err != nil {
		t.Fatal(err)
	}
	v2 := migrations("CREATE TABLE a (id int)", "ALTER TABLE a ADD COLUMN name text")
	for range 2 { // the second run finds nothing to do
		if err := pgdb.Migrate(ctx, dsn, v2, "a_version"); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "INSERT INTO a (id, name) VALUES (1, 'x')"); err != nil {
		t.Errorf("schema after v2: %v", err)
	}
	var versions int
	if err := conn.QueryRow(ctx, "SELECT max(version_id) FROM a_version").Scan(&versions); err != nil || versions != 2 {
		t.Errorf("a_version max = %d, %v; want 2", versions, err)
	}
}

// TestMigrateSetsConcurrently migrates two services' schemas into one
// database at once, each with its own version table, twice over.
func TestMigrateSetsConcurrently(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pg.NewDatabase(t, empty)
	sets := map[string]fstest.MapFS{
		"one_version": migrations("CREATE TABLE one (id int)"),
		"two_version": migrations("CREATE TABLE two (id int)"),
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range 2 {
		for table, fsys := range sets {
			wg.Go(func() {
				if err := pgdb.Migrate(ctx, dsn, fsys, table); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pg.NewDatabase(t, empty)
	cases := []struct {
		name  string
		fsys  fstest.MapFS
		table string
	}{
		{"no table", migrations("CREATE TABLE x (id int)"), ""},
		{"bad sql", migrations("CREATE TABLE"), "bad_version"},
	}
	for _, tc := range cases {
		if err := pgdb.Migrate(ctx, dsn, tc.fsys, tc.table); err == nil {
			t.Errorf("%s: Migrate succeeded", tc.name)
		}
	}
}
