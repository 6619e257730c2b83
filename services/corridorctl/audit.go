package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
)

func keysAudit(_ context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	member := fs.String("member", "", "member code (CI, BF)")
	out := fs.String("out", "", "audit key file to create (mode 0600), for casework's CASEWORK_AUDIT_KEY")
	pubOut := fs.String("public-out", "", "file to write the public half to, for corridorctl audit verify -public-key")
	if err := parse(fs, args, "member", "out", "public-out"); err != nil {
		return err
	}
	if err := refuseOverwrite(*out); err != nil {
		return err
	}
	a, err := keyfile.GenerateAudit(memberCode(*member))
	if err != nil {
		return err
	}
	if err := a.Save(*out); err != nil {
		return err
	}
	if err := a.Public().Save(*pubOut); err != nil {
		return err
	}
	fmt.Fprintf(t.stdout, "wrote %s: audit key %s of %s, and its public half to %s\n", *out, a.ID, a.Member, *pubOut)
	return nil
}

// databaseFlag declares -database; its default is $DATABASE_URL, so that
// a password need not appear in the process list.
func databaseFlag(t *tool, fs *flag.FlagSet) *string {
	return fs.String("database", t.getenv("DATABASE_URL"), "PostgreSQL URL of the member's database (default $DATABASE_URL)")
}

func connectDatabase(ctx context.Context, url string) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	return conn, nil
}

func auditVerify(ctx context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	db := databaseFlag(t, fs)
	pubFile := fs.String("public-key", "", "the member's audit public key file (from keys audit): checkpoint signatures are checked against it")
	if err := parse(fs, args, "database"); err != nil {
		return err
	}
	var key *audit.PublicKey
	if *pubFile != "" {
		p, err := keyfile.LoadAuditPublic(*pubFile)
		if err != nil {
			return err
		}
		key = &audit.PublicKey{ID: p.ID, Key: ed25519.PublicKey(p.PublicKey)}
	}
	conn, err := connectDatabase(ctx, *db)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	rep, err := audit.Verify(ctx, conn, key)
	if err != nil {
		return err
	}
	if rep.Problem != nil {
		return fmt.Errorf("the audit trail is broken at entry %d: %s", rep.Problem.Seq, rep.Problem.Reason)
	}
	sigs := "signatures not checked (give -public-key)"
	if rep.SignaturesChecked {
		sigs = "signatures checked with key " + key.ID
	}
	fmt.Fprintf(t.stdout, "the audit trail is intact: %d entries, chain head at entry %d, %d checkpoints (%s)\n",
		rep.Entries, rep.Head, rep.Checkpoints, sigs)
	return nil
}

func auditExport(ctx context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	db := databaseFlag(t, fs)
	from := fs.String("from", "", "first entry: a sequence number, or an RFC 3339 time (inclusive)")
	to := fs.String("to", "", "last entry: a sequence number (inclusive), or an RFC 3339 time (exclusive)")
	out := fs.String("out", "", "file to write (default standard output); refused if it exists")
	if err := parse(fs, args, "database"); err != nil {
		return err
	}
	var r audit.Range
	if err := rangeBound("from", *from, &r.FromSeq, &r.From); err != nil {
		return err
	}
	if err := rangeBound("to", *to, &r.ToSeq, &r.To); err != nil {
		return err
	}
	conn, err := connectDatabase(ctx, *db)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	var w io.Writer = t.stdout
	if *out != "" {
		if err := refuseOverwrite(*out); err != nil {
			return err
		}
		f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		n, err := audit.Export(ctx, conn, r, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(t.stdout, "wrote %d entries to %s\n", n, *out)
		return nil
	}
	_, err = audit.Export(ctx, conn, r, w)
	return err
}

// rangeBound reads -from or -to: a sequence number or an RFC 3339 time.
func rangeBound(name, value string, seq *int64, at *time.Time) error {
	if value == "" {
		return nil
	}
	if n, err := strconv.ParseInt(value, 10, 64); err == nil {
		if n <= 0 {
			return fmt.Errorf("-%s: a sequence number starts at 1", name)
		}
		*seq = n
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		return errors.New("-" + name + ": neither a sequence number nor an RFC 3339 time")
	}
	*at = t
	return nil
}
