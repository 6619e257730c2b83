package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClosureRequest is a caseworker's closing of a case that waits for a
// supervisor's approval.
type ClosureRequest struct {
	// Body is the close event's body as the caseworker gave it, as JSON.
	Body        []byte
	RequestedBy string
	RequestedAt time.Time
}

// RequestClosure records req for referralID, replacing the request waiting
// there, if any: the latest word of the agency's caseworkers stands.
func RequestClosure(ctx context.Context, db DB, referralID string, req ClosureRequest) error {
	_, err := db.Exec(ctx, `
		INSERT INTO closure_requests (referral_id, body, requested_by, requested_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (referral_id) DO UPDATE SET body = EXCLUDED.body, requested_by = EXCLUDED.requested_by,
			requested_at = EXCLUDED.requested_at`,
		referralID, req.Body, req.RequestedBy, req.RequestedAt)
	if err != nil {
		return fmt.Errorf("request closure: %w", err)
	}
	return nil
}

// PendingClosure returns the closure request waiting for referralID, nil
// when there is none.
func PendingClosure(ctx context.Context, db DB, referralID string) (*ClosureRequest, error) {
	return closureRow(db.QueryRow(ctx,
		`SELECT body, requested_by, requested_at FROM closure_requests WHERE referral_id = $1`, referralID))
}

// TakeClosure removes and returns the closure request waiting for
// referralID, nil when there is none.
func TakeClosure(ctx context.Context, db DB, referralID string) (*ClosureRequest, error) {
	return closureRow(db.QueryRow(ctx,
		`DELETE FROM closure_requests WHERE referral_id = $1 RETURNING body, requested_by, requested_at`, referralID))
}

func closureRow(row pgx.Row) (*ClosureRequest, error) {
	var req ClosureRequest
	err := row.Scan(&req.Body, &req.RequestedBy, &req.RequestedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read closure request: %w", err)
	}
	req.RequestedAt = req.RequestedAt.UTC()
	return &req, nil
}
