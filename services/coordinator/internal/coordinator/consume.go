package coordinator

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

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
	var inserted bool
	err = pgx.BeginFunc(ctx, c.cfg.Pool, func(tx pgx.Tx) error {
		inserted, err = StoreEvent(ctx, tx, ev, DueLimits(dir.TimeLimits))
		return err
	})
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

// inboxHandler is the coordinator as its INBOX reader sees it: process
// decides, quarantine records.
type inboxHandler struct{ c *Coordinator }

// Handle processes one delivery: done once stored, refused for a
// *Rejection, waiting while the directory in force has expired, retried on
// any other error.
func (h inboxHandler) Handle(ctx context.Context, d streams.Delivery) (streams.Outcome, error) {
	return streams.OutcomeOf[*Rejection](h.c.process(ctx, d.Msg))
}

// Quarantine records a refused event, or one given up on as gave_up.
func (h inboxHandler) Quarantine(ctx context.Context, d streams.Delivery, err error) bool {
	var rej *Rejection
	if !errors.As(err, &rej) {
		// Given up on: Handle refuses only with a *Rejection.
		var gaveUp *streams.GaveUpError
		if errors.As(err, &gaveUp) {
			err = gaveUp.Err
		}
		rej = &Rejection{Reason: ReasonGaveUp, Err: err}
	}
	return h.c.quarantine(ctx, d.Log, d.Msg, d.Meta, rej)
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
