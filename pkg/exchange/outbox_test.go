package exchange

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/corridor"
)

func TestOutboxCycle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	sent := outboxMessage(TypeReferral)
	before := time.Now()
	enqueue(ctx, t, pool, sent)

	claimed, err := ClaimUnpublished(ctx, pool, 10, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != 1 {
		t.Fatalf("claimed %d messages, want 1", len(claimed))
	}
	got := claimed[0]
	written := got
	written.CreatedAt, written.NextAttemptAt, written.PublishAttempts = time.Time{}, time.Time{}, 0
	if !reflect.DeepEqual(written, sent) {
		t.Errorf("claimed message differs from the one enqueued:\n got %+v\nwant %+v", written, sent)
	}
	if got.PublishAttempts != 1 {
		t.Errorf("PublishAttempts = %d, want 1", got.PublishAttempts)
	}
	if got.CreatedAt.Before(before.Add(-time.Minute)) || got.CreatedAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("CreatedAt = %v, not about now", got.CreatedAt)
	}
	if !got.NextAttemptAt.After(time.Now().Add(50 * time.Minute)) {
		t.Errorf("NextAttemptAt = %v, want the end of an hour's lease", got.NextAttemptAt)
	}
	if again, err := ClaimUnpublished(ctx, pool, 10, time.Hour); err != nil || len(again) != 0 {
		t.Fatalf("second claim during the lease = %v, %v; want nothing", ids(again), err)
	}

	if err := MarkPublished(ctx, pool, sent.MessageID); err != nil {
		t.Fatal(err)
	}
	if again, err := ClaimUnpublished(ctx, pool, 10, -time.Hour); err != nil || len(again) != 0 {
		t.Fatalf("claim after publishing = %v, %v; want nothing", ids(again), err)
	}
	const base, max = 5 * time.Minute, time.Hour
	if due, err := DueForResend(ctx, pool, base, max, 10); err != nil || len(due) != 0 {
		t.Fatalf("resend of a message just published = %v, %v; want nothing", ids(due), err)
	}

	// Ten minutes pass without a receipt.
	if _, err := pool.Exec(ctx, "UPDATE exchange_outbox SET published_at = now() - interval '10 minutes'"); err != nil {
		t.Fatal(err)
	}
	due, err := DueForResend(ctx, pool, base, max, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(due), []string{sent.MessageID}) {
		t.Fatalf("due for resend = %v, want %s", ids(due), sent.MessageID)
	}
	if due[0].PublishAttempts != 2 {
		t.Errorf("PublishAttempts after resend = %d, want 2", due[0].PublishAttempts)
	}
	if again, err := DueForResend(ctx, pool, base, max, 10); err != nil || len(again) != 0 {
		t.Fatalf("resend right after a resend = %v, %v; want nothing", ids(again), err)
	}
	// After the second sending the wait doubles: ten minutes is not enough,
	// eleven is.
	for _, tc := range []struct {
		ago  string
		want int
	}{{"9 minutes", 0}, {"11 minutes", 1}} {
		if _, err := pool.Exec(ctx, "UPDATE exchange_outbox SET published_at = now() - $1::interval", tc.ago); err != nil {
			t.Fatal(err)
		}
		if due, err := DueForResend(ctx, pool, base, max, 10); err != nil || len(due) != tc.want {
			t.Fatalf("resend %s after the second sending = %v, %v; want %d", tc.ago, ids(due), err, tc.want)
		}
	}

	receiptAt := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	receipt := []byte("signed receipt")
	recorded, err := RecordReceipt(ctx, pool, sent.MessageID, receiptAt, receipt)
	if err != nil || !recorded {
		t.Fatalf("RecordReceipt = %v, %v; want true", recorded, err)
	}
	recorded, err = RecordReceipt(ctx, pool, sent.MessageID, receiptAt.Add(time.Hour), []byte("duplicate"))
	if err != nil || recorded {
		t.Fatalf("second RecordReceipt = %v, %v; want false", recorded, err)
	}
	stored, err := GetOutbox(ctx, pool, sent.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.ReceiptAt == nil || !stored.ReceiptAt.Equal(receiptAt) || string(stored.Receipt) != string(receipt) {
		t.Errorf("stored receipt = %v %q, want the first one", stored.ReceiptAt, stored.Receipt)
	}
	if _, err := pool.Exec(ctx, "UPDATE exchange_outbox SET published_at = now() - interval '10 minutes'"); err != nil {
		t.Fatal(err)
	}
	if due, err := DueForResend(ctx, pool, base, max, 10); err != nil || len(due) != 0 {
		t.Fatalf("resend of a delivered message = %v, %v; want nothing", ids(due), err)
	}
}

func TestOutboxUnknownMessage(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	calls := map[string]func() error{
		"MarkPublished":     func() error { return MarkPublished(ctx, pool, "ci-none") },
		"MarkPublishFailed": func() error { return MarkPublishFailed(ctx, pool, "ci-none", "down", time.Now()) },
		"RecordReceipt": func() error {
			_, err := RecordReceipt(ctx, pool, "ci-none", time.Now(), []byte("r"))
			return err
		},
		"GetOutbox": func() error { _, err := GetOutbox(ctx, pool, "ci-none"); return err },
	}
	for name, call := range calls {
		if kind := corridor.KindOf(call()); kind != corridor.KindNotFound {
			t.Errorf("%s of an unknown message: kind %s, want not_found", name, kind)
		}
	}
}

// TestRecordReceiptBatch records, in one statement, receipts for a new
// message (two copies), a message already receipted, a message not in the
// outbox and an empty receipt: each gets its own result, and the first
// copy is the one stored.
func TestRecordReceiptBatch(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	fresh, done := outboxMessage(TypeReferral), outboxMessage(TypeReferral)
	enqueue(ctx, t, pool, fresh)
	enqueue(ctx, t, pool, done)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if _, err := RecordReceipt(ctx, pool, done.MessageID, at, []byte("earlier")); err != nil {
		t.Fatal(err)
	}
	batch := []Receipt{
		{MessageID: fresh.MessageID, At: at, Receipt: []byte("first copy")},
		{MessageID: done.MessageID, At: at.Add(time.Hour), Receipt: []byte("again")},
		{MessageID: "ci-none", At: at, Receipt: []byte("r")},
		{MessageID: fresh.MessageID, At: at.Add(time.Minute), Receipt: []byte("second copy")},
		{MessageID: fresh.MessageID, At: at, Receipt: nil},
	}
	results, err := RecordReceiptBatch(ctx, pool, batch)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		recorded bool
		kind     corridor.ErrorKind
	}{{true, ""}, {false, ""}, {false, corridor.KindNotFound}, {false, ""}, {false, corridor.KindInvalid}}
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d", len(results), len(want))
	}
	for i, w := range want {
		kindOK := results[i].Err == nil
		if w.kind != "" {
			kindOK = corridor.KindOf(results[i].Err) == w.kind
		}
		if results[i].Recorded != w.recorded || !kindOK {
			t.Errorf("receipt %d (%s): recorded %t, error %v; want %t, kind %q",
				i, batch[i].MessageID, results[i].Recorded, results[i].Err, w.recorded, w.kind)
		}
	}
	for id, receipt := range map[string]string{fresh.MessageID: "first copy", done.MessageID: "earlier"} {
		stored, err := GetOutbox(ctx, pool, id)
		if err != nil {
			t.Fatal(err)
		}
		if stored.ReceiptAt == nil || !stored.ReceiptAt.Equal(at) || string(stored.Receipt) != receipt || stored.PublishedAt == nil {
			t.Errorf("%s: receipt %v %q, published %v; want %s %q and published", id, stored.ReceiptAt, stored.Receipt, stored.PublishedAt, at, receipt)
		}
	}
	// Each message delivered is in the audit trail once: the batch added
	// the fresh one's, and nothing for the copy or the one receipted
	// before.
	for _, id := range []string{fresh.MessageID, done.MessageID} {
		n := 0
		for _, e := range trail(t, pool, 0) {
			if strings.HasPrefix(e, ActionDelivered+" "+id+" ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d %s entries in the audit trail, want 1", id, n, ActionDelivered)
		}
	}
	if results, err := RecordReceiptBatch(ctx, pool, nil); err != nil || len(results) != 0 {
		t.Errorf("empty batch = %v, %v", results, err)
	}
}

func TestReceiptBeforeMarkPublished(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	m := outboxMessage(TypeReferral)
	enqueue(ctx, t, pool, m)
	// The relay published and stopped before MarkPublished; the receipt
	// still proves delivery, so nothing must publish the message again.
	if _, err := ClaimUnpublished(ctx, pool, 10, -time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := RecordReceipt(ctx, pool, m.MessageID, time.Now(), []byte("r")); err != nil {
		t.Fatal(err)
	}
	if again, err := ClaimUnpublished(ctx, pool, 10, time.Hour); err != nil || len(again) != 0 {
		t.Fatalf("claim after receipt = %v, %v; want nothing", ids(again), err)
	}
}

func TestEnqueueRollsBackWithTheCaseChange(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	errCase := errors.New("case change failed")
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := Enqueue(ctx, tx, outboxMessage(TypeReferral)); err != nil {
			return err
		}
		return errCase
	})
	if !errors.Is(err, errCase) {
		t.Fatalf("BeginFunc = %v", err)
	}
	if claimed, err := ClaimUnpublished(ctx, pool, 10, time.Hour); err != nil || len(claimed) != 0 {
		t.Fatalf("claimed %v, %v after rollback; want nothing", ids(claimed), err)
	}
}

func TestEnqueueValidation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	cases := []struct {
		name   string
		change func(*OutboxMessage)
		field  string
	}{
		{"no message id", func(m *OutboxMessage) { m.MessageID = "" }, "message_id"},
		{"space in case ref", func(m *OutboxMessage) { m.CaseRef = "Awa Traoré" }, "case_ref"},
		{"unknown type", func(m *OutboxMessage) { m.MessageType = "gossip" }, "message_type"},
		{"lower-case member", func(m *OutboxMessage) { m.RecipientMember = "bf" }, "recipient_member"},
		{"no payload", func(m *OutboxMessage) { m.Payload = []byte{} }, "payload"},
		{"no milestone", func(m *OutboxMessage) { m.Tracking.Milestone = "" }, "tracking.milestone"},
		{"free text in tracking", func(m *OutboxMessage) { m.Tracking.Sector = "cocoa farm near Soubré" }, "tracking.sector"},
		{"free text as service type", func(m *OutboxMessage) { m.Tracking.ServiceType = "tutoring at Mme Koné's" }, "tracking.service_type"},
		{"follow-up flag not an answer", func(m *OutboxMessage) { m.Tracking.InSchool = "grade 4" }, "tracking.in_school"},
		{"free text as closure reason", func(m *OutboxMessage) { m.Tracking.ClosureReason = "back with her aunt in Bobo" }, "tracking.closure_reason"},
		{"free text as previous referral", func(m *OutboxMessage) { m.Tracking.PreviousReferralID = "the one Awa had" }, "tracking.previous_referral_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := outboxMessage(TypeReferral)
			tc.change(&m)
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return Enqueue(ctx, tx, m) })
			var cerr *corridor.Error
			if !errors.As(err, &cerr) || cerr.Kind != corridor.KindInvalid {
				t.Fatalf("Enqueue = %v, want an invalid error", err)
			}
			if len(cerr.Fields) != 1 || cerr.Fields[0].Field != tc.field {
				t.Errorf("fields = %+v, want one for %s", cerr.Fields, tc.field)
			}
		})
	}

	t.Run("no tracking", func(t *testing.T) {
		m := outboxMessage(TypeReferral)
		m.Tracking = nil
		enqueue(ctx, t, pool, m)
		got, err := GetOutbox(ctx, pool, m.MessageID)
		if err != nil || got.Tracking != nil {
			t.Fatalf("GetOutbox = %+v, %v; want no tracking", got.Tracking, err)
		}
	})
	t.Run("duplicate id", func(t *testing.T) {
		m := outboxMessage(TypeReferral)
		enqueue(ctx, t, pool, m)
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return Enqueue(ctx, tx, m) })
		if kind := corridor.KindOf(err); kind != corridor.KindConflict {
			t.Errorf("second Enqueue: %v (kind %s), want conflict", err, kind)
		}
	})
}

// TestMessageTypesMatchSchema keeps the Go list and the CHECK constraint in
// step: each known type is accepted, an unknown one refused by the database
// itself, as a partner writing SQL would meet it.
func TestMessageTypesMatchSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	for _, typ := range MessageTypes() {
		enqueue(ctx, t, pool, outboxMessage(typ))
		in := inboxMessage(time.Now())
		in.MessageType = typ
		if _, err := InsertInbox(ctx, pool, in); err != nil {
			t.Errorf("InsertInbox(%s): %v", typ, err)
		}
	}
	for _, table := range []string{"exchange_outbox", "exchange_inbox"} {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(DISTINCT message_type) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(MessageTypes()) {
			t.Errorf("%s has %d types, want %d", table, n, len(MessageTypes()))
		}
	}
	_, err := pool.Exec(ctx, `INSERT INTO exchange_outbox (message_id, corridor, message_type, case_ref,
		referral_id, sender_agency, recipient_member, recipient_agency, payload)
		VALUES ('ci-x', 'bf-ci', 'gossip', 'c', 'r', 'a', 'BF', 'b', '\x01')`)
	if err == nil {
		t.Error("the database accepted message type gossip")
	}
}

func TestPublishFailedIsRetried(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	m := outboxMessage(TypeWithdrawal)
	enqueue(ctx, t, pool, m)
	if _, err := ClaimUnpublished(ctx, pool, 10, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := MarkPublishFailed(ctx, pool, m.MessageID, "nats: no responders", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := ClaimUnpublished(ctx, pool, 10, time.Hour); err != nil || len(got) != 0 {
		t.Fatalf("claim before retry time = %v, %v; want nothing", ids(got), err)
	}
	if err := MarkPublishFailed(ctx, pool, m.MessageID, "nats: no responders", time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	got, err := ClaimUnpublished(ctx, pool, 10, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].LastError != "nats: no responders" || got[0].PublishAttempts != 2 {
		t.Fatalf("claim after retry time = %+v; want the message, its error and 2 attempts", got)
	}
	if err := MarkPublished(ctx, pool, m.MessageID); err != nil {
		t.Fatal(err)
	}
	stored, err := GetOutbox(ctx, pool, m.MessageID)
	if err != nil || stored.LastError != "" || stored.PublishedAt == nil {
		t.Errorf("after publishing: %+v, %v; want published, error cleared", stored, err)
	}
}

// TestConcurrentClaimersNeverShare runs two relays' claim loops at once over
// the same outbox, each on a connection of its own.
func TestConcurrentClaimersNeverShare(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	const total = 300
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for range total {
			if err := Enqueue(ctx, tx, outboxMessage(TypeReferral)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	claims := make([][]string, 2)
	errs := make([]error, 2)
	start := make(chan struct{})
	var ready, wg sync.WaitGroup
	for i := range claims {
		ready.Add(1)
		wg.Go(func() {
			// Connect before the start, so that neither claimer drains the
			// outbox while the other is still connecting.
			conn, err := pool.Acquire(ctx)
			ready.Done()
			if err != nil {
				errs[i] = err
				return
			}
			defer conn.Release()
			<-start
			for {
				msgs, err := ClaimUnpublished(ctx, conn, 3, time.Hour)
				if err != nil {
					errs[i] = err
					return
				}
				if len(msgs) == 0 {
					return
				}
				claims[i] = append(claims[i], ids(msgs)...)
			}
		})
	}
	ready.Wait()
	close(start)
	wg.Wait()
	seen := map[string]int{}
	for i, c := range claims {
		if errs[i] != nil {
			t.Fatalf("claimer %d: %v", i, errs[i])
		}
		for _, id := range c {
			seen[id]++
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("message %s claimed %d times", id, n)
		}
	}
	if len(seen) != total {
		t.Errorf("claimed %d distinct messages, want %d", len(seen), total)
	}
	t.Logf("claims per claimer: %d, %d", len(claims[0]), len(claims[1]))
}

// TestClaimSkipsLockedRows holds one claim's transaction open, as a relay
// in the middle of claiming does, and checks that a second claim neither
// waits for it nor returns its rows, before or after it commits.
func TestClaimSkipsLockedRows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	for range 6 {
		enqueue(ctx, t, pool, outboxMessage(TypeReferral))
	}
	first, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback(context.WithoutCancel(ctx))
	held, err := ClaimUnpublished(ctx, first, 4, time.Hour)
	if err != nil || len(held) != 4 {
		t.Fatalf("first claim = %v, %v; want 4", ids(held), err)
	}

	// Waiting for the first claim's locks would be a bug: bound it.
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	second, err := ClaimUnpublished(waitCtx, pool, 10, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 2 {
		t.Fatalf("second claim = %v; want the 2 rows not held", ids(second))
	}
	for _, id := range ids(second) {
		if slices.Contains(ids(held), id) {
			t.Errorf("message %s returned to both claims", id)
		}
	}

	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if third, err := ClaimUnpublished(ctx, pool, 10, time.Hour); err != nil || len(third) != 0 {
		t.Errorf("claim after the first committed = %v, %v; want nothing (leased)", ids(third), err)
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // é is two bytes; half of it is not kept
	}
	for _, tc := range cases {
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestContextCancelled(t *testing.T) {
	t.Parallel()
	pool := pg.NewPool(t, schema)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := ClaimUnpublished(ctx, pool, 1, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("ClaimUnpublished with a cancelled context = %v, want context.Canceled", err)
	}
}

// TestMilestoneRows: a milestone row carries tracking and no payload; the
// relay claims it like any row, but it awaits no receipt, so it is never
// due for re-sending nor counted as awaiting one. The database refuses a
// milestone row with a payload or without tracking, as a partner writing
// SQL would meet it; the inbox refuses the type.
func TestMilestoneRows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	m := outboxMessage(TypeMilestone)
	m.Payload = nil
	enqueue(ctx, t, pool, m)
	claimed, err := ClaimUnpublished(ctx, pool, 10, time.Hour)
	if err != nil || len(claimed) != 1 || claimed[0].MessageType != TypeMilestone || len(claimed[0].Payload) != 0 ||
		claimed[0].Tracking == nil {
		t.Fatalf("ClaimUnpublished = %+v, %v; want the milestone row", claimed, err)
	}
	if err := MarkPublished(ctx, pool, m.MessageID); err != nil {
		t.Fatal(err)
	}
	if due, err := DueForResend(ctx, pool, -time.Hour, -time.Hour, 10); err != nil || len(due) != 0 {
		t.Errorf("DueForResend = %v, %v; want nothing", ids(due), err)
	}
	if s, err := ReadStats(ctx, pool); err != nil || s.OutboxAwaitingReceipt != 0 {
		t.Errorf("ReadStats = %+v, %v; want nothing awaiting a receipt", s, err)
	}

	invalid := []struct {
		name   string
		change func(*OutboxMessage)
		field  string
	}{
		{"payload", func(m *OutboxMessage) { m.Payload = []byte{1} }, "payload"},
		{"no tracking", func(m *OutboxMessage) { m.Tracking = nil }, "tracking"},
		{"no milestone", func(m *OutboxMessage) { m.Tracking.Milestone = "" }, "tracking.milestone"},
	}
	for _, tc := range invalid {
		m := outboxMessage(TypeMilestone)
		m.Payload = nil
		tc.change(&m)
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return Enqueue(ctx, tx, m) })
		var cerr *corridor.Error
		if !errors.As(err, &cerr) || cerr.Kind != corridor.KindInvalid || len(cerr.Fields) != 1 || cerr.Fields[0].Field != tc.field {
			t.Errorf("%s: Enqueue = %v, want an invalid %s", tc.name, err, tc.field)
		}
	}
	for name, sql := range map[string]string{
		"payload":                    `INSERT INTO exchange_outbox (message_id, corridor, message_type, case_ref, referral_id, sender_agency, recipient_member, recipient_agency, payload, tracking) VALUES ('ci-m1', 'bf-ci', 'milestone', 'c', 'r', 'a', 'BF', 'b', '\x01', '{"milestone": "handed_over"}')`,
		"no tracking":                `INSERT INTO exchange_outbox (message_id, corridor, message_type, case_ref, referral_id, sender_agency, recipient_member, recipient_agency, payload) VALUES ('ci-m2', 'bf-ci', 'milestone', 'c', 'r', 'a', 'BF', 'b', '')`,
		"empty payload of a message": `INSERT INTO exchange_outbox (message_id, corridor, message_type, case_ref, referral_id, sender_agency, recipient_member, recipient_agency, payload) VALUES ('ci-m3', 'bf-ci', 'decision', 'c', 'r', 'a', 'BF', 'b', '')`,
	} {
		if _, err := pool.Exec(ctx, sql); err == nil {
			t.Errorf("the database accepted a milestone row with %s", name)
		}
	}
	in := inboxMessage(time.Now())
	in.MessageType = TypeMilestone
	if _, err := InsertInbox(ctx, pool, in); corridor.KindOf(err) != corridor.KindInvalid {
		t.Errorf("InsertInbox(milestone) = %v, want an invalid error", err)
	}
}
