package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Signer is a country's audit key: it signs checkpoints and nothing else.
type Signer struct {
	ID  string
	Key ed25519.PrivateKey
}

// PublicKey is the public half of an audit key, which an inquiry checks
// checkpoints with.
type PublicKey struct {
	ID  string
	Key ed25519.PublicKey
}

// Checkpoint is the chain head at a moment, signed.
type Checkpoint struct {
	Seq       int64
	Hash      []byte
	SignedAt  time.Time
	KeyID     string
	Signature []byte
}

// Message returns the bytes a checkpoint's signature is over: UTF-8 text,
// one field per line, each ending in "\n":
//
//	corridor-audit-checkpoint-v1
//	key_id=<key id>
//	seq=<decimal>
//	hash=<entry seq's hash, 64 lower-case hex digits>
//	signed_at=<UTC, RFC 3339 with exactly six fractional digits and "Z">
func (c Checkpoint) Message() []byte {
	var b strings.Builder
	b.WriteString("corridor-audit-checkpoint-v1\n")
	b.WriteString("key_id=" + c.KeyID + "\n")
	b.WriteString("seq=" + strconv.FormatInt(c.Seq, 10) + "\n")
	b.WriteString("hash=" + hex.EncodeToString(c.Hash) + "\n")
	b.WriteString("signed_at=" + FormatTime(c.SignedAt) + "\n")
	return []byte(b.String())
}

// Verify reports whether c is signed by key.
func (c Checkpoint) Verify(key PublicKey) error {
	if c.KeyID != key.ID {
		return fmt.Errorf("signed with key %q, not %q", c.KeyID, key.ID)
	}
	if len(key.Key) != ed25519.PublicKeySize || !ed25519.Verify(key.Key, c.Message(), c.Signature) {
		return errors.New("the signature does not verify")
	}
	return nil
}

// Conn runs statements and transactions: a *pgxpool.Pool, a *pgx.Conn
// or a pgx.Tx.
type Conn interface {
	DB
	Beginner
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// SignHead signs the chain head at now and stores the checkpoint, unless
// the head is already checkpointed (or the trail is empty): it reports
// whether it stored one.
func SignHead(ctx context.Context, db Conn, s Signer, now time.Time) (Checkpoint, bool, error) {
	if s.ID == "" || len(s.Key) != ed25519.PrivateKeySize {
		return Checkpoint{}, false, errors.New("sign audit chain head: no valid audit key")
	}
	seq, hash, err := Head(ctx, db)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("sign audit chain head: %w", err)
	}
	if seq == 0 {
		return Checkpoint{}, false, nil
	}
	c := Checkpoint{Seq: seq, Hash: hash, SignedAt: now.UTC().Truncate(time.Microsecond), KeyID: s.ID}
	c.Signature = ed25519.Sign(s.Key, c.Message())
	tag, err := db.Exec(ctx, `
		INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING`,
		c.Seq, c.Hash, c.SignedAt, c.KeyID, c.Signature)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("store audit checkpoint: %w", err)
	}
	return c, tag.RowsAffected() == 1, nil
}

// Checkpoints returns every checkpoint, in sequence order.
func Checkpoints(ctx context.Context, db DB) ([]Checkpoint, error) {
	rows, err := db.Query(ctx, `SELECT seq, hash, signed_at, key_id, signature FROM audit_checkpoints ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("read audit checkpoints: %w", err)
	}
	cps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Checkpoint, error) {
		var c Checkpoint
		err := row.Scan(&c.Seq, &c.Hash, &c.SignedAt, &c.KeyID, &c.Signature)
		c.SignedAt = c.SignedAt.UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read audit checkpoints: %w", err)
	}
	return cps, nil
}

// Checkpointer signs the chain head every Every entries or every Interval,
// whichever comes first, once the head has moved.
type Checkpointer struct {
	DB       Conn
	Signer   Signer
	Every    int64         // entries; DefaultEvery when zero
	Interval time.Duration // DefaultInterval when zero
	Now      func() time.Time
	Logger   *slog.Logger
}

// The checkpointer's defaults.
const (
	DefaultEvery    = 1000
	DefaultInterval = 15 * time.Minute
	// pollEvery is how often Run looks at the head: often enough for
	// Every, cheap enough (one indexed read) to do always.
	pollEvery = 10 * time.Second
)

// settings returns c's settings with the defaults filled in.
func (c *Checkpointer) settings() (every int64, interval time.Duration, now func() time.Time) {
	every, interval, now = c.Every, c.Interval, c.Now
	if every <= 0 {
		every = DefaultEvery
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	if now == nil {
		now = time.Now
	}
	return every, interval, now
}

// Due signs the head if a checkpoint is due, and reports whether it did.
func (c *Checkpointer) Due(ctx context.Context) (bool, error) {
	every, interval, now := c.settings()
	var headSeq, lastSeq int64
	var lastAt *time.Time
	err := c.DB.QueryRow(ctx, `
		SELECT h.seq, coalesce(c.seq, 0), c.signed_at FROM audit_chain_head h
		LEFT JOIN LATERAL (SELECT seq, signed_at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1) c ON true
		WHERE h.id = 1`).Scan(&headSeq, &lastSeq, &lastAt)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("audit checkpoint due: %w", err)
	}
	t := now()
	if headSeq <= lastSeq || (headSeq-lastSeq < every && lastAt != nil && t.Sub(*lastAt) < interval) {
		return false, nil
	}
	_, stored, err := SignHead(ctx, c.DB, c.Signer, t)
	return stored, err
}

// Run signs checkpoints when due until ctx ends, and a last one then.
func (c *Checkpointer) Run(ctx context.Context) {
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	_, interval, now := c.settings()
	tick := time.NewTicker(min(pollEvery, interval))
	defer tick.Stop()
	for {
		if _, err := c.Due(ctx); err != nil && ctx.Err() == nil {
			logger.WarnContext(ctx, "audit checkpoint failed; will retry", "error", err)
		}
		select {
		case <-ctx.Done():
			// The entries since the last checkpoint are covered at shutdown.
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if _, _, err := SignHead(final, c.DB, c.Signer, now()); err != nil {
				logger.Warn("final audit checkpoint failed", "error", err)
			}
			return
		case <-tick.C:
		}
	}
}
