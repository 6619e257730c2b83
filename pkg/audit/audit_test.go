package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/corridor"
)

// TestEncode pins the hash encoding that docs/operations.md documents: an
// inquiry re-computes hashes from it by hand.
func TestEncode(t *testing.T) {
	t.Parallel()
	e := audit.Entry{
		Seq: 7, Time: time.Date(2026, 12, 6, 11, 0, 0, 123456789, time.FixedZone("x", 3600)),
		Actor: "user-1@https://idp.ci.example", Roles: []string{"supervisor", "caseworker"},
		Action: "POST /api/v1/referrals/{id}/accept", Outcome: audit.Allowed,
		Object:   audit.Object{Type: "referral", ID: "ci-ref-1"},
		Detail:   map[string]string{"status": "200", "method": "POST"},
		PrevHash: bytes.Repeat([]byte{0xab}, 32),
	}
	want := "corridor-audit-entry-v1\n" +
		"seq=7\n" +
		"time=2026-12-06T10:00:00.123456Z\n" +
		"actor=user-1@https://idp.ci.example\n" +
		"roles=caseworker supervisor\n" +
		"action=POST /api/v1/referrals/{id}/accept\n" +
		"outcome=allowed\n" +
		"object_type=referral\n" +
		"object_id=ci-ref-1\n" +
		"detail.method=POST\n" +
		"detail.status=200\n" +
		"prev_hash=" + strings.Repeat("ab", 32) + "\n"
	if got := string(e.Encode()); got != want {
		t.Fatalf("Encode =\n%s\nwant\n%s", got, want)
	}
	sum := sha256.Sum256([]byte(want))
	if got := e.ComputeHash(); !bytes.Equal(got, sum[:]) {
		t.Errorf("ComputeHash = %x, want %x", got, sum)
	}
}

func TestAppendChainsEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pg.NewPool(t, schema)

	first, err := audit.Append(ctx, pool, record("GET /api/v1/referrals/{id}"))
	if err != nil {
		t.Fatal(err)
	}
	// A batch, with an actor from the context and control characters in
	// what a token may carry.
	actx := audit.WithActor(ctx, audit.Service("relay"))
	batch, err := audit.Append(actx,
		pool,
		audit.Record{Action: "message.sent", Outcome: audit.Allowed, Object: audit.Object{Type: "message", ID: "ci-1"}},
		audit.Record{Actor: audit.Actor{ID: "evil\nseq=1"}, Action: "GET /api/v1/referrals", Outcome: audit.Denied},
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || first[0].Seq != 1 || !bytes.Equal(first[0].PrevHash, audit.Genesis) {
		t.Fatalf("first entry = %+v", first)
	}
	if batch[0].Seq != 2 || batch[1].Seq != 3 || !bytes.Equal(batch[0].PrevHash, first[0].Hash) || !bytes.Equal(batch[1].PrevHash, batch[0].Hash) {
		t.Fatalf("batch does not chain: %+v", batch)
	}
	if batch[0].Actor != "relay" || batch[1].Actor != "evil\uFFFDseq=1" {
		t.Errorf("actors = %q, %q", batch[0].Actor, batch[1].Actor)
	}
	var stored []audit.Entry
	if err := audit.Entries(ctx, pool, audit.Range{}, func(e audit.Entry) error { stored = append(stored, e); return nil }); err != nil {
		t.Fatal(err)
	}
	for i, e := range append(first, batch...) {
		s := stored[i]
		if !bytes.Equal(s.Hash, e.Hash) || !bytes.Equal(s.ComputeHash(), s.Hash) || !s.Time.Equal(e.Time) {
			t.Errorf("stored entry %d = %+v, appended %+v", e.Seq, s, e)
		}
	}
	if rep := verify(t, pool, nil); rep.Problem != nil || rep.Entries != 3 || rep.Head != 3 {
		t.Errorf("verify = %+v", rep)
	}
}

func TestAppendInvalid(t *testing.T) {
	t.Parallel()
	pool := pg.NewPool(t, schema)
	for _, r := range []audit.Record{
		{Outcome: audit.Allowed},
		{Action: "x", Outcome: "maybe"},
		{Action: "x", Outcome: audit.Allowed, Detail: map[string]string{"Bad Key": "1"}},
	} {
		_, err := audit.Append(context.Background(), pool, record("ok"), r)
		if kind := corridor.KindOf(err); kind != corridor.KindInvalid {
			t.Errorf("Append(%+v) = %v (%s), want invalid", r, err, kind)
		}
	}
	if seq, _, err := audit.Head(context.Background(), pool); err != nil || seq != 0 {
		t.Errorf("head = %d, %v after invalid appends", seq, err)
	}
}

// TestAppendTxRollsBack: an entry appended in a transaction that rolls
// back is gone with it, and the chain goes on from the entry before.
func TestAppendTxRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pg.NewPool(t, schema)
	appendN(t, pool, 1)
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := audit.AppendTx(ctx, tx, record("undone")); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("transaction committed")
	}
	appendN(t, pool, 1)
	if rep := verify(t, pool, nil); rep.Problem != nil || rep.Entries != 2 {
		t.Errorf("verify = %+v", rep)
	}
}

// TestConcurrentAppends: appends from many connections at once are
// numbered without gaps and form one chain.
func TestConcurrentAppends(t *testing.T) {
	t.Parallel()
	pool := pg.NewPool(t, schema)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				if _, err := audit.Append(context.Background(), pool, record("x"), record("y")); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if rep := verify(t, pool, nil); rep.Problem != nil || rep.Entries != 2*workers*each {
		t.Errorf("verify = %+v", rep)
	}
}

// TestAppendOnly: the application's connection can neither change nor
// remove entries, checkpoints or the chain head.
func TestAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pg.NewPool(t, schema)
	appendN(t, pool, 3)
	signer, _ := newKey(t, "ci-audit-1")
	if _, ok, err := audit.SignHead(ctx, pool, signer, time.Now()); err != nil || !ok {
		t.Fatalf("sign head: %v %v", ok, err)
	}
	for _, stmt := range []string{
		`UPDATE audit_entries SET actor = 'someone-else' WHERE seq = 2`,
		`DELETE FROM audit_entries WHERE seq = 3`,
		`TRUNCATE audit_entries CASCADE`,
		`UPDATE audit_checkpoints SET seq = 1`,
		`DELETE FROM audit_checkpoints`,
		`TRUNCATE audit_checkpoints`,
		`UPDATE audit_chain_head SET seq = 2, hash = (SELECT hash FROM audit_entries WHERE seq = 2)`,
		`UPDATE audit_chain_head SET seq = 4`,
		`DELETE FROM audit_chain_head`,
		`TRUNCATE audit_chain_head`,
	} {
		_, err := pool.Exec(ctx, stmt)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s: err = %v, want insufficient_privilege (42501)", stmt, err)
		}
	}
	if rep := verify(t, pool, nil); rep.Problem != nil || rep.Entries != 3 {
		t.Errorf("verify = %+v", rep)
	}
}

// TestGrantsForServiceRole runs the services as docs/operations.md says
// production does: under a role that does not own the audit tables and
// holds only the GRANTs listed there. It may append and read, and is
// refused UPDATE, DELETE and TRUNCATE by privileges before any trigger.
func TestGrantsForServiceRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pg.NewPool(t, schema)
	var mayCreate bool
	if err := pool.QueryRow(ctx, `SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user`).Scan(&mayCreate); err != nil {
		t.Fatal(err)
	}
	if !mayCreate {
		t.Skip("the test database's role may not create roles")
	}
	// Roles belong to the server, not the test's database: a fresh name.
	role := strings.ReplaceAll("corridor_app_"+strings.ToLower(corridor.NewID("")), "-", "_")
	for _, s := range []string{
		`CREATE ROLE ` + role + ` NOLOGIN`,
		// The GRANTs of docs/operations.md.
		`GRANT SELECT, INSERT ON audit_entries, audit_checkpoints TO ` + role,
		`GRANT SELECT, UPDATE ON audit_chain_head TO ` + role,
	} {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), `DROP OWNED BY `+role)
		_, _ = pool.Exec(context.Background(), `DROP ROLE `+role)
	})
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	defer func() { _, _ = conn.Exec(context.Background(), `RESET ROLE`) }()
	if _, err := conn.Exec(ctx, `SET ROLE `+role); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Append(ctx, conn.Conn(), record("a"), record("b")); err != nil {
		t.Fatalf("append as the service role: %v", err)
	}
	for _, stmt := range []string{
		`UPDATE audit_entries SET actor = 'x'`,
		`DELETE FROM audit_entries`,
		`TRUNCATE audit_entries`,
		`DELETE FROM audit_checkpoints`,
		`DELETE FROM audit_chain_head`,
	} {
		_, err := conn.Exec(ctx, stmt)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" || !strings.Contains(pgErr.Message, "permission denied") {
			t.Errorf("%s: err = %v, want permission denied", stmt, err)
		}
	}
}
