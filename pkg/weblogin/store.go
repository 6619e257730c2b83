package weblogin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/pgdb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// VersionTable is the table in which goose records this package's schema
// version, apart from the service's own.
const VersionTable = "weblogin_schema_version"

// Migrate creates or upgrades the login tables in the database at dsn.
// Casework and the coordinator run it with their own migrations.
func Migrate(ctx context.Context, dsn string) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate weblogin: %w", err)
	}
	if err := pgdb.Migrate(ctx, dsn, fsys, VersionTable); err != nil {
		return fmt.Errorf("migrate weblogin: %w", err)
	}
	return nil
}

// newSecret returns 32 random bytes, base64url-encoded: session ids, CSRF
// tokens, states and nonces.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return base64.RawURLEncoding.EncodeToString(b)
}

// hash is what the database keeps of a secret the browser holds.
func hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// attempt is a login in progress.
type attempt struct {
	Provider     string
	Nonce        string
	CodeVerifier string
	ReturnPath   string
}

type store struct{ pool *pgxpool.Pool }

func (s store) saveAttempt(ctx context.Context, state string, a attempt, now time.Time) error {
	// Abandoned attempts go here, so the table stays as small as the
	// logins in progress.
	if _, err := s.pool.Exec(ctx, `DELETE FROM weblogin_attempts WHERE expires_at < $1`, now); err != nil {
		return fmt.Errorf("save login attempt: %w", err)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO weblogin_attempts (state_hash, provider, nonce, code_verifier, return_path, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		hash(state), a.Provider, a.Nonce, a.CodeVerifier, a.ReturnPath, now, now.Add(attemptLifetime))
	if err != nil {
		return fmt.Errorf("save login attempt: %w", err)
	}
	return nil
}

// errNoAttempt: the state names no live attempt (unknown, used or expired).
var errNoAttempt = errors.New("no such login attempt")

// takeAttempt deletes and returns the attempt of state: a state is good for
// one callback only.
func (s store) takeAttempt(ctx context.Context, state string, now time.Time) (attempt, error) {
	var a attempt
	err := s.pool.QueryRow(ctx, `
		DELETE FROM weblogin_attempts WHERE state_hash = $1 AND expires_at > $2
		RETURNING provider, nonce, code_verifier, return_path`, hash(state), now).
		Scan(&a.Provider, &a.Nonce, &a.CodeVerifier, &a.ReturnPath)
	if errors.Is(err, pgx.ErrNoRows) {
		return attempt{}, errNoAttempt
	}
	if err != nil {
		return attempt{}, fmt.Errorf("take login attempt: %w", err)
	}
	return a, nil
}

// session is a row of weblogin_sessions.
type session struct {
	Provider   string
	Principal  auth.Principal
	IDToken    string
	CSRFToken  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

func (s store) createSession(ctx context.Context, id string, sess session) error {
	principal, err := json.Marshal(sess.Principal)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO weblogin_sessions (id_hash, provider, principal, id_token, csrf_token, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		hash(id), sess.Provider, principal, sess.IDToken, sess.CSRFToken, sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// errNoSession: the id names no session (never issued, logged out or
// expired and removed).
var errNoSession = errors.New("no such session")

func (s store) session(ctx context.Context, id string) (session, error) {
	var (
		sess      session
		principal []byte
	)
	err := s.pool.QueryRow(ctx, `
		SELECT provider, principal, id_token, csrf_token, created_at, last_seen_at, expires_at
		FROM weblogin_sessions WHERE id_hash = $1`, hash(id)).
		Scan(&sess.Provider, &principal, &sess.IDToken, &sess.CSRFToken, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return session{}, errNoSession
	}
	if err != nil {
		return session{}, fmt.Errorf("read session: %w", err)
	}
	if err := json.Unmarshal(principal, &sess.Principal); err != nil {
		return session{}, fmt.Errorf("read session: %w", err)
	}
	return sess, nil
}

func (s store) touchSession(ctx context.Context, id string, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE weblogin_sessions SET last_seen_at = $2 WHERE id_hash = $1`, hash(id), now); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

func (s store) deleteSession(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM weblogin_sessions WHERE id_hash = $1`, hash(id)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// deleteExpired removes the sessions past either timeout.
func (s store) deleteExpired(ctx context.Context, now time.Time, idle time.Duration) error {
	if _, err := s.pool.Exec(ctx, `
		DELETE FROM weblogin_sessions WHERE expires_at <= $1 OR last_seen_at <= $2`, now, now.Add(-idle)); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
