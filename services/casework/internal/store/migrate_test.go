package store

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/pgdb"
	"github.com/corridor-org/corridor/pkg/pgtest"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

// TestWorkListMigrationFillsExistingRows stores referrals under the first
// schema, then migrates: the rows written before get the same list keys as
// those written after.
func TestWorkListMigrationFillsExistingRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pg.NewDatabase(t, pgtest.Template{Name: "empty"})
	first, err := fs.ReadFile(migrations, "migrations/00001_referrals.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := exchange.Migrate(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	if err := pgdb.Migrate(ctx, dsn, fstest.MapFS{"00001_referrals.sql": {Data: first}}, VersionTable); err != nil {
		t.Fatal(err)
	}
	pool, err := pgdb.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	created := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	rows := []struct {
		id, urgency, details string
		wantDue              time.Time
		wantKey              string
	}{
		{"ref-a", "urgent", `{"respond_by": "2026-03-16", "child": {"name": {"given_names": "Céline", "family_names": "OUÉDRAOGO"}, "other_names": ["Petit  Zoë", "Lili"]}}`,
			time.Date(2026, 3, 17, 0, 0, 0, 0, time.UTC), "celine ouedraogo petit zoe lili"},
		{"ref-b", "asap", `{"child": {"name": {"full_name": "Awa Traoré"}, "name_local_script": {"full_name": "Ἀθηνᾶ"}}}`,
			created.Add(24 * time.Hour), "awa traore αθηνα"},
		{"ref-c", "routine", `{"child": {}}`, created.Add(14 * 24 * time.Hour), ""},
	}
	for _, r := range rows {
		if _, err := pool.Exec(ctx, `
			INSERT INTO referrals (id, case_ref, side, status, sender_member, sender_agency, sender_user,
				recipient_member, recipient_agency, urgency, details, created_at, updated_at)
			VALUES ($1, 'case-1', 'sender', 'sent', 'CI', 'CI-DPE', 'u', 'BF', 'BF-DPE', $2, $3, $4, $4)`,
			r.id, r.urgency, r.details, created); err != nil {
			t.Fatal(err)
		}
	}
	if err := Migrate(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		var due time.Time
		var key, holder string
		if err := pool.QueryRow(ctx, `SELECT decision_due_at, child_name_key, holder_agency FROM referrals WHERE id = $1`,
			r.id).Scan(&due, &key, &holder); err != nil {
			t.Fatal(err)
		}
		if !due.Equal(r.wantDue) || key != r.wantKey || holder != "CI-DPE" {
			t.Errorf("%s: due %v, key %q, holder %s; want %v, %q, CI-DPE", r.id, due, key, holder, r.wantDue, r.wantKey)
		}
	}
}
