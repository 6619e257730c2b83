package streams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
)

// Outcome is what became of one delivery of an INBOX message, and so how
// the message is settled.
type Outcome int

const (
	// Done: the message is handled. It is acknowledged.
	Done Outcome = iota
	// Refused: the message can never be handled. It is quarantined, then
	// terminated.
	Refused
	// Retry: handling failed for a reason that may pass (a database down, a
	// publish timing out). The message is delivered again after a delay;
	// on its last allowed delivery it is quarantined as given up instead.
	Retry
	// Wait: the service can handle no message now, for a reason that is
	// not the message's own and that its readiness reports (the corridor
	// directory in force has expired). The message is delivered again
	// after a delay and never given up on for it: giving up would
	// quarantine every message that arrives while the reason lasts.
	Wait
)

// Delivery is one delivery of an INBOX message.
type Delivery struct {
	Msg  jetstream.Msg
	Meta *jetstream.MsgMetadata
	// Log is the service's logger with the message's subject, stream
	// sequence and delivery count.
	Log *slog.Logger
}

// InboxHandler is what a service does with the messages of its INBOX; the
// InboxReader reads, settles, quarantines and gives up for it.
type InboxHandler interface {
	// Handle processes one delivery and says what became of it, with the
	// error behind a Refused or a Retry.
	Handle(ctx context.Context, d Delivery) (Outcome, error)
	// Quarantine records a message that will not be handled (never its
	// personal data in clear) and reports whether the record is stored:
	// only then is the delivery terminated, and until then the message
	// keeps coming back. err is the error Handle refused the message with,
	// or a *GaveUpError wrapping the failure of its last allowed delivery.
	Quarantine(ctx context.Context, d Delivery, err error) bool
}

// BatchHandler is an InboxHandler that can also handle several deliveries
// at once, to share their costs (one transaction, publishes awaited
// together): InboxReader.BatchSize says how many at most.
type BatchHandler interface {
	InboxHandler
	// HandleBatch handles ds and says what became of each, in the order of
	// ds, as Handle would have: one message's failure must be its own, and
	// never fail or refuse the others. Should it panic, the reader hands
	// the deliveries to Handle one at a time instead.
	HandleBatch(ctx context.Context, ds []Delivery) []Result
}

// Result is what became of one delivery of a batch.
type Result struct {
	Outcome Outcome
	Err     error // behind a Refused or a Retry
}

// OutcomeOf is the outcome of a handler that returned err: Done for nil,
// Refused when err is or wraps a Refusal (the service's own type of refusal,
// such as *Rejection), Wait when it wraps directory.ErrExpired (while the
// directory in force has expired nothing can be verified, and every
// service's readiness says so), Retry for any other error.
func OutcomeOf[Refusal error](err error) (Outcome, error) {
	var refusal Refusal
	switch {
	case err == nil:
		return Done, nil
	case errors.As(err, &refusal):
		return Refused, err
	case errors.Is(err, directory.ErrExpired):
		return Wait, err
	default:
		return Retry, err
	}
}

// GaveUpError is the failure of a message's last allowed delivery, which
// quarantines it: never dropped, never retried forever.
type GaveUpError struct{ Err error }

func (e *GaveUpError) Error() string { return "gave up: " + e.Err.Error() }
func (e *GaveUpError) Unwrap() error { return e.Err }

// settle hands msg to the handler and settles it by the outcome: acknowledged
// once done, terminated once quarantined, handed back with a delay after a
// transient failure, and quarantined as given up on the delivery MaxDeliver
// (unless the service waits: then it is only handed back).
// A settlement that fails leaves the message to be redelivered after the
// ack wait, so handlers and quarantines must be idempotent.
func (in InboxReader) settle(ctx context.Context, msg jetstream.Msg) {
	d, ok := in.delivery(ctx, msg)
	if !ok {
		return // not a JetStream message: nothing to settle
	}
	outcome, err := in.handle(ctx, d)
	in.settleOutcome(ctx, d, outcome, err)
}

// delivery describes msg, or returns false for a message without
// metadata, which has nothing to settle.
func (in InboxReader) delivery(ctx context.Context, msg jetstream.Msg) (Delivery, bool) {
	meta, err := msg.Metadata()
	if err != nil {
		in.Logger.ErrorContext(ctx, "inbox message without metadata", "error", err)
		return Delivery{}, false
	}
	return Delivery{Msg: msg, Meta: meta,
		Log: in.Logger.With("subject", msg.Subject(), "stream_seq", meta.Sequence.Stream, "delivery", meta.NumDelivered)}, true
}

// settleBatch is settle for the messages of a batch, handed to h together
// and settled each by its own outcome, concurrently (settling is a round
// trip to the server each).
func (in InboxReader) settleBatch(ctx context.Context, h BatchHandler, msgs []jetstream.Msg) {
	ds := make([]Delivery, 0, len(msgs))
	for _, msg := range msgs {
		if d, ok := in.delivery(ctx, msg); ok {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return
	}
	results, ok := in.handleBatch(ctx, h, ds)
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() {
			if !ok {
				// The batch panicked: each message on its own, so that the
				// one at fault is given up on alone.
				outcome, err := in.handle(ctx, d)
				in.settleOutcome(ctx, d, outcome, err)
				return
			}
			r := results[i]
			if r.Outcome != Done && r.Err == nil {
				r.Err = fmt.Errorf("handle inbox message: outcome %d without an error", r.Outcome)
			}
			in.settleOutcome(ctx, d, r.Outcome, r.Err)
		})
	}
	wg.Wait()
}

// handleBatch is h.HandleBatch, reporting false when it panicked or did
// not give one result per delivery.
func (in InboxReader) handleBatch(ctx context.Context, h BatchHandler, ds []Delivery) (results []Result, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			results, ok = nil, false
			in.Logger.ErrorContext(ctx, "handling a batch of inbox messages panicked; handling them one at a time",
				"error", corridor.PanicError(v), "stack", string(debug.Stack()))
		}
	}()
	results = h.HandleBatch(ctx, ds)
	if len(results) != len(ds) {
		in.Logger.ErrorContext(ctx, "a batch handler gave the wrong number of results; handling them one at a time",
			"deliveries", len(ds), "results", len(results))
		return nil, false
	}
	return results, true
}

// settleOutcome settles d by what became of it.
func (in InboxReader) settleOutcome(ctx context.Context, d Delivery, outcome Outcome, err error) {
	msg, meta := d.Msg, d.Meta
	switch {
	case outcome == Done:
		ackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), in.AckTimeout)
		defer cancel()
		in.settled(ctx, d, msg.DoubleAck(ackCtx))
	case outcome == Refused:
		in.quarantine(ctx, d, err)
	case ctx.Err() != nil:
		// Shutting down: the message is redelivered after the ack wait.
	case outcome == Wait:
		d.Log.WarnContext(ctx, "an inbox message waits: the service can handle none now", "error", err)
		in.settled(ctx, d, msg.NakWithDelay(in.retryDelay(meta)))
	case meta.NumDelivered >= uint64(in.MaxDeliver):
		d.Log.ErrorContext(ctx, "giving up on an inbox message", "error", err)
		in.quarantine(ctx, d, &GaveUpError{Err: err})
	default:
		d.Log.WarnContext(ctx, "handling an inbox message failed; will retry", "error", err)
		in.settled(ctx, d, msg.NakWithDelay(in.retryDelay(meta)))
	}
}

// handle is Handler.Handle with a panic turned into a transient failure: a
// message that crashed the service would crash it again at every
// redelivery and never reach the quarantine.
func (in InboxReader) handle(ctx context.Context, d Delivery) (o Outcome, err error) {
	defer func() {
		if v := recover(); v != nil {
			o, err = Retry, fmt.Errorf("handle inbox message: %w", corridor.PanicError(v))
			d.Log.ErrorContext(ctx, "handling an inbox message panicked", "error", err, "stack", string(debug.Stack()))
		}
	}()
	o, err = in.Handler.Handle(ctx, d)
	if o != Done && err == nil {
		err = fmt.Errorf("handle inbox message: outcome %d without an error", o)
	}
	return o, err
}

// quarantine terminates d once the handler has recorded it, and hands it
// back otherwise: the consumer has no delivery limit, so the message comes
// back and its quarantine is tried again.
func (in InboxReader) quarantine(ctx context.Context, d Delivery, err error) {
	if in.Handler.Quarantine(ctx, d, err) {
		in.settled(ctx, d, d.Msg.TermWithReason("quarantined"))
		return
	}
	in.settled(ctx, d, d.Msg.NakWithDelay(in.retryDelay(d.Meta)))
}

func (in InboxReader) retryDelay(meta *jetstream.MsgMetadata) time.Duration {
	i := min(max(int(meta.NumDelivered), 1), len(in.RetryDelays)) - 1
	return in.RetryDelays[i]
}

func (in InboxReader) settled(ctx context.Context, d Delivery, err error) {
	if err != nil {
		// Unsettled, the message comes back after the ack wait and is
		// handled again.
		d.Log.WarnContext(ctx, "settling an inbox message failed", "error", err)
	}
}
