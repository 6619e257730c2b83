package pgdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrateLockID is the advisory lock every Migrate call holds, whatever its
// version table. One lock for all migration sets in a database means one
// set's migrations never run beside another's, so a later set may safely
// depend on objects an earlier one creates.
const migrateLockID int64 = 0x636f727269646f72 // "corridor"

// Open returns a pool for dsn once the database answers a ping, retrying
// with a growing delay until ctx is done: give ctx a deadline.
func Open(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database config: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create database pool: %w", err)
	}
	if err := retry(ctx, pool.Ping); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return pool, nil
}

// Migrate applies the pending migrations in fsys (goose SQL files such as
// 00001_init.sql at its root) to the database at dsn, recording versions in
// the named table. Concurrent calls against one database are safe: they
// queue on an advisory lock, and the later ones find nothing to do.
func Migrate(ctx context.Context, dsn string, fsys fs.FS, table string) error {
	if table == "" {
		return errors.New("migrate: no version table name")
	}
	connCfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("migrate: parse database config: %w", err)
	}
	db := stdlib.OpenDB(*connCfg)
	defer db.Close()

	// goose polls pg_try_advisory_lock; a one-second period keeps a queued
	// instance's start-up short, and five minutes outlasts any migration.
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(migrateLockID),
		lock.WithLockTimeout(1, 300),
		lock.WithUnlockTimeout(1, 60),
	)
	if err != nil {
		return fmt.Errorf("migrate: create lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithTableName(table),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	)
	if err != nil {
		return fmt.Errorf("migrate %s: create provider: %w", table, err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", table, err)
	}
	if err := provider.Close(); err != nil {
		return fmt.Errorf("migrate %s: close: %w", table, err)
	}
	return nil
}

// retry calls fn until it succeeds or ctx is done, and then returns fn's
// last error rather than the context's, since that says why.
func retry(ctx context.Context, fn func(context.Context) error) error {
	delay := 50 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay = min(2*delay, 2*time.Second)
	}
}
