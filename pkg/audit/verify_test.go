package audit_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/audit"
)

func newKey(t *testing.T, id string) (audit.Signer, audit.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return audit.Signer{ID: id, Key: priv}, audit.PublicKey{ID: id, Key: pub}
}

// TestVerifyFindsTampering changes, removes and reorders rows as a
// superuser bypassing the triggers, and expects Verify to name the first
// bad entry each time.
func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tamper  []string
		seq     int64
		because string
	}{
		{"a field changed", []string{`UPDATE audit_entries SET actor = 'someone-else' WHERE seq = 4`}, 4, "changed"},
		{"the outcome changed", []string{`UPDATE audit_entries SET outcome = 'allowed', detail = '{"status":"200"}' WHERE seq = 5`}, 5, "changed"},
		{"a field changed and its hash recomputed", []string{
			`UPDATE audit_entries SET hash = sha256(hash) WHERE seq = 4`}, 4, "changed"},
		{"the time changed", []string{`UPDATE audit_entries SET at = at - interval '1 day' WHERE seq = 2`}, 2, "changed"},
		{"an entry removed", []string{`DELETE FROM audit_entries WHERE seq = 3`}, 3, "missing: entry 4 follows entry 2"},
		{"the first entry removed", []string{`DELETE FROM audit_entries WHERE seq = 1`}, 1, "missing: the trail starts at entry 2"},
		{"the last entries removed", []string{`DELETE FROM audit_entries WHERE seq >= 5`}, 5, "the chain head names entry 6"},
		{"the last entries removed and the head moved back", []string{
			`DELETE FROM audit_entries WHERE seq >= 5`,
			`UPDATE audit_chain_head SET seq = 4, hash = (SELECT hash FROM audit_entries WHERE seq = 4)`,
		}, 5, "the checkpoint signed at"},
		{"two entries swapped", []string{
			`UPDATE audit_entries SET seq = 100 WHERE seq = 2`,
			`UPDATE audit_entries SET seq = 2 WHERE seq = 3`,
			`UPDATE audit_entries SET seq = 3 WHERE seq = 100`,
		}, 2, "changed"},
		{"an entry replaced by a forged one", []string{
			// A consistent forgery of entry 6 still breaks the link to 5.
			`UPDATE audit_entries SET prev_hash = sha256('x') WHERE seq = 6`,
		}, 6, "changed"},
		{"the checkpoint's signature altered", []string{
			`UPDATE audit_checkpoints SET signature = overlay(signature placing '\xff'::bytea from 1 for 1)`,
		}, 6, "signature does not verify"},
		{"the checkpoint moved to a forged head", []string{
			`UPDATE audit_checkpoints SET hash = sha256(hash)`,
		}, 6, "checkpoint signed at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := pg.NewPool(t, schema)
			signer, pub := newKey(t, "ci-audit-1")
			appendN(t, pool, 3)
			// Entry 4 and 5 in one batch, 5 a denial.
			deny := record("GET /api/v1/referrals/{id}")
			deny.Outcome, deny.Detail = audit.Denied, map[string]string{"status": "403"}
			if _, err := audit.Append(ctx, pool, record("POST /api/v1/referrals/{id}/accept"), deny); err != nil {
				t.Fatal(err)
			}
			appendN(t, pool, 1)
			if _, ok, err := audit.SignHead(ctx, pool, signer, time.Now()); err != nil || !ok {
				t.Fatalf("sign head: %v %v", ok, err)
			}
			if rep := verify(t, pool, &pub); rep.Problem != nil || rep.Entries != 6 || rep.Checkpoints != 1 {
				t.Fatalf("before tampering: %+v", rep)
			}
			tamper(t, pool, tt.tamper...)
			rep := verify(t, pool, &pub)
			if rep.Problem == nil {
				t.Fatalf("verify found nothing after %s", tt.name)
			}
			if rep.Problem.Seq != tt.seq || !strings.Contains(rep.Problem.Reason, tt.because) {
				t.Errorf("problem = %s, want entry %d: …%s…", rep.Problem, tt.seq, tt.because)
			}
		})
	}
}

func TestCheckpointer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pg.NewPool(t, schema)
	signer, pub := newKey(t, "ci-audit-1")
	now := time.Date(2026, 12, 6, 11, 0, 0, 0, time.UTC)
	c := &audit.Checkpointer{DB: pool, Signer: signer, Every: 3, Interval: time.Hour, Now: func() time.Time { return now }}
	steps := []struct {
		append  int
		advance time.Duration
		signed  bool
	}{
		{0, 0, false}, // nothing to sign
		{1, 0, true},  // a first entry: the first checkpoint
		{0, 0, false}, // the head has not moved
		{2, 0, false}, // two entries: under Every, within Interval
		{1, 0, true},  // three since the last
		{1, 59 * time.Minute, false},
		{0, time.Minute, true}, // an hour since the last
	}
	for i, s := range steps {
		appendN(t, pool, s.append)
		now = now.Add(s.advance)
		signed, err := c.Due(ctx)
		if err != nil || signed != s.signed {
			t.Fatalf("step %d: Due = %v, %v, want %v", i, signed, err, s.signed)
		}
	}
	cps, err := audit.Checkpoints(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, cp := range cps {
		seqs = append(seqs, cp.Seq)
	}
	if len(seqs) != 3 || seqs[0] != 1 || seqs[1] != 4 || seqs[2] != 5 {
		t.Errorf("checkpoints at %v, want [1 4 5]", seqs)
	}
	if rep := verify(t, pool, &pub); rep.Problem != nil || !rep.SignaturesChecked || rep.Checkpoints != 3 {
		t.Errorf("verify = %+v", rep)
	}
	// Another key: each checkpoint is refused, the first named.
	_, other := newKey(t, "ci-audit-1")
	if rep := verify(t, pool, &other); rep.Problem == nil || rep.Problem.Seq != 1 || !strings.Contains(rep.Problem.Reason, "does not verify") {
		t.Errorf("verify with another key = %+v", rep)
	}
	other.ID = "ci-audit-2"
	if rep := verify(t, pool, &other); rep.Problem == nil || !strings.Contains(rep.Problem.Reason, `not "ci-audit-2"`) {
		t.Errorf("verify with another key id = %+v", rep)
	}
}

func TestExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pg.NewPool(t, schema)
	appendN(t, pool, 5)
	var b strings.Builder
	n, err := audit.Export(ctx, pool, audit.Range{FromSeq: 2, ToSeq: 4}, &b)
	if err != nil || n != 3 {
		t.Fatalf("export = %d, %v", n, err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], `{"seq":2,`) || !strings.Contains(lines[0], `"action":"GET /api/v1/referrals/{id}"`) {
		t.Errorf("export =\n%s", b.String())
	}
}
