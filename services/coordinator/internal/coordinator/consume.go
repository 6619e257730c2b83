package coordinator

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/streams"
)

// TrackingType is the message type token of tracking events on subjects.
const TrackingType = "tracking"

// Ingest verifies, checks and stores one tracking event that arrived from
// the member whose JetStream domain is from. It reports whether the event
// was new. A *Rejection means the event must be quarantined; any other
// error is transient.
func (c *Coordinator) Ingest(ctx context.Context, from string, data []byte) (bool, error) {
	dir, err := c.cfg.Directory.Current(ctx)
	if err != nil {
		return false, err
	}
	ev, err := c.verifier.Verify(dir, from, data)
	if err != nil {
		return false, err
	}
	inserted, err := InsertEvent(ctx, c.cfg.Pool, ev)
	if err != nil {
		return false, err
	}
	if inserted {
		c.metrics.events.WithLabelValues(ev.Milestone).Inc()
		c.logger.InfoContext(ctx, "tracking event stored", "event_id", ev.EventID, "case_ref", ev.CaseRef,
			"milestone", ev.Milestone, "reporter", string(ev.Member))
	} else {
		c.metrics.duplicates.Inc()
	}
	return inserted, nil
}

// handle processes one INBOX message and settles it: acknowledged once
// stored, terminated once quarantined, handed back with a delay on a
// transient failure, and quarantined as gave_up on the last delivery.
func (c *Coordinator) handle(ctx context.Context, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		c.logger.ErrorContext(ctx, "inbox message without metadata", "error", err)
		return
	}
	log := c.logger.With("subject", msg.Subject(), "stream_seq", meta.Sequence.Stream, "delivery", meta.NumDelivered)
	err = c.processRecovered(ctx, msg, log)
	var rej *Rejection
	switch {
	case err == nil:
		ackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.Timeout)
		defer cancel()
		c.settle(ctx, log, msg.DoubleAck(ackCtx))
	case errors.As(err, &rej):
		if c.quarantine(ctx, log, msg, meta, rej) {
			c.settle(ctx, log, msg.TermWithReason("quarantined"))
		} else {
			c.settle(ctx, log, msg.NakWithDelay(c.retryDelay(meta)))
		}
	case ctx.Err() != nil:
		// Shutting down: redelivered after the ack wait.
	case meta.NumDelivered >= uint64(c.cfg.MaxDeliver):
		log.ErrorContext(ctx, "giving up on an inbox message", "error", err)
		if c.quarantine(ctx, log, msg, meta, &Rejection{Reason: ReasonGaveUp, Err: err}) {
			c.settle(ctx, log, msg.TermWithReason("quarantined"))
		} else {
			// The consumer has no delivery limit: the event comes back and
			// its quarantine is tried again.
			c.settle(ctx, log, msg.NakWithDelay(c.retryDelay(meta)))
		}
	default:
		log.WarnContext(ctx, "handling an inbox message failed; will retry", "error", err)
		c.settle(ctx, log, msg.NakWithDelay(c.retryDelay(meta)))
	}
}

// processRecovered is process with a panic turned into a transient error:
// an event that crashed the coordinator would crash it again at every
// redelivery and never reach the quarantine.
func (c *Coordinator) processRecovered(ctx context.Context, msg jetstream.Msg, log *slog.Logger) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("handle inbox message: %w", corridor.PanicError(v))
			log.ErrorContext(ctx, "handling an inbox message panicked", "error", err, "stack", string(debug.Stack()))
		}
	}()
	return c.process(ctx, msg)
}

func (c *Coordinator) process(ctx context.Context, msg jetstream.Msg) error {
	route, err := streams.ParseInSubject(msg.Subject())
	if err != nil || route.To != c.domain {
		return &Rejection{Reason: ReasonRouteMismatch, Err: fmt.Errorf("subject is not one of %s's inbox subjects", c.domain)}
	}
	if route.Type != TrackingType {
		// Only tracking events may reach the coordinator: anything else
		// may carry what it must never hold.
		return &Rejection{Reason: ReasonRouteMismatch, Err: fmt.Errorf("message type %q is not for the coordinator", route.Type)}
	}
	_, err = c.Ingest(ctx, route.From, msg.Data())
	return err
}

func (c *Coordinator) retryDelay(meta *jetstream.MsgMetadata) time.Duration {
	i := min(max(int(meta.NumDelivered), 1), len(c.cfg.RetryDelays)) - 1
	return c.cfg.RetryDelays[i]
}

func (c *Coordinator) settle(ctx context.Context, log *slog.Logger, err error) {
	if err != nil {
		// Unsettled, the message is redelivered; storing and quarantining
		// are both idempotent.
		log.WarnContext(ctx, "settling an inbox message failed", "error", err)
	}
}

// quarantine records a refused message (its digest, never its bytes) and
// reports whether the record is stored, so the delivery may be terminated.
func (c *Coordinator) quarantine(ctx context.Context, log *slog.Logger, msg jetstream.Msg, meta *jetstream.MsgMetadata, rej *Rejection) bool {
	q := Quarantined{
		StreamSeq: meta.Sequence.Stream,
		Subject:   msg.Subject(),
		Reason:    rej.Reason,
		Error:     rej.Err.Error(),
		Member:    rej.Member,
		EventID:   rej.EventID,
		Size:      len(msg.Data()),
		SHA256:    sha256.Sum256(msg.Data()),
	}
	dbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.Timeout)
	defer cancel()
	inserted, err := insertQuarantine(dbCtx, c.cfg.Pool, q)
	if err != nil {
		log.ErrorContext(ctx, "quarantining an inbox message failed; will retry", "reason", string(rej.Reason), "error", err)
		return false
	}
	if inserted {
		c.metrics.quarantined.WithLabelValues(string(rej.Reason)).Inc()
	}
	log.WarnContext(ctx, "inbox message quarantined", "reason", string(rej.Reason), "error", rej.Err)
	return true
}
