package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/policy"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/store"
)

// Closure approval. In a country that requires it (Config.ClosureApproval),
// a caseworker's close is a request: it is kept here, changes no status and
// sends nothing, until a supervisor of the agency approves it (the case
// closes then, as the close event the other side always knew) or rejects
// it. A supervisor's own close needs no approval. Nothing of this crosses
// the border: the other country sees a case close, as before.

// closureNeedsApproval reports whether the caller's close of r waits for a
// supervisor.
func (s *Service) closureNeedsApproval(c Caller, r store.Referral) bool {
	return s.cfg.ClosureApproval && !policy.Allowed(c.Roles, policy.ApproveClosure, ownership(r, c))
}

// requestClosure records the caller's close of r as a request, once the
// rules say the case could close now: a request that could never be
// approved is refused at once.
func (s *Service) requestClosure(ctx context.Context, tx pgx.Tx, c Caller, r store.Referral, body events.Body, now time.Time) error {
	if _, err := cases.Transition(r.Status, cases.EventClose, r.Side); err != nil {
		return err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode closure request: %w", err)
	}
	return store.RequestClosure(ctx, tx, r.ID, store.ClosureRequest{Body: b, RequestedBy: c.UserID, RequestedAt: now})
}

// ApproveClosure closes the referral id as the closure request waiting on
// it asks, on behalf of the caller, a supervisor of the agency holding it:
// the history and the message name the supervisor, who decided. It is a
// KindConflict error when no request waits, or when the case can no longer
// close (a message from the other side moved it): the supervisor rejects
// the request then.
func (s *Service) ApproveClosure(ctx context.Context, c Caller, id string) (Referral, error) {
	if err := s.Authorize(c, policy.ApproveClosure); err != nil {
		return Referral{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		r, req, err := s.pendingClosure(ctx, tx, c, id)
		if err != nil {
			return err
		}
		var body events.Close
		if err := json.Unmarshal(req.Body, &body); err != nil {
			return fmt.Errorf("decode closure request: %w", err)
		}
		return s.cause(ctx, tx, c, r, &body, now)
	})
	if err != nil {
		return Referral{}, fmt.Errorf("approve closure: %w", err)
	}
	s.logger.LogAttrs(ctx, slog.LevelInfo, "closure approved", slog.String("referral_id", id), slog.String("by_agency", c.Agency))
	return s.Get(ctx, c, id)
}

// RejectClosure drops the closure request waiting on the referral id: the
// case stays open. The caller is a supervisor of the agency holding it.
func (s *Service) RejectClosure(ctx context.Context, c Caller, id string) (Referral, error) {
	if err := s.Authorize(c, policy.ApproveClosure); err != nil {
		return Referral{}, err
	}
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, _, err := s.pendingClosure(ctx, tx, c, id)
		return err
	})
	if err != nil {
		return Referral{}, fmt.Errorf("reject closure: %w", err)
	}
	s.logger.LogAttrs(ctx, slog.LevelInfo, "closure rejected", slog.String("referral_id", id), slog.String("by_agency", c.Agency))
	return s.Get(ctx, c, id)
}

// pendingClosure locks the referral id, checks that the caller may approve
// its closure, and takes the request waiting on it.
func (s *Service) pendingClosure(ctx context.Context, tx pgx.Tx, c Caller, id string) (store.Referral, *store.ClosureRequest, error) {
	r, err := store.GetForUpdate(ctx, tx, id)
	if err != nil {
		return store.Referral{}, nil, err
	}
	if err := s.authorizeCase(c, r, policy.ApproveClosure); err != nil {
		return store.Referral{}, nil, err
	}
	req, err := store.TakeClosure(ctx, tx, id)
	if err != nil {
		return store.Referral{}, nil, err
	}
	if req == nil {
		return store.Referral{}, nil, corridor.Errorf(corridor.KindConflict, "no closure of this referral waits for approval")
	}
	return r, req, nil
}
