package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
)

// Problem is the first thing wrong with a trail: the entry (or checkpoint)
// at Seq, and why.
type Problem struct {
	Seq    int64
	Reason string
}

func (p *Problem) String() string { return fmt.Sprintf("entry %d: %s", p.Seq, p.Reason) }

// Report is what Verify found.
type Report struct {
	Entries     int64 // entries read
	Head        int64 // the chain head's sequence number
	Checkpoints int   // checkpoints read
	// SignaturesChecked: a public key was given and every checkpoint's
	// signature was checked against it.
	SignaturesChecked bool
	// Problem is the first bad entry, nil when the trail is intact.
	Problem *Problem
}

// Verify reads the whole trail and checks that it is intact: entries
// numbered 1, 2, 3… without a gap, each hash the SHA-256 of its entry's
// encoding, each entry naming the hash of the one before, the chain head
// naming the last entry, every checkpoint matching the entry it names
// and, with key, signed by it. A changed entry fails its own hash, a
// removed one leaves a gap, entries swapped fail their hashes (the
// sequence number is hashed), and entries removed from the end no longer
// match the head or the last checkpoint. A nil key checks no signatures.
// It reads in one read-only snapshot, so appends meanwhile do not count.
func Verify(ctx context.Context, db SnapshotBeginner, key *PublicKey) (Report, error) {
	var rep Report
	err := pgx.BeginTxFunc(ctx, db, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		rep, err = verify(ctx, tx, key)
		return err
	})
	return rep, err
}

// SnapshotBeginner starts transactions with options: a *pgxpool.Pool or a
// *pgx.Conn.
type SnapshotBeginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

func verify(ctx context.Context, db DB, key *PublicKey) (Report, error) {
	var rep Report
	note := func(seq int64, format string, args ...any) {
		if rep.Problem == nil || seq < rep.Problem.Seq {
			rep.Problem = &Problem{Seq: seq, Reason: fmt.Sprintf(format, args...)}
		}
	}
	cps, err := Checkpoints(ctx, db)
	if err != nil {
		return rep, fmt.Errorf("verify audit trail: %w", err)
	}
	rep.Checkpoints = len(cps)
	bySeq := make(map[int64]Checkpoint, len(cps))
	for _, c := range cps {
		bySeq[c.Seq] = c
		if key != nil {
			if err := c.Verify(*key); err != nil {
				note(c.Seq, "checkpoint signed at %s: %v", FormatTime(c.SignedAt), err)
			}
		}
	}
	rep.SignaturesChecked = key != nil

	var last int64
	prev := Genesis
	err = Entries(ctx, db, Range{}, func(e Entry) error {
		rep.Entries++
		switch {
		case e.Seq != last+1 && last == 0:
			note(1, "missing: the trail starts at entry %d", e.Seq)
		case e.Seq != last+1:
			note(last+1, "missing: entry %d follows entry %d", e.Seq, last)
		case !bytes.Equal(e.ComputeHash(), e.Hash):
			note(e.Seq, "changed: its hash is not the SHA-256 of its content")
		case !bytes.Equal(e.PrevHash, prev):
			if last == 0 {
				note(e.Seq, "its prev_hash is not the genesis hash")
			} else {
				note(e.Seq, "does not follow entry %d: its prev_hash is not that entry's hash", last)
			}
		}
		if c, ok := bySeq[e.Seq]; ok && !bytes.Equal(c.Hash, e.Hash) {
			note(e.Seq, "differs from the checkpoint signed at %s", FormatTime(c.SignedAt))
		}
		last, prev = e.Seq, e.Hash
		if rep.Problem != nil && rep.Problem.Seq <= last {
			return errFound // nothing later can come first
		}
		return nil
	})
	if err != nil && err != errFound {
		return rep, fmt.Errorf("verify audit trail: %w", err)
	}
	if rep.Problem != nil {
		return rep, nil
	}
	headSeq, headHash, err := Head(ctx, db)
	if err != nil {
		return rep, fmt.Errorf("verify audit trail: %w", err)
	}
	rep.Head = headSeq
	switch {
	case headSeq > last:
		note(last+1, "missing: the chain head names entry %d, the trail ends at entry %d", headSeq, last)
	case headSeq < last:
		note(headSeq+1, "not covered by the chain head, which names entry %d", headSeq)
	case !bytes.Equal(headHash, prev):
		note(last, "differs from the chain head's hash")
	}
	for _, c := range cps {
		if c.Seq > last {
			note(last+1, "missing: the checkpoint signed at %s names entry %d, the trail ends at entry %d",
				FormatTime(c.SignedAt), c.Seq, last)
		}
	}
	return rep, nil
}

type found struct{}

func (found) Error() string { return "found" }

// errFound ends Verify's reading at the first problem.
var errFound error = found{}

// ExportedEntry is an entry as Export writes it: one JSON object per line,
// hashes in lower-case hex, the time as in the hash encoding.
type ExportedEntry struct {
	Seq        int64             `json:"seq"`
	Time       string            `json:"time"`
	Actor      string            `json:"actor"`
	Roles      []string          `json:"roles"`
	Action     string            `json:"action"`
	Outcome    Outcome           `json:"outcome"`
	ObjectType string            `json:"object_type"`
	ObjectID   string            `json:"object_id"`
	Detail     map[string]string `json:"detail"`
	PrevHash   string            `json:"prev_hash"`
	Hash       string            `json:"hash"`
}

// Export writes the entries in r to w as JSON lines, in sequence order,
// and returns how many it wrote. Each line holds what re-computing the
// entry's hash needs (Entry.Encode), and the hash of the entry before it.
func Export(ctx context.Context, db DB, r Range, w io.Writer) (int64, error) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	var n int64
	err := Entries(ctx, db, r, func(e Entry) error {
		if err := enc.Encode(ExportedEntry{
			Seq: e.Seq, Time: FormatTime(e.Time), Actor: e.Actor, Roles: e.Roles, Action: e.Action,
			Outcome: e.Outcome, ObjectType: e.Object.Type, ObjectID: e.Object.ID, Detail: e.Detail,
			PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash),
		}); err != nil {
			return fmt.Errorf("export audit entries: %w", err)
		}
		n++
		return nil
	})
	return n, err
}

// Entry returns the entry an exported line describes.
func (x ExportedEntry) Entry() (Entry, error) {
	t, err := time.Parse(time.RFC3339Nano, x.Time)
	if err != nil {
		return Entry{}, fmt.Errorf("exported entry %d: time: %w", x.Seq, err)
	}
	prev, err := hex.DecodeString(x.PrevHash)
	if err != nil {
		return Entry{}, fmt.Errorf("exported entry %d: prev_hash: %w", x.Seq, err)
	}
	hash, err := hex.DecodeString(x.Hash)
	if err != nil {
		return Entry{}, fmt.Errorf("exported entry %d: hash: %w", x.Seq, err)
	}
	return Entry{Seq: x.Seq, Time: t, Actor: x.Actor, Roles: x.Roles, Action: x.Action, Outcome: x.Outcome,
		Object: Object{Type: x.ObjectType, ID: x.ObjectID}, Detail: x.Detail, PrevHash: prev, Hash: hash}, nil
}
