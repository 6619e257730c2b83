package exchange

import (
	"errors"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
)

func TestMarkPublishedBatch(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	msgs := []OutboxMessage{outboxMessage(TypeReferral), outboxMessage(TypeReferral), outboxMessage(TypeReferral)}
	for _, m := range msgs {
		enqueue(ctx, t, pool, m)
	}
	claimed, err := ClaimUnpublished(ctx, pool, 10, time.Minute)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("ClaimUnpublished = %d messages, %v; want 3", len(claimed), err)
	}
	if _, err := pool.Exec(ctx, `UPDATE exchange_outbox SET last_error = 'earlier failure'`); err != nil {
		t.Fatal(err)
	}
	n, err := MarkPublishedBatch(ctx, pool, []string{msgs[0].MessageID, msgs[2].MessageID, "ci-unknown"})
	if err != nil || n != 2 {
		t.Fatalf("MarkPublishedBatch = %d, %v; want 2 rows", n, err)
	}
	for i, m := range msgs {
		got, err := GetOutbox(ctx, pool, m.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		marked := got.PublishedAt != nil && got.LastError == ""
		if want := i != 1; marked != want {
			t.Errorf("message %d: published_at = %v, last_error = %q; want marked %v", i, got.PublishedAt, got.LastError, want)
		}
	}
	if n, err := MarkPublishedBatch(ctx, pool, nil); err != nil || n != 0 {
		t.Errorf("MarkPublishedBatch(nil) = %d, %v; want 0, nil", n, err)
	}
}

// TestInsertInboxBatch: every message of a batch keeps InsertInbox's rules
// and gets its own result; a bad message fails alone, even one that only
// the database refuses.
func TestInsertInboxBatch(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Microsecond)
	stored := inboxMessage(now)
	stored.EnvelopeSHA256 = make([]byte, 32)
	stored.EnvelopeSHA256[0] = 1

	copyOf := func(m InboxMessage) InboxMessage {
		c := m
		c.SentAt = m.SentAt.Add(time.Minute) // re-sealed
		c.EnvelopeSHA256 = make([]byte, 32)  // another envelope
		return c
	}
	fresh := inboxMessage(now)
	conflicting := stored
	conflicting.Payload = []byte("another payload")
	foreign := inboxMessage(now)
	foreign.MessageID = corridor.NewID("ci-")
	unstorable := inboxMessage(time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)) // beyond PostgreSQL's range

	type want struct {
		inserted bool
		err      error // ErrConflictingDuplicate, errInvalid, errAny
	}
	errInvalid, errAny := errors.New("invalid"), errors.New("any")
	tests := []struct {
		name  string
		batch []InboxMessage
		want  []want
		rows  int // inbox rows after the batch, the stored one included
	}{
		{"all new", []InboxMessage{inboxMessage(now), inboxMessage(now)}, []want{{true, nil}, {true, nil}}, 3},
		{"copy of the stored", []InboxMessage{copyOf(stored)}, []want{{false, nil}}, 1},
		{"two copies in one batch", []InboxMessage{fresh, copyOf(fresh)}, []want{{true, nil}, {false, nil}}, 2},
		{"conflicting duplicate alone fails",
			[]InboxMessage{inboxMessage(now), conflicting, inboxMessage(now)},
			[]want{{true, nil}, {false, ErrConflictingDuplicate}, {true, nil}}, 3},
		{"invalid alone fails",
			[]InboxMessage{foreign, inboxMessage(now)}, []want{{false, errInvalid}, {true, nil}}, 2},
		{"refused by the database alone fails",
			[]InboxMessage{inboxMessage(now), unstorable, copyOf(stored)},
			[]want{{true, nil}, {false, errAny}, {false, nil}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			pool := pg.NewPool(t, schema)
			if _, err := InsertInbox(ctx, pool, stored); err != nil {
				t.Fatal(err)
			}
			first, err := GetInbox(ctx, pool, stored.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			got := InsertInboxBatch(ctx, pool, tt.batch)
			if len(got) != len(tt.batch) {
				t.Fatalf("%d results for %d messages", len(got), len(tt.batch))
			}
			for i, w := range tt.want {
				g := got[i]
				switch {
				case w.err == nil && g.Err != nil:
					t.Errorf("message %d: %v", i, g.Err)
				case w.err == errInvalid && corridor.KindOf(g.Err) != corridor.KindInvalid:
					t.Errorf("message %d: error %v, want an invalid error", i, g.Err)
				case w.err == errAny && (g.Err == nil || corridor.KindOf(g.Err) == corridor.KindInvalid):
					t.Errorf("message %d: error %v, want the database's", i, g.Err)
				case w.err == ErrConflictingDuplicate && (!errors.Is(g.Err, w.err) || corridor.KindOf(g.Err) != corridor.KindConflict):
					t.Errorf("message %d: error %v, want a conflict", i, g.Err)
				}
				if g.Inserted != w.inserted {
					t.Errorf("message %d: inserted = %v, want %v", i, g.Inserted, w.inserted)
				}
				if w.err == nil && g.ReceivedAt.IsZero() {
					t.Errorf("message %d: no received_at", i)
				}
				// A copy is answered with the first copy's time and digest.
				if tt.batch[i].MessageID == stored.MessageID && w.err == nil &&
					(!g.ReceivedAt.Equal(first.ReceivedAt) || string(g.EnvelopeSHA256) != string(stored.EnvelopeSHA256)) {
					t.Errorf("message %d: copy answered with %v %x, want the stored %v %x",
						i, g.ReceivedAt, g.EnvelopeSHA256, first.ReceivedAt, stored.EnvelopeSHA256)
				}
			}
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM exchange_inbox`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != tt.rows {
				t.Errorf("inbox has %d rows, want %d", n, tt.rows)
			}
			again, err := GetInbox(ctx, pool, stored.MessageID)
			if err != nil || string(again.Payload) != string(stored.Payload) {
				t.Errorf("stored message = %+v, %v; want it intact", again, err)
			}
		})
	}
}
