package relay

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/corridor"
)

// MaxNoteLen bounds the reason a person gives for a release or a dismissal.
const MaxNoteLen = 1000

// ListQuarantine returns up to limit quarantined messages with ids below
// before (0: from the newest), newest first; only those in state when it
// is set. Raw bytes are included: callers must never serve them.
func (r *Relay) ListQuarantine(ctx context.Context, state State, before int64, limit int) ([]Quarantined, error) {
	items, err := listQuarantine(ctx, r.cfg.Pool, state, before, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	return items, nil
}

// Quarantined returns one quarantined message, or a KindNotFound error.
func (r *Relay) Quarantined(ctx context.Context, id int64) (Quarantined, error) {
	q, err := getQuarantined(ctx, r.cfg.Pool, id, false)
	if err != nil && corridor.KindOf(err) != corridor.KindNotFound {
		return Quarantined{}, unavailable(err)
	}
	return q, err
}

// Release runs quarantined message id through every check a message
// arriving now would pass (signature, directory, route, window, dedupe),
// for a person (by) who gives a reason (note): after the directory gained
// the sender's new key, say. If it passes, it is stored in the inbox and
// answered exactly as on arrival (a message already there is not stored
// twice) and the row is marked released; if not, it stays quarantined
// with the new reason and one more attempt. A failure to check at all
// (the database, NATS) changes nothing and is a KindUnavailable error.
func (r *Relay) Release(ctx context.Context, id int64, by, note string) (Quarantined, error) {
	return r.settle(ctx, id, func(q Quarantined) settlement {
		s := settlement{id: id, action: ActionRelease, by: by, note: note, state: StateReleased}
		err := r.recheck(ctx, q)
		var rej *rejection
		switch {
		case err == nil:
		case errors.As(err, &rej):
			s.state, s.reason, s.err = StateQuarantined, rej.reason, rej.err.Error()
		default:
			s.state, s.err = "", err.Error()
		}
		return s
	})
}

// Dismiss closes quarantined message id without applying it, for a person
// (by) who must say why (note). The row is kept.
func (r *Relay) Dismiss(ctx context.Context, id int64, by, note string) (Quarantined, error) {
	return r.settle(ctx, id, func(Quarantined) settlement {
		return settlement{id: id, action: ActionDismiss, by: by, note: note, state: StateDismissed}
	})
}

// settle locks row id, checks it still waits for a person, records what
// decide says (nothing when decide leaves the state empty: a transient
// failure) and returns the row as it now is.
func (r *Relay) settle(ctx context.Context, id int64, decide func(Quarantined) settlement) (Quarantined, error) {
	// One settlement at a time in this process: each holds a connection
	// for its row lock while a release needs more to store the message,
	// so parallel ones could take the whole pool and wait for each other.
	// Settling is a person's occasional act; the row lock orders relays.
	select {
	case r.settling <- struct{}{}:
		defer func() { <-r.settling }()
	case <-ctx.Done():
		return Quarantined{}, unavailable(fmt.Errorf("settle quarantined message: %w", ctx.Err()))
	}
	ctx, cancel := context.WithTimeout(ctx, 10*r.cfg.PublishTimeout)
	defer cancel()
	tx, err := r.cfg.Pool.Begin(ctx)
	if err != nil {
		return Quarantined{}, unavailable(fmt.Errorf("settle quarantined message: %w", err))
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	q, err := getQuarantined(ctx, tx, id, true)
	if corridor.KindOf(err) == corridor.KindNotFound {
		return Quarantined{}, err
	}
	if err != nil {
		return Quarantined{}, unavailable(err)
	}
	if q.State != StateQuarantined {
		return Quarantined{}, corridor.Errorf(corridor.KindConflict, "Quarantined message %d is already %s.", id, q.State)
	}
	s := decide(q)
	log := r.logger.With("quarantine_id", id, "message_id", q.MessageID, "action", string(s.action))
	if s.state == "" {
		log.WarnContext(ctx, "quarantined message could not be checked again; nothing changed", "error", s.err)
		return Quarantined{}, &corridor.Error{Kind: corridor.KindUnavailable,
			Message: "The message could not be checked now; nothing changed. Try again later.", Err: errors.New(s.err)}
	}
	if err := settleQuarantined(ctx, tx, s); err != nil {
		return Quarantined{}, unavailable(err)
	}
	// In the audit trail with the row, by the person of the context: the
	// action, its outcome's state and reason code; never the note, which
	// is free text.
	detail := map[string]string{"state": string(s.state)}
	if s.reason != "" {
		detail["reason"] = string(s.reason)
	}
	if _, err := audit.AppendTx(ctx, tx, audit.Record{
		Action: "quarantine." + string(s.action), Outcome: audit.Allowed,
		Object: audit.Object{Type: audit.ObjectQuarantine, ID: strconv.FormatInt(id, 10)}, Detail: detail,
	}); err != nil {
		return Quarantined{}, unavailable(fmt.Errorf("audit settled quarantined message: %w", err))
	}
	if err := tx.Commit(ctx); err != nil {
		return Quarantined{}, unavailable(fmt.Errorf("settle quarantined message: %w", err))
	}
	r.metrics.settled.WithLabelValues(string(s.action), string(s.state)).Inc()
	// The note is a person's free text: it stays in the database.
	log.InfoContext(ctx, "quarantined message settled", "state", string(s.state), "reason", string(s.reason))
	q, err = getQuarantined(ctx, r.cfg.Pool, id, false)
	if err != nil {
		return Quarantined{}, unavailable(err)
	}
	return q, nil
}

// recheck runs a quarantined message through processInbound, as if it
// arrived now: nil once it is stored and answered, a *rejection if it still
// fails a check. A panic (a bug some message triggers) is a rejection too,
// as it is for the INBOX reader once it gives up.
func (r *Relay) recheck(ctx context.Context, q Quarantined) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = reject(ReasonGaveUp, fmt.Errorf("panic while checking the message again: %v", p))
		}
	}()
	log := r.logger.With("quarantine_id", q.ID, "stream_seq", q.StreamSeq)
	return r.processInbound(ctx, []inbound{{subject: q.Subject, data: q.Raw, seq: q.StreamSeq, log: log}})[0]
}

func unavailable(err error) error {
	return &corridor.Error{Kind: corridor.KindUnavailable, Message: "The relay's database cannot be read.", Err: err}
}
