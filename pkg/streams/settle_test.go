package streams_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
	"github.com/corridor-org/corridor/pkg/streams"
)

// refusal is the test handler's own type of refusal.
type refusal struct{ why string }

func (r *refusal) Error() string { return "refused: " + r.why }

// scripted handles a message by what its body says: "done", "refuse",
// "fail" (always a transient failure), "panic", "refuse-late" (refused,
// and its first quarantine cannot be stored), or "wait" (the directory in
// force has expired for its first waitDeliveries deliveries, then it is
// handled).
type scripted struct {
	mu          sync.Mutex
	deliveries  map[string]int
	quarantined map[string]error // by body, the error Quarantine stored
	qAttempts   map[string]int
}

func (s *scripted) Handle(_ context.Context, d streams.Delivery) (streams.Outcome, error) {
	body := string(d.Msg.Data())
	s.mu.Lock()
	s.deliveries[body]++
	n := s.deliveries[body]
	s.mu.Unlock()
	switch body {
	case "wait":
		if n <= waitDeliveries {
			return streams.OutcomeOf[*refusal](fmt.Errorf("get current corridor directory: %w", directory.ErrExpired))
		}
		return streams.OutcomeOf[*refusal](nil)
	case "done", "done-too":
		return streams.OutcomeOf[*refusal](nil)
	case "refuse", "refuse-late":
		return streams.OutcomeOf[*refusal](fmt.Errorf("check: %w", &refusal{why: body}))
	case "panic":
		panic("handler bug")
	default:
		return streams.OutcomeOf[*refusal](errors.New("database down"))
	}
}

// batched is scripted handling batches: a batch holding a "panic" panics
// as a whole, so the reader must fall back to one message at a time.
type batched struct {
	*scripted
	mu       sync.Mutex
	maxBatch int
}

func (b *batched) HandleBatch(ctx context.Context, ds []streams.Delivery) []streams.Result {
	b.mu.Lock()
	b.maxBatch = max(b.maxBatch, len(ds))
	b.mu.Unlock()
	for _, d := range ds {
		if string(d.Msg.Data()) == "panic" {
			panic("batch handler bug")
		}
	}
	out := make([]streams.Result, len(ds))
	for i, d := range ds {
		out[i].Outcome, out[i].Err = b.Handle(ctx, d)
	}
	return out
}

func (s *scripted) Quarantine(_ context.Context, d streams.Delivery, err error) bool {
	body := string(d.Msg.Data())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.qAttempts[body]++
	if body == "refuse-late" && s.qAttempts[body] == 1 {
		return false
	}
	s.quarantined[body] = err
	return true
}

func (s *scripted) snapshot() (map[string]int, map[string]error, map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	copyInts := func(m map[string]int) map[string]int {
		out := make(map[string]int, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	q := make(map[string]error, len(s.quarantined))
	for k, v := range s.quarantined {
		q[k] = v
	}
	return copyInts(s.deliveries), q, copyInts(s.qAttempts)
}

// waitDeliveries is how many deliveries of "wait" find the service unable
// to handle anything: more than MaxDeliver.
const waitDeliveries = 2 * maxDeliver

// maxDeliver is the reader's MaxDeliver in the settling test.
const maxDeliver = 3

// TestInboxReaderSettles runs the reader on a real JetStream consumer and
// checks every way a message is settled: acknowledged, quarantined when
// refused, quarantined as given up after MaxDeliver transient failures (a
// panic among them), redelivered while its quarantine cannot be stored,
// and redelivered past MaxDeliver, never given up on, while the service
// waits.
func TestInboxReaderSettles(t *testing.T) {
	t.Parallel()
	for _, batchSize := range []int{1, 8} {
		t.Run(fmt.Sprintf("batches of %d", batchSize), func(t *testing.T) {
			t.Parallel()
			testInboxReaderSettles(t, batchSize)
		})
	}
}

// testInboxReaderSettles: a batch size above 1 reads with a BatchHandler.
func testInboxReaderSettles(t *testing.T, batchSize int) {
	js := natstest.StartMember(t, natstest.StartHub(t), "ci").JetStream(t, natsconf.UserOperator)
	ctx := testCtx(t)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "SETTLE", Subjects: []string{"settle.>"}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, "SETTLE", jetstream.ConsumerConfig{
		Durable: "reader", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxDeliver: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	bodies := []string{"done", "refuse", "fail", "panic", "refuse-late", "wait"}
	// Enough handled messages behind them that batches fill.
	for range 20 {
		bodies = append(bodies, "done-too")
	}
	for _, b := range bodies {
		if _, err := js.Publish(ctx, "settle."+strings.ReplaceAll(b, "-", "_"), []byte(b)); err != nil {
			t.Fatal(err)
		}
	}

	h := &scripted{deliveries: map[string]int{}, quarantined: map[string]error{}, qAttempts: map[string]int{}}
	var handler streams.InboxHandler = h
	b := &batched{scripted: h}
	if batchSize > 1 {
		handler = b
	}
	reader := streams.InboxReader{
		BatchSize:   batchSize,
		Handler:     handler,
		Logger:      slog.New(slog.DiscardHandler),
		RetryBase:   time.Millisecond,
		MaxDeliver:  maxDeliver,
		RetryDelays: []time.Duration{time.Millisecond, 2 * time.Millisecond},
		AckTimeout:  5 * time.Second,
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- reader.Run(runCtx, cons) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()

	natstest.WaitFor(t, 20*time.Second, "every message settled", func() bool {
		info, err := cons.Info(ctx)
		_, q, _ := h.snapshot()
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && len(q) == 4
	})
	deliveries, quarantined, attempts := h.snapshot()
	want := map[string]int{"done": 1, "done-too": 20, "refuse": 1, "fail": maxDeliver, "panic": maxDeliver, "refuse-late": 2,
		"wait": waitDeliveries + 1}
	for body, n := range want {
		if deliveries[body] != n {
			t.Errorf("%s: delivered %d times, want %d", body, deliveries[body], n)
		}
	}
	b.mu.Lock()
	largest := b.maxBatch
	b.mu.Unlock()
	if batchSize > 1 && largest < 2 {
		t.Errorf("largest batch held %d messages, want several", largest)
	}
	for _, body := range []string{"done", "done-too", "wait"} {
		if _, ok := quarantined[body]; ok || attempts[body] != 0 {
			t.Errorf("%s, handled in the end, was quarantined", body)
		}
	}
	var r *refusal
	if err := quarantined["refuse"]; !errors.As(err, &r) || r.why != "refuse" {
		t.Errorf("refuse quarantined with %v, want the handler's refusal", err)
	}
	if attempts["refuse-late"] != 2 || !errors.As(quarantined["refuse-late"], &r) {
		t.Errorf("refuse-late: %d quarantine attempts, stored %v; want 2 and the refusal", attempts["refuse-late"], quarantined["refuse-late"])
	}
	for body, cause := range map[string]string{"fail": "database down", "panic": "handler bug"} {
		var gaveUp *streams.GaveUpError
		if err := quarantined[body]; !errors.As(err, &gaveUp) || !strings.Contains(gaveUp.Err.Error(), cause) {
			t.Errorf("%s quarantined with %v, want a *GaveUpError of %q", body, err, cause)
		}
	}
}

func TestInboxReaderNeedsItsFields(t *testing.T) {
	t.Parallel()
	if err := (streams.InboxReader{}).Run(t.Context(), nil); err == nil {
		t.Error("Run of an empty InboxReader = nil, want an error")
	}
}
