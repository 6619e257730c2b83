package audit

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/pgdb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// VersionTable is the table in which goose records the audit schema's
// version, apart from the version tables of the services sharing the
// database.
const VersionTable = "audit_schema_version"

// Migrate creates or upgrades the audit tables in the database at dsn.
// Concurrent calls are safe.
func Migrate(ctx context.Context, dsn string) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate audit: %w", err)
	}
	if err := pgdb.Migrate(ctx, dsn, fsys, VersionTable); err != nil {
		return fmt.Errorf("migrate audit: %w", err)
	}
	return nil
}

// Outcome is whether what an entry records was done.
type Outcome string

// The outcomes; the table's CHECK lists the same.
const (
	Allowed Outcome = "allowed" // done
	Denied  Outcome = "denied"  // refused: no credentials, or not permitted
	Failed  Outcome = "error"   // attempted and failed (bad input, a conflict, a fault)
)

// Actor is who acted: a person, as subject@issuer with the roles their
// token or session carried, or a service, by its name ("relay").
type Actor struct {
	ID    string
	Roles []string
}

// Person returns the actor for a person authenticated by issuer.
func Person(subject, issuer string, roles []string) Actor {
	return Actor{ID: subject + "@" + issuer, Roles: roles}
}

// Service returns the actor for a service acting on its own account.
func Service(name string) Actor { return Actor{ID: name} }

type actorKey struct{}

// WithActor returns ctx carrying a: appends that are not given an actor
// (those pkg/exchange makes) name the actor of their context.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor WithActor stored in ctx.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// Object is what an entry is about: a type ("referral", "message") and an
// identifier, never personal data. Both are empty for an attempt on
// nothing in particular (a list, a refused request).
type Object struct {
	Type string
	ID   string
}

// The object types.
const (
	ObjectReferral   = "referral"   // by referral id
	ObjectMessage    = "message"    // by message id
	ObjectQuarantine = "quarantine" // a relay's quarantined message, by quarantine row id
)

// Record is what a caller asks to append.
type Record struct {
	// Actor is who acted; when its ID is empty, the actor of the context
	// (WithActor), if any.
	Actor   Actor
	Action  string // what was done: "message.sent", "GET /api/v1/referrals/{id}"
	Outcome Outcome
	Object  Object
	// Detail holds short codes (an HTTP status, a reason code), never
	// free text from users. Keys are lower-case letters, digits and '_'.
	Detail map[string]string
}

// Entry is a row of the trail.
type Entry struct {
	Seq      int64
	Time     time.Time
	Actor    string
	Roles    []string
	Action   string
	Outcome  Outcome
	Object   Object
	Detail   map[string]string
	PrevHash []byte
	Hash     []byte
}

// Genesis is the prev_hash of the first entry: 32 zero bytes.
var Genesis = make([]byte, sha256.Size)

// Limits on stored texts: longer ones are cut (on a rune boundary).
const (
	maxText   = 500
	maxDetail = 16
)

// Encode returns the bytes an entry's hash is the SHA-256 of: UTF-8 text,
// one field per line, each line ending in "\n", in this order:
//
//	corridor-audit-entry-v1
//	seq=<decimal>
//	time=<UTC, RFC 3339 with exactly six fractional digits and "Z">
//	actor=<actor>
//	roles=<roles sorted, separated by one space>
//	action=<action>
//	outcome=<allowed|denied|error>
//	object_type=<object type>
//	object_id=<object id>
//	detail.<key>=<value>        (one line per detail, keys sorted bytewise)
//	prev_hash=<previous entry's hash, 64 lower-case hex digits>
//
// No stored text holds a control character (Append replaces them with
// U+FFFD) and detail keys hold no '=', so the encoding is unambiguous.
func (e Entry) Encode() []byte {
	var b strings.Builder
	line := func(k, v string) { b.WriteString(k); b.WriteByte('='); b.WriteString(v); b.WriteByte('\n') }
	b.WriteString("corridor-audit-entry-v1\n")
	line("seq", strconv.FormatInt(e.Seq, 10))
	line("time", FormatTime(e.Time))
	line("actor", e.Actor)
	roles := slices.Clone(e.Roles)
	slices.Sort(roles)
	line("roles", strings.Join(roles, " "))
	line("action", e.Action)
	line("outcome", string(e.Outcome))
	line("object_type", e.Object.Type)
	line("object_id", e.Object.ID)
	for _, k := range slices.Sorted(maps.Keys(e.Detail)) {
		line("detail."+k, e.Detail[k])
	}
	line("prev_hash", hex.EncodeToString(e.PrevHash))
	return []byte(b.String())
}

// ComputeHash returns the SHA-256 of e.Encode().
func (e Entry) ComputeHash() []byte {
	h := sha256.Sum256(e.Encode())
	return h[:]
}

// FormatTime is how the encodings write a time: UTC, microseconds (what
// PostgreSQL keeps).
func FormatTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
}

// Append appends recs, in order, in a transaction of its own.
func Append(ctx context.Context, db Beginner, recs ...Record) ([]Entry, error) {
	var entries []Entry
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		var err error
		entries, err = AppendTx(ctx, tx, recs...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return entries, nil
}

// Beginner starts transactions: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// AppendTx appends recs, in order, in tx: they commit or roll back with
// it. It locks the chain head until tx ends, so call it last and commit
// soon. An invalid record (no action, an unknown outcome, a bad detail
// key) is a KindInvalid error and appends nothing.
func AppendTx(ctx context.Context, tx pgx.Tx, recs ...Record) ([]Entry, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	ctxActor, _ := ActorFrom(ctx)
	for i, r := range recs {
		if err := checkRecord(r); err != nil {
			return nil, fmt.Errorf("append audit entry %d: %w", i, err)
		}
	}
	var seq int64
	var prev []byte
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE`).Scan(&seq, &prev); err != nil {
		return nil, fmt.Errorf("append audit entries: lock chain head: %w", err)
	}
	// Taken once the lock is held: times follow the sequence on one host.
	now := time.Now().UTC().Truncate(time.Microsecond)
	entries := make([]Entry, len(recs))
	var cols entryArrays
	for i, r := range recs {
		actor := r.Actor
		if actor.ID == "" {
			actor = ctxActor
		}
		rs := make([]string, 0, len(actor.Roles))
		for _, role := range actor.Roles {
			// A role is one word: the insert passes roles space-separated.
			if role = clean(strings.ReplaceAll(role, " ", "_")); role != "" {
				rs = append(rs, role)
			}
		}
		slices.Sort(rs)
		detail := make(map[string]string, len(r.Detail))
		for k, v := range r.Detail {
			detail[k] = clean(v)
		}
		seq++
		e := Entry{
			Seq: seq, Time: now, Actor: clean(actor.ID), Roles: rs, Action: clean(r.Action),
			Outcome: r.Outcome, Object: Object{Type: clean(r.Object.Type), ID: clean(r.Object.ID)},
			Detail: detail, PrevHash: prev,
		}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		entries[i] = e
		cols.add(e)
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO audit_entries (seq, at, actor, roles, action, outcome, object_type, object_id, detail, prev_hash, hash)
		SELECT seq, $1, actor, string_to_array(roles, ' '), action, outcome, object_type, object_id, detail, prev_hash, hash
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::bytea[], $11::bytea[])
			AS e(seq, actor, roles, action, outcome, object_type, object_id, detail, prev_hash, hash)`,
		now, cols.seqs, cols.actors, cols.roles, cols.actions, cols.outcomes, cols.objectTypes, cols.objectIDs,
		cols.details, cols.prevs, cols.hashes)
	b.Queue(`UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1`, seq, prev)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("append audit entries: %w", err)
	}
	return entries, nil
}

// entryArrays are entries as column arrays: a batch is one INSERT of the
// arrays unnested.
type entryArrays struct {
	seqs                                                     []int64
	actors, roles, actions, outcomes, objectTypes, objectIDs []string
	details                                                  []map[string]string
	prevs, hashes                                            [][]byte
}

func (c *entryArrays) add(e Entry) {
	c.seqs = append(c.seqs, e.Seq)
	c.actors = append(c.actors, e.Actor)
	c.roles = append(c.roles, strings.Join(e.Roles, " "))
	c.actions = append(c.actions, e.Action)
	c.outcomes = append(c.outcomes, string(e.Outcome))
	c.objectTypes = append(c.objectTypes, e.Object.Type)
	c.objectIDs = append(c.objectIDs, e.Object.ID)
	c.details = append(c.details, e.Detail)
	c.prevs = append(c.prevs, e.PrevHash)
	c.hashes = append(c.hashes, e.Hash)
}

func checkRecord(r Record) error {
	var fields []corridor.FieldError
	if strings.TrimSpace(r.Action) == "" {
		fields = append(fields, corridor.FieldError{Field: "action", Message: "is required"})
	}
	switch r.Outcome {
	case Allowed, Denied, Failed:
	default:
		fields = append(fields, corridor.FieldError{Field: "outcome", Message: "must be allowed, denied or error"})
	}
	if len(r.Detail) > maxDetail {
		fields = append(fields, corridor.FieldError{Field: "detail", Message: fmt.Sprintf("at most %d keys", maxDetail)})
	}
	for k := range r.Detail {
		if !detailKey(k) {
			fields = append(fields, corridor.FieldError{Field: "detail", Message: fmt.Sprintf("key %q is not lower-case letters, digits and _", k)})
		}
	}
	if len(fields) > 0 {
		return corridor.Invalid("invalid audit record", fields...)
	}
	return nil
}

func detailKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, c := range k {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// clean makes s storable and encodable: valid UTF-8 without control
// characters, at most maxText bytes. Actors come from tokens, which
// anyone can write.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
	if len(s) <= maxText {
		return s
	}
	n := maxText
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Head returns the chain head: the last entry's sequence number and hash
// (0 and Genesis for an empty trail).
func Head(ctx context.Context, db DB) (int64, []byte, error) {
	var seq int64
	var hash []byte
	if err := db.QueryRow(ctx, `SELECT seq, hash FROM audit_chain_head WHERE id = 1`).Scan(&seq, &hash); err != nil {
		return 0, nil, fmt.Errorf("read audit chain head: %w", err)
	}
	return seq, hash, nil
}

// DB runs queries: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const entryColumns = `seq, at, actor, roles, action, outcome, object_type, object_id, detail, prev_hash, hash`

func scanEntry(row pgx.CollectableRow) (Entry, error) {
	var e Entry
	err := row.Scan(&e.Seq, &e.Time, &e.Actor, &e.Roles, &e.Action, &e.Outcome, &e.Object.Type, &e.Object.ID,
		&e.Detail, &e.PrevHash, &e.Hash)
	e.Time = e.Time.UTC()
	if e.Roles == nil {
		e.Roles = []string{}
	}
	if e.Detail == nil {
		e.Detail = map[string]string{}
	}
	return e, err
}

// Range selects entries: by sequence number (FromSeq, ToSeq; 0: open) and
// by time (From inclusive, To exclusive; zero: open).
type Range struct {
	FromSeq, ToSeq int64
	From, To       time.Time
}

// Entries calls fn with each entry in r, in sequence order, reading them
// as a stream: a trail of any length fits in memory.
func Entries(ctx context.Context, db DB, r Range, fn func(Entry) error) error {
	var from, to *time.Time
	if !r.From.IsZero() {
		from = &r.From
	}
	if !r.To.IsZero() {
		to = &r.To
	}
	rows, err := db.Query(ctx, `
		SELECT `+entryColumns+` FROM audit_entries
		WHERE ($1::bigint = 0 OR seq >= $1) AND ($2::bigint = 0 OR seq <= $2)
			AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
		ORDER BY seq`, r.FromSeq, r.ToSeq, from, to)
	if err != nil {
		return fmt.Errorf("read audit entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return fmt.Errorf("read audit entries: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read audit entries: %w", err)
	}
	return nil
}
