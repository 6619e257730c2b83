package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/pgtest"
)

// pg and TestMain are indicators_test.go's.

var auditSchema = pgtest.Template{Name: "audit", Migrate: audit.Migrate}

// auditTrail is a member database with a trail of six entries and a
// checkpoint, and the member's audit key files.
type auditTrail struct {
	pool        *pgxpool.Pool
	url         string
	key, public string
}

func newAuditTrail(t *testing.T) auditTrail {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	a := auditTrail{key: filepath.Join(dir, "ci-audit.json"), public: filepath.Join(dir, "ci-audit.pub.json")}
	a.url = pg.NewDatabase(t, auditSchema)
	pool, err := pgxpool.New(ctx, a.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	a.pool = pool
	mustCtl(t, "keys", "audit", "-member", "CI", "-out", a.key, "-public-out", a.public)
	k, err := keyfile.LoadAudit(a.key)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		rec := audit.Record{
			Actor:   audit.Person("user-1", "https://idp.ci.example", []string{"caseworker"}),
			Action:  "GET /api/v1/referrals/{id}",
			Outcome: audit.Allowed,
			Object:  audit.Object{Type: "referral", ID: "ci-ref-" + string(rune('a'+i))},
		}
		if _, err := audit.Append(ctx, pool, rec); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := audit.SignHead(ctx, pool, audit.Signer{ID: k.ID, Key: k.SigningKey()}, time.Now()); err != nil {
		t.Fatal(err)
	}
	return a
}

// tamper runs statements as a superuser with the triggers off.
func (a auditTrail) tamper(t *testing.T, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	var super bool
	if err := a.pool.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil {
		t.Fatal(err)
	}
	if !super {
		t.Skip("tampering bypasses the triggers, which takes a superuser; the test database's role is not one")
	}
	err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
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

func TestAuditVerify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tamper []string
		want   string // "" for an intact trail
	}{
		{"intact", nil, ""},
		{"a row changed", []string{`UPDATE audit_entries SET object_id = 'ci-ref-z' WHERE seq = 3`},
			"broken at entry 3: changed"},
		{"a row removed", []string{`DELETE FROM audit_entries WHERE seq = 2`},
			"broken at entry 2: missing"},
		{"rows reordered", []string{
			`UPDATE audit_entries SET seq = 100 WHERE seq = 4`,
			`UPDATE audit_entries SET seq = 4 WHERE seq = 5`,
			`UPDATE audit_entries SET seq = 5 WHERE seq = 100`,
		}, "broken at entry 4: changed"},
		{"the last row removed and the head moved back", []string{
			`DELETE FROM audit_entries WHERE seq = 6`,
			`UPDATE audit_chain_head SET seq = 5, hash = (SELECT hash FROM audit_entries WHERE seq = 5)`,
		}, "broken at entry 6: missing: the checkpoint"},
		{"the checkpoint re-signed by another key", []string{
			`UPDATE audit_checkpoints SET signature = overlay(signature placing '\x00'::bytea from 10 for 1)`,
		}, "broken at entry 6: checkpoint signed at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newAuditTrail(t)
			a.tamper(t, tt.tamper...)
			out, err := ctl(t, "audit", "verify", "--database", a.url, "--public-key", a.public)
			if tt.want == "" {
				if err != nil || !strings.Contains(out, "intact: 6 entries, chain head at entry 6, 1 checkpoints (signatures checked") {
					t.Fatalf("verify = %v\n%s", err, out)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("verify = %v, want an error containing %q\n%s", err, tt.want, out)
			}
		})
	}
}

func TestAuditVerifyWithoutKey(t *testing.T) {
	t.Parallel()
	a := newAuditTrail(t)
	// The URL from the environment, as an operator keeps a password out
	// of the process list.
	var out strings.Builder
	err := run(context.Background(), []string{"corridorctl", "audit", "verify"},
		func(k string) string {
			if k == "DATABASE_URL" {
				return a.url
			}
			return ""
		}, &out)
	if err != nil || !strings.Contains(out.String(), "signatures not checked") {
		t.Fatalf("verify = %v\n%s", err, out.String())
	}
	wantFail(t, "missing -database", "audit", "verify")
	// Another member's public key refuses the checkpoint.
	other := filepath.Join(t.TempDir(), "other.pub.json")
	mustCtl(t, "keys", "audit", "-member", "BF", "-out", filepath.Join(t.TempDir(), "bf.json"), "-public-out", other)
	wantFail(t, "broken at entry 6", "audit", "verify", "-database", a.url, "-public-key", other)
}

func TestAuditExport(t *testing.T) {
	t.Parallel()
	a := newAuditTrail(t)
	out := mustCtl(t, "audit", "export", "--database", a.url, "--from", "2", "--to", "4")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("export wrote %d lines:\n%s", len(lines), out)
	}
	// Each line lets an inquiry re-compute the entry's hash.
	var prev string
	for i, l := range lines {
		var x audit.ExportedEntry
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatal(err)
		}
		e, err := x.Entry()
		if err != nil {
			t.Fatal(err)
		}
		if x.Seq != int64(i+2) || string(e.ComputeHash()) != string(e.Hash) || (prev != "" && x.PrevHash != prev) {
			t.Errorf("line %d = %s", i, l)
		}
		prev = x.Hash
	}
	// By time: everything before a time in the future.
	out = mustCtl(t, "audit", "export", "-database", a.url, "-to", time.Now().Add(time.Hour).Format(time.RFC3339))
	if n := strings.Count(out, "\n"); n != 6 {
		t.Errorf("export to a future time wrote %d lines", n)
	}
	file := filepath.Join(t.TempDir(), "inquiry.jsonl")
	if out := mustCtl(t, "audit", "export", "-database", a.url, "-out", file); !strings.Contains(out, "wrote 6 entries") {
		t.Errorf("export -out said %q", out)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("export file: %v, %v", fi, err)
	}
	wantFail(t, "exists", "audit", "export", "-database", a.url, "-out", file)
	wantFail(t, "neither a sequence number nor an RFC 3339 time", "audit", "export", "-database", a.url, "-from", "yesterday")
}
