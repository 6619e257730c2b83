package exchange

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/audit"
)

// trail returns the audit entries after seq, as "action object actor".
func trail(t *testing.T, pool *pgxpool.Pool, after int64) []string {
	t.Helper()
	var out []string
	err := audit.Entries(context.Background(), pool, audit.Range{FromSeq: after + 1}, func(e audit.Entry) error {
		out = append(out, e.Action+" "+e.Object.ID+" "+e.Actor)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMessagesAudited: every message queued, sent, delivered, received
// and retried is in the audit trail, recorded with the change, under the
// actor of the context.
func TestMessagesAudited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pg.NewPool(t, schema)
	person := audit.WithActor(ctx, audit.Person("user-1", "https://idp.ci.example", []string{"caseworker"}))
	relay := audit.WithActor(ctx, audit.Service("relay"))

	out := outboxMessage(TypeReferral)
	if err := pgx.BeginFunc(person, pool, func(tx pgx.Tx) error { return Enqueue(person, tx, out) }); err != nil {
		t.Fatal(err)
	}
	// A change rolled back takes its entry with it.
	undone := outboxMessage(TypeDecision)
	err := pgx.BeginFunc(person, pool, func(tx pgx.Tx) error {
		if err := Enqueue(person, tx, undone); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("committed")
	}
	milestone := outboxMessage(TypeMilestone)
	milestone.Payload = nil
	enqueue(ctx, t, pool, milestone) // not a message: not audited

	if n, err := MarkPublishedBatch(relay, pool, []string{out.MessageID, "ci-unknown"}); err != nil || n != 1 {
		t.Fatalf("mark published = %d, %v", n, err)
	}
	if ok, err := RecordReceipt(relay, pool, out.MessageID, time.Now(), []byte("receipt")); err != nil || !ok {
		t.Fatalf("record receipt = %v, %v", ok, err)
	}
	// A second receipt records nothing new.
	if ok, err := RecordReceipt(relay, pool, out.MessageID, time.Now(), []byte("receipt")); err != nil || ok {
		t.Fatalf("second receipt = %v, %v", ok, err)
	}

	in1, in2 := inboxMessage(time.Now()), inboxMessage(time.Now())
	for _, res := range InsertInboxBatch(relay, pool, []InboxMessage{in1, in2, in1}) {
		if res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	if _, err := InsertInbox(relay, pool, in2); err != nil { // a copy: not received again
		t.Fatal(err)
	}
	if err := MarkApplyFailed(ctx, pool, in1.MessageID, "missing referral"); err != nil {
		t.Fatal(err)
	}
	admin := audit.WithActor(ctx, audit.Person("admin-1", "https://idp.ci.example", []string{"admin"}))
	if _, err := RetryInbox(admin, pool, in1.MessageID); err != nil {
		t.Fatal(err)
	}
	// A retry that finds nothing changes nothing and records nothing.
	if _, err := RetryInbox(admin, pool, "bf-unknown"); err == nil {
		t.Fatal("retried an unknown message")
	}

	want := []string{
		"message.queued " + out.MessageID + " user-1@https://idp.ci.example",
		"message.sent " + out.MessageID + " relay",
		"message.delivered " + out.MessageID + " relay",
		"message.received " + in1.MessageID + " relay",
		"message.received " + in2.MessageID + " relay",
		"inbox.retry " + in1.MessageID + " admin-1@https://idp.ci.example",
	}
	if got := trail(t, pool, 0); !slices.Equal(got, want) {
		t.Errorf("audit trail =\n%q\nwant\n%q", got, want)
	}
	if rep, err := audit.Verify(ctx, pool, nil); err != nil || rep.Problem != nil {
		t.Errorf("verify = %+v, %v", rep, err)
	}
}
