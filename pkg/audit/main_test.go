package audit_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/pgtest"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

var schema = pgtest.Template{Name: "audit", Migrate: audit.Migrate}

// record is an entry about a referral, by a caseworker.
func record(action string) audit.Record {
	return audit.Record{
		Actor:   audit.Person("user-1", "https://idp.ci.example", []string{"caseworker"}),
		Action:  action,
		Outcome: audit.Allowed,
		Object:  audit.Object{Type: "referral", ID: "ci-ref-1"},
		Detail:  map[string]string{"status": "200"},
	}
}

// appendN appends n entries, one transaction each.
func appendN(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	for range n {
		if _, err := audit.Append(context.Background(), pool, record("GET /api/v1/referrals/{id}")); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

// tamper runs statements as a superuser who bypasses the triggers, as an
// attacker with the database's superuser would.
func tamper(t *testing.T, pool *pgxpool.Pool, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	var super bool
	if err := pool.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil {
		t.Fatal(err)
	}
	if !super {
		t.Skip("tampering bypasses the triggers, which takes a superuser; the test database's role is not one")
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			return err
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
}

// verify runs audit.Verify and fails the test on an error.
func verify(t *testing.T, pool *pgxpool.Pool, key *audit.PublicKey) audit.Report {
	t.Helper()
	rep, err := audit.Verify(context.Background(), pool, key)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}
