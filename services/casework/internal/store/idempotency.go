package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// ClaimIdempotencyKey records that user's request with key and fingerprint
// acts on referralID, in tx. When the user used key before for the same
// request, nothing is recorded and the referral that request acted on is
// returned: the request is a retry. A key used before for another request
// is a KindInvalid error. A concurrent request with the same key waits for
// the first to commit or roll back.
func ClaimIdempotencyKey(ctx context.Context, tx pgx.Tx, user, key string, fingerprint []byte, referralID string, at time.Time) (string, error) {
	tag, err := tx.Exec(ctx, `
		INSERT INTO idempotency_keys (user_id, key, fingerprint, referral_id, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, key) DO NOTHING`,
		user, key, fingerprint, referralID, at)
	if err != nil {
		return "", fmt.Errorf("claim idempotency key: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return "", nil
	}
	var prior string
	var priorFingerprint []byte
	err = tx.QueryRow(ctx, `SELECT referral_id, fingerprint FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
		user, key).Scan(&prior, &priorFingerprint)
	if err != nil {
		return "", fmt.Errorf("claim idempotency key: %w", err)
	}
	if !bytes.Equal(priorFingerprint, fingerprint) {
		return "", corridor.Invalid("The Idempotency-Key was used for another request.",
			corridor.FieldError{Field: "Idempotency-Key", Message: "was used for another request; use a new key for a new request"})
	}
	return prior, nil
}
