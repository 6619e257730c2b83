package exchange

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/pgdb"
	"github.com/corridor-org/corridor/pkg/pgtest"
)

func TestReferralParties(t *testing.T) {
	t.Parallel()
	m := outboxMessage(TypeDecision) // CI agency → BF agency
	tests := []struct {
		side Side
		want ReferralParties
	}{
		{SideSender, ReferralParties{SenderMember: "CI", SenderAgency: m.SenderAgency, RecipientMember: "BF", RecipientAgency: m.RecipientAgency}},
		{SideRecipient, ReferralParties{SenderMember: "BF", SenderAgency: m.RecipientAgency, RecipientMember: "CI", RecipientAgency: m.SenderAgency}},
	}
	for _, tt := range tests {
		m.Side = tt.side
		if got := m.ReferralParties("CI"); got != tt.want {
			t.Errorf("side %s: parties = %+v, want %+v", tt.side, got, tt.want)
		}
	}
}

func TestEnqueueRequiresSide(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	for _, side := range []Side{"", "both"} {
		m := outboxMessage(TypeReferral)
		m.Side = side
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return Enqueue(ctx, tx, m) })
		if corridor.KindOf(err) != corridor.KindInvalid {
			t.Errorf("side %q: Enqueue = %v, want an invalid error", side, err)
		}
	}
	m := outboxMessage(TypeDecision)
	m.Side = SideRecipient
	enqueue(ctx, t, pool, m)
	got, err := GetOutbox(ctx, pool, m.MessageID)
	if err != nil || got.Side != SideRecipient {
		t.Fatalf("stored side = %q, %v; want recipient", got.Side, err)
	}
}

// TestClaimReceipts: a recorded receipt is offered once, in the case
// system's transaction; rolled back, it is offered again; other types and
// messages without receipts are not offered.
func TestClaimReceipts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	ref, other, pending := outboxMessage(TypeReferral), outboxMessage(TypeDecision), outboxMessage(TypeReferral)
	for _, m := range []OutboxMessage{ref, other, pending} {
		enqueue(ctx, t, pool, m)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	for _, m := range []OutboxMessage{ref, other} {
		if _, err := RecordReceipt(ctx, pool, m.MessageID, at, []byte("signed")); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(commit bool) []OutboxMessage {
		t.Helper()
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(ctx) }()
		got, err := ClaimReceipts(ctx, tx, TypeReferral, 10)
		if err != nil {
			t.Fatal(err)
		}
		if commit {
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return got
	}
	if got := claim(false); len(got) != 1 || got[0].MessageID != ref.MessageID || got[0].ReceiptTakenAt == nil {
		t.Fatalf("first claim = %v, want %s taken", ids(got), ref.MessageID)
	}
	if got := claim(true); len(got) != 1 || got[0].MessageID != ref.MessageID || !got[0].ReceiptAt.Equal(at) {
		t.Fatalf("claim after a rollback = %v, want %s again", ids(got), ref.MessageID)
	}
	if got := claim(true); len(got) != 0 {
		t.Fatalf("claim after a commit = %v, want nothing", ids(got))
	}
}

func TestReadStats(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	published, unpublished := outboxMessage(TypeReferral), outboxMessage(TypeReferral)
	enqueue(ctx, t, pool, published)
	enqueue(ctx, t, pool, unpublished)
	if err := MarkPublished(ctx, pool, published.MessageID); err != nil {
		t.Fatal(err)
	}
	if _, err := InsertInbox(ctx, pool, inboxMessage(time.Now())); err != nil {
		t.Fatal(err)
	}
	s, err := ReadStats(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if s.OutboxUnpublished != 1 || s.OutboxAwaitingReceipt != 1 || s.InboxUnapplied != 1 || s.OldestUnpublished < 0 {
		t.Errorf("stats = %+v, want one of each", s)
	}
}

// TestMigrateBackfillsSide: outbox rows written before the side column
// are the recipient's when the referral is in the inbox.
func TestMigrateBackfillsSide(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pg.NewDatabase(t, pgtest.Template{Name: "empty"})
	first, err := migrations.ReadFile("migrations/00001_exchange_tables.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := pgdb.Migrate(ctx, dsn, fstest.MapFS{"00001_exchange_tables.sql": {Data: first}}, VersionTable); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	in := inboxMessage(time.Now())
	in.MessageType = TypeReferral
	if _, err := conn.Exec(ctx, `
		INSERT INTO exchange_inbox (message_id, corridor, message_type, case_ref, referral_id, sender_member,
			sender_agency, recipient_agency, sent_at, payload)
		VALUES ($1, 'bf-ci', 'referral', $2, $3, 'BF', 'a', 'b', now(), '\x01')`,
		in.MessageID, in.CaseRef, in.ReferralID); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{in.ReferralID, "ref-own"} {
		if _, err := conn.Exec(ctx, `
			INSERT INTO exchange_outbox (message_id, corridor, message_type, case_ref, referral_id,
				sender_agency, recipient_member, recipient_agency, payload)
			VALUES ($1, 'bf-ci', 'decision', 'case-1', $2, 'a', 'BF', 'b', '\x01')`,
			corridor.NewID("ci-"), ref); err != nil {
			t.Fatal(err)
		}
	}
	if err := Migrate(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]Side{in.ReferralID: SideRecipient, "ref-own": SideSender} {
		var got Side
		if err := conn.QueryRow(ctx, `SELECT side FROM exchange_outbox WHERE referral_id = $1`, ref).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("referral %s: side %q, want %q", ref, got, want)
		}
	}
}
