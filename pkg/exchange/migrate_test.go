package exchange

import (
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/pgtest"
)

// TestMigrateConcurrently starts casework and relay at once on an empty
// database: both migrate, neither fails, the schema is applied once, and a
// later start finds nothing to do.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pg.NewDatabase(t, pgtest.Template{Name: "empty"})

	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = Migrate(ctx, dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Migrate %d: %v", i, err)
		}
	}
	if err := Migrate(ctx, dsn); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var applied int
	if err := conn.QueryRow(ctx,
		"SELECT count(*) FROM "+VersionTable+" WHERE version_id = 1 AND is_applied").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != 1 {
		t.Errorf("version 1 recorded %d times, want 1", applied)
	}
	var tables int
	if err := conn.QueryRow(ctx,
		"SELECT count(*) FROM pg_tables WHERE tablename IN ('exchange_outbox', 'exchange_inbox')").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 2 {
		t.Errorf("found %d exchange tables, want 2", tables)
	}
}
