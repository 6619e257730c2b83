package exchange

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/corridor"
)

func TestInboxDropsDuplicates(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	m := inboxMessage(time.Now())
	inserted, err := InsertInbox(ctx, pool, m)
	if err != nil || !inserted {
		t.Fatalf("first InsertInbox = %v, %v; want true", inserted, err)
	}

	// A re-send, even after the first copy was applied, is dropped.
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return MarkApplied(ctx, tx, m.MessageID) }); err != nil {
		t.Fatal(err)
	}
	again := m
	again.SentAt = m.SentAt.Add(time.Hour) // re-sealed for the re-send
	inserted, err = InsertInbox(ctx, pool, again)
	if err != nil || inserted {
		t.Fatalf("second InsertInbox = %v, %v; want false", inserted, err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM exchange_inbox").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("inbox has %d rows, want 1", n)
	}
	stored, err := GetInbox(ctx, pool, m.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if string(stored.Payload) != string(m.Payload) || stored.AppliedAt == nil {
		t.Errorf("stored = %+v; want the first copy, applied", stored)
	}
}

// TestInboxRefusesPreemption: a message id without its sender's prefix is
// refused, and a "duplicate" whose type, case or payload differs from the
// stored message is an attack, not a copy: refused, the stored row intact.
func TestInboxRefusesPreemption(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	m := inboxMessage(time.Now())
	if _, err := InsertInbox(ctx, pool, m); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*InboxMessage)
		want   error // nil: a KindInvalid error
	}{
		{"id of another member", func(c *InboxMessage) { c.MessageID = corridor.NewID("ci-") }, nil},
		{"id without prefix", func(c *InboxMessage) { c.MessageID = corridor.NewID("msg-") }, nil},
		{"sender claims another's id", func(c *InboxMessage) { c.SenderMember, c.SenderAgency = "ML", "ml-agency" }, nil},
		{"other payload", func(c *InboxMessage) { c.Payload = []byte("a different payload") }, ErrConflictingDuplicate},
		{"other type", func(c *InboxMessage) { c.MessageType = TypeWithdrawal }, ErrConflictingDuplicate},
		{"other case", func(c *InboxMessage) { c.CaseRef = corridor.NewID("case-") }, ErrConflictingDuplicate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := m
			tc.change(&c)
			inserted, err := InsertInbox(ctx, pool, c)
			switch {
			case inserted:
				t.Fatal("inserted")
			case tc.want == nil && corridor.KindOf(err) != corridor.KindInvalid:
				t.Fatalf("InsertInbox = %v, want an invalid error", err)
			case tc.want != nil && (!errors.Is(err, tc.want) || corridor.KindOf(err) != corridor.KindConflict):
				t.Fatalf("InsertInbox = %v, want a conflict wrapping %v", err, tc.want)
			}
		})
	}
	t.Cleanup(func() {
		stored, err := GetInbox(context.Background(), pool, m.MessageID)
		if err != nil || string(stored.Payload) != string(m.Payload) || stored.CaseRef != m.CaseRef {
			t.Errorf("stored = %+v, %v; want the first message intact", stored, err)
		}
	})
}

// TestInboxIdentityIsSenderAndID: the table keys messages by sender and
// id, so even a row written around InsertInbox cannot block another
// member's message with the same id.
func TestInboxIdentityIsSenderAndID(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	for _, sender := range []string{"ML", "BF"} {
		if _, err := pool.Exec(ctx, `
			INSERT INTO exchange_inbox (message_id, corridor, message_type, case_ref, referral_id, sender_member,
				sender_agency, recipient_agency, sent_at, payload, payload_sha256)
			VALUES ('bf-1', 'bf-ci', 'decision', 'case-1', 'ref-1', $1, 'a', 'b', now(), '\x01', sha256('\x01'))`,
			sender); err != nil {
			t.Fatalf("insert from %s: %v", sender, err)
		}
	}
}

func TestInboxApply(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// Inserted out of order; claimed in the order they were sent.
	third, first, second := inboxMessage(base.Add(2*time.Minute)), inboxMessage(base), inboxMessage(base.Add(time.Minute))
	third.ReceivedAt = base.Add(time.Hour)
	for _, m := range []InboxMessage{third, first, second} {
		if _, err := InsertInbox(ctx, pool, m); err != nil {
			t.Fatal(err)
		}
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	claimed, err := ClaimInbox(ctx, tx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{first.MessageID, second.MessageID, third.MessageID}; !slices.Equal(ids(claimed), want) {
		t.Fatalf("claimed %v, want %v", ids(claimed), want)
	}
	if !claimed[0].SentAt.Equal(base) || !claimed[2].ReceivedAt.Equal(base.Add(time.Hour)) {
		t.Errorf("times not kept: sent %v, received %v", claimed[0].SentAt, claimed[2].ReceivedAt)
	}

	// Another case-system instance skips what this one holds.
	other, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if held, err := ClaimInbox(ctx, other, 10); err != nil || len(held) != 0 {
		t.Fatalf("concurrent claim = %v, %v; want nothing", ids(held), err)
	}
	if err := other.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	if err := MarkApplied(ctx, tx, first.MessageID); err != nil {
		t.Fatal(err)
	}
	var txNow time.Time
	if err := tx.QueryRow(ctx, "SELECT now()").Scan(&txNow); err != nil {
		t.Fatal(err)
	}
	if err := MarkApplyFailed(ctx, tx, second.MessageID, "referral not found"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	if kind := corridor.KindOf(MarkApplied(ctx, pool, first.MessageID)); kind != corridor.KindNotFound {
		t.Errorf("marking an applied message again: kind %s, want not_found", kind)
	}
	failed, next, err := ListFailedInbox(ctx, pool, nil, 10)
	if err != nil || next != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(failed), []string{second.MessageID}) {
		t.Fatalf("failed = %v, want %s", ids(failed), second.MessageID)
	}
	f := failed[0]
	if f.ApplyError != "referral not found" || f.ApplyAttempts != 1 || f.AppliedAt != nil {
		t.Errorf("failed message = %+v", f)
	}
	// The first retry waits a second from the failing transaction's time.
	if wait := f.NextApplyAt.Sub(txNow); wait != time.Second {
		t.Errorf("next apply %v after the failure, want 1s", wait)
	}

	// Once due again, it is claimed with the third, and a success clears
	// the quarantine.
	if _, err := pool.Exec(ctx, "UPDATE exchange_inbox SET next_apply_at = now() WHERE message_id = $1", second.MessageID); err != nil {
		t.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		msgs, err := ClaimInbox(ctx, tx, 10)
		if err != nil {
			return err
		}
		if want := []string{second.MessageID, third.MessageID}; !slices.Equal(ids(msgs), want) {
			t.Errorf("second claim = %v, want %v", ids(msgs), want)
		}
		for _, m := range msgs {
			if err := MarkApplied(ctx, tx, m.MessageID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if failed, _, err := ListFailedInbox(ctx, pool, nil, 10); err != nil || len(failed) != 0 {
		t.Errorf("failed after applying = %v, %v; want none", ids(failed), err)
	}
}

func TestApplyBackoffGrowsAndCaps(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	m := inboxMessage(time.Now())
	if _, err := InsertInbox(ctx, pool, m); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		attemptsBefore int
		wait           time.Duration
	}{
		{0, time.Second},
		{1, 2 * time.Second},
		{5, 32 * time.Second},
		{12, time.Hour}, // 4096 s, capped
		{MaxApplyAttempts - 2, time.Hour},
	}
	for _, tc := range cases {
		if _, err := pool.Exec(ctx, "UPDATE exchange_inbox SET apply_attempts = $1", tc.attemptsBefore); err != nil {
			t.Fatal(err)
		}
		if err := MarkApplyFailed(ctx, pool, m.MessageID, "bad payload"); err != nil {
			t.Fatal(err)
		}
		var wait time.Duration
		if err := pool.QueryRow(ctx,
			"SELECT extract(epoch FROM next_apply_at - now())::float8 * interval '1 second' FROM exchange_inbox").Scan(&wait); err != nil {
			t.Fatal(err)
		}
		if d := wait - tc.wait; d < -5*time.Second || d > 0 {
			t.Errorf("after %d failures, wait %v; want %v", tc.attemptsBefore+1, wait, tc.wait)
		}
	}

	// The last failure gives up: the message stays, visible, but is no
	// longer offered until an operator retries it.
	if _, err := pool.Exec(ctx, "UPDATE exchange_inbox SET apply_attempts = $1", MaxApplyAttempts-1); err != nil {
		t.Fatal(err)
	}
	if err := MarkApplyFailed(ctx, pool, m.MessageID, "bad payload"); err != nil {
		t.Fatal(err)
	}
	claimable := func() int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM exchange_inbox
			WHERE applied_at IS NULL AND next_apply_at <= now() + interval '1 day'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := claimable(); n != 0 {
		t.Errorf("after %d failures the message is still offered", MaxApplyAttempts)
	}
	if failed, _, err := ListFailedInbox(ctx, pool, nil, 10); err != nil || len(failed) != 1 || !failed[0].GaveUp {
		t.Errorf("ListFailedInbox after giving up = %v, %v; want the message, given up", ids(failed), err)
	}
	retried, err := RetryInbox(ctx, pool, m.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if retried.GaveUp || retried.ApplyAttempts != 0 || retried.ApplyError == "" || retried.Payload != nil {
		t.Errorf("RetryInbox returned %+v; want re-offered, last error kept, no payload", retried)
	}
	if n := claimable(); n != 1 {
		t.Errorf("after RetryInbox the message is not offered")
	}
	if _, err := RetryInbox(ctx, pool, "ci-unknown"); corridor.KindOf(err) != corridor.KindNotFound {
		t.Errorf("RetryInbox(unknown) = %v, want not found", err)
	}
}

func TestInsertInboxValidation(t *testing.T) {
	t.Parallel()
	pool := pg.NewPool(t, schema)
	cases := []struct {
		name   string
		change func(*InboxMessage)
		field  string
	}{
		{"no sender member", func(m *InboxMessage) { m.SenderMember = "" }, "sender_member"},
		{"no sent time", func(m *InboxMessage) { m.SentAt = time.Time{} }, "sent_at"},
		{"no payload", func(m *InboxMessage) { m.Payload = nil }, "payload"},
		{"bad agency", func(m *InboxMessage) { m.RecipientAgency = "ci/inspection" }, "recipient_agency"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := inboxMessage(time.Now())
			tc.change(&m)
			_, err := InsertInbox(t.Context(), pool, m)
			var cerr *corridor.Error
			if !errors.As(err, &cerr) || cerr.Kind != corridor.KindInvalid || len(cerr.Fields) != 1 || cerr.Fields[0].Field != tc.field {
				t.Fatalf("InsertInbox = %v; want invalid %s", err, tc.field)
			}
		})
	}
}
