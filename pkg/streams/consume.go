package streams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// InboxConsumer describes the durable consumer a service reads its
// member's INBOX with.
type InboxConsumer struct {
	Name        string // the durable name
	Description string
	// AckWaits are how long the server waits for an acknowledgement before
	// redelivering, by delivery: JetStream's BackOff, whose first value is
	// the consumer's AckWait. They cover a service that stopped
	// mid-message; the last value repeats.
	AckWaits []time.Duration
}

// maxAckPending bounds the messages handed to a service and not yet
// settled: far above one country's traffic, low enough that a stuck
// service does not pull the whole stream.
const maxAckPending = 256

// EnsureMember sets up everything a member's service reads and writes on
// its own server, in the order a service must check it at start: that the
// server is one it can run on (CheckServer: an unsuitable one is an error
// wrapping ErrServerUnsuitable, not worth retrying), the OUTBOX and the
// INBOX sourcing peers (CheckStreams: created on a member's first start,
// otherwise only checked, never updated), and the durable consumer c on the
// INBOX.
func EnsureMember(ctx context.Context, js jetstream.JetStream, member string, peers []string, c InboxConsumer) (jetstream.Consumer, error) {
	if err := CheckServer(ctx, js.Conn(), member); err != nil {
		return nil, err
	}
	if err := CheckStreams(ctx, js, member, peers); err != nil {
		return nil, err
	}
	return EnsureInboxConsumer(ctx, js, member, c)
}

// EnsureInboxConsumer creates member's INBOX consumer c, or brings an
// existing one to c.
//
// The consumer sets no MaxDeliver: the server redelivers a message until the
// service settles it, and the service itself decides when to give up and
// quarantine it. A server-side limit would stop redelivery for good after a
// last attempt that could not record its quarantine (the database down, the
// process stopped mid-message), and the message would be lost to the
// service without a trace.
func EnsureInboxConsumer(ctx context.Context, js jetstream.JetStream, member string, c InboxConsumer) (jetstream.Consumer, error) {
	if err := checkMember("member", member); err != nil {
		return nil, err
	}
	if c.Name == "" || len(c.AckWaits) == 0 {
		return nil, errors.New("ensure inbox consumer: a name and at least one ack wait are required")
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, Inbox, jetstream.ConsumerConfig{
		Durable:       c.Name,
		Description:   c.Description,
		FilterSubject: InboxSubjects(member),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.AckWaits[0],
		MaxDeliver:    -1,
		BackOff:       c.AckWaits,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: maxAckPending,
	})
	if err != nil {
		return nil, fmt.Errorf("ensure inbox consumer %s: %w", c.Name, err)
	}
	return cons, nil
}

// Consume passes cons's messages to handle, one at a time, until ctx ends
// or reading fails, and returns why reading stopped. One at a time keeps the
// order within a peer's stream. handle settles each message itself.
func Consume(ctx context.Context, cons jetstream.Consumer, handle func(jetstream.Msg)) error {
	return ConsumeBatches(ctx, cons, 1, func(msgs []jetstream.Msg) { handle(msgs[0]) })
}

// gatherWait is how long ConsumeBatches waits for one more message to join
// a batch: long enough to take what the client already holds, too short to
// add latency worth measuring.
const gatherWait = time.Millisecond

// ConsumeBatches is Consume handing handle up to size messages at once, in
// stream order: the first message that arrives and those already received
// behind it. It never waits to fill a batch, so a quiet inbox is handled
// one message at a time as fast as before, and a busy one in batches.
func ConsumeBatches(ctx context.Context, cons jetstream.Consumer, size int, handle func([]jetstream.Msg)) error {
	size = max(size, 1)
	it, err := cons.Messages(jetstream.PullMaxMessages(max(64, 2*size)))
	if err != nil {
		return fmt.Errorf("read inbox stream: %w", err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	batch := make([]jetstream.Msg, 0, size)
	for {
		msg, err := it.Next()
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return fmt.Errorf("read inbox stream: %w", err)
		}
		batch = append(batch[:0], msg)
		var stopped error
		for len(batch) < size {
			msg, err := it.Next(jetstream.NextMaxWait(gatherWait))
			if errors.Is(err, nats.ErrTimeout) {
				break
			}
			if err != nil {
				stopped = err // after handling what was gathered
				break
			}
			batch = append(batch, msg)
		}
		handle(batch)
		if stopped != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return fmt.Errorf("read inbox stream: %w", stopped)
		}
	}
}

// InboxReader keeps a service reading its member's INBOX: it sets the streams and
// the consumer up, retrying while the server cannot be reached (services
// start in any order), and sets them up again whenever reading stops for a
// reason other than the end of the service (the consumer was deleted, say).
// It passes each message to Handler and settles it by the outcome (see
// InboxHandler).
type InboxReader struct {
	// SetUp creates or updates the streams and returns the INBOX consumer;
	// typically a call of EnsureMember.
	SetUp   func(ctx context.Context) (jetstream.Consumer, error)
	Handler InboxHandler
	Logger  *slog.Logger
	// AttemptTimeout bounds one SetUp; RetryBase is the first wait after a
	// failure, doubling up to 30 s.
	AttemptTimeout, RetryBase time.Duration
	// MaxDeliver is the delivery of a message from which a transient
	// failure quarantines it as given up. The reader counts, not the
	// server (the consumer has no MaxDeliver): a message whose quarantine
	// cannot be stored yet keeps coming back until it can.
	MaxDeliver int
	// RetryDelays are the waits before a message that failed for a
	// transient reason is delivered again, by delivery; the last repeats.
	RetryDelays []time.Duration
	// AckTimeout bounds the acknowledgement of a handled message.
	AckTimeout time.Duration
	// BatchSize is how many messages at most a Handler that is a
	// BatchHandler is given at once (0 or 1: one at a time).
	BatchSize int
}

// check reports what Run needs and in lacks.
func (in InboxReader) check() error {
	if in.Handler == nil || in.Logger == nil || in.MaxDeliver <= 0 || len(in.RetryDelays) == 0 || in.AckTimeout <= 0 {
		return errors.New("inbox reader: a handler, a logger, MaxDeliver, RetryDelays and AckTimeout are required")
	}
	return nil
}

// WaitSetUp calls SetUp until it succeeds, and returns the consumer, or
// ctx's error once ctx ends. An error wrapping ErrServerUnsuitable ends it
// at once: waiting does not make a server suitable, and the service must
// refuse to run.
func (in InboxReader) WaitSetUp(ctx context.Context) (jetstream.Consumer, error) {
	for delay := in.RetryBase; ; delay = min(2*delay, 30*time.Second) {
		actx, cancel := context.WithTimeout(ctx, in.AttemptTimeout)
		cons, err := in.SetUp(actx)
		cancel()
		if err == nil {
			return cons, nil
		}
		if errors.Is(err, ErrServerUnsuitable) {
			in.Logger.ErrorContext(ctx, "refusing to run on this NATS server", "error", err)
			return nil, err
		}
		in.Logger.WarnContext(ctx, "setting up the streams failed; retrying", "retry_in", delay, "error", err)
		if err := wait(ctx, delay); err != nil {
			return nil, err
		}
	}
}

// Run passes cons's messages to Handler and settles them until ctx ends,
// setting the consumer up again whenever reading stops. It returns an error
// only for an InboxReader that lacks a required field.
func (in InboxReader) Run(ctx context.Context, cons jetstream.Consumer) error {
	if err := in.check(); err != nil {
		return err
	}
	size, handle := 1, func(msgs []jetstream.Msg) { in.settle(ctx, msgs[0]) }
	if bh, ok := in.Handler.(BatchHandler); ok && in.BatchSize > 1 {
		size, handle = in.BatchSize, func(msgs []jetstream.Msg) { in.settleBatch(ctx, bh, msgs) }
	}
	for {
		err := ConsumeBatches(ctx, cons, size, handle)
		if ctx.Err() != nil {
			return nil
		}
		in.Logger.WarnContext(ctx, "reading the inbox stream stopped; setting it up again", "error", err)
		if wait(ctx, in.RetryBase) != nil {
			return nil
		}
		if cons, err = in.WaitSetUp(ctx); err != nil {
			return nil
		}
	}
}

// wait waits d, or returns ctx's error once ctx ends first.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
