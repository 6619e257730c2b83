package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/streams"
	"github.com/corridor-org/corridor/services/sandbox/internal/sandbox"
)

// TestBenchEndToEnd is `make bench-e2e`, not part of the test run (it is
// skipped unless CORRIDOR_BENCH_E2E is set): it starts a durable corridor
// as `make demo` does, measures this machine's ceilings (PostgreSQL
// commits, JetStream publishes with sync_interval: always, HPKE seal+open
// per core) and then files referrals in CI at full speed and at fixed
// offered rates, measuring each referral from its filing (the outbox row's
// created_at in CI's database) to its application in BF (the inbox row's
// applied_at in BF's database; one PostgreSQL server, one clock), and
// waiting until CI holds every receipt. CORRIDOR_BENCH_N sets how many
// referrals the full-speed run files (1000).
func TestBenchEndToEnd(t *testing.T) {
	if os.Getenv("CORRIDOR_BENCH_E2E") == "" {
		t.Skip("run by make bench-e2e")
	}
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("CORRIDOR_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	root, err := natsconf.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	bin := buildServices(t, root)
	cfg := sandbox.Config{
		Dir:    filepath.Join(searchableTempDir(t), ".sandbox"),
		BinDir: bin,
		Root:   root,
		Out:    &testWriter{t: t},
		NoSeed: true,
	}
	startSandbox(t, cfg)
	e, _ := readEndpoints(t, cfg.Dir)
	ci, bf := e.Members["CI"], e.Members["BF"]
	ctx := t.Context()
	ciPool, bfPool := openPool(t, ci.Database), openPool(t, bf.Database)
	example, err := sandbox.LoadExampleReferral(root)
	if err != nil {
		t.Fatal(err)
	}
	b := &bench{
		t: t, ciPool: ciPool, bfPool: bfPool, example: example,
		api: sandbox.API{HTTP: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 128}},
			Base: ci.Casework, Token: token(t, e, "ci-inspector")},
	}

	var report []string
	logf := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		report = append(report, line)
		t.Log(line)
	}
	logf("machine: %d CPUs (GOMAXPROCS %d), %s/%s", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)

	pgCeiling := pgCommits(ctx, t, ciPool, 3*time.Second, 16)
	logf("ceiling: PostgreSQL single-row commits/s (16 connections, CI's database): %.0f", pgCeiling)
	jsCeiling, err := jetStreamPublishes(ctx, ci.NATS, ci.NATSOperator, 3*time.Second)
	if err != nil {
		t.Errorf("JetStream ceiling: %v", err)
	}
	logf("ceiling: JetStream publishes/s (CI's server, file storage, sync_interval always, 256 in flight): %.0f", jsCeiling)
	hpkeCeiling := sealOpen(t, 2*time.Second)
	logf("ceiling: HPKE seal+open/s per core (2 KiB payload): %.0f (x%d cores = %.0f)",
		hpkeCeiling, runtime.NumCPU(), hpkeCeiling*float64(runtime.NumCPU()))
	// Each referral costs CI two commits (filing, receipt) and BF two
	// (inbox row, application) at least, and three publishes on each side.
	pgBound := pgCeiling / 2

	full := b.run("full speed", n, 0, 64)
	logf("full speed: %d referrals filed in %.1fs, all applied and receipted in %.1fs: %.0f referrals/s end to end "+
		"(%.0f%% of PostgreSQL's ceiling / 2 commits per referral and member; filing alone %.0f/s); latency p50 %s, p99 %s",
		n, full.filing.Seconds(), full.total.Seconds(), full.rate, 100*full.rate/pgBound, float64(n)/full.filing.Seconds(),
		full.p50, full.p99)
	for _, rate := range []float64{50} {
		r := b.run(fmt.Sprintf("%.0f/s offered", rate), int(rate*20), rate, 64)
		logf("%.0f/s offered for 20s: %.0f referrals/s end to end; latency p50 %s, p99 %s, max %s",
			rate, r.rate, r.p50, r.p99, r.max)
	}
	// The relays alone: copies of a filed referral queued straight into
	// CI's outbox in one transaction, measured until each is stored in BF's
	// inbox (received_at) and its receipt is recorded in CI (BF's casework
	// refuses to apply the copies, which does not concern the exchange).
	for _, k := range []int{2000, 10000} {
		r := b.drain(k)
		logf("relays alone, %d messages queued at once: stored in BF and receipted in CI in %.1fs: %.0f messages/s "+
			"(%.0f%% of PostgreSQL's ceiling / 2 commits per message and member); queue to stored p50 %s, p99 %s",
			k, r.total.Seconds(), r.rate, 100*r.rate/pgBound, r.p50, r.p99)
	}
	if out := os.Getenv("CORRIDOR_BENCH_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(strings.Join(report, "\n")+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
}

type bench struct {
	t              *testing.T
	api            sandbox.API
	ciPool, bfPool *pgxpool.Pool
	example        map[string]any
	seq            atomic.Uint64
}

type result struct {
	filing, total time.Duration
	rate          float64 // referrals per second, first filing to last application
	p50, p99, max time.Duration
}

// run files n referrals, at rate per second (0: as fast as workers
// allow), waits until every one is applied in BF and receipted in CI, and
// measures them from the databases.
func (b *bench) run(name string, n int, rate float64, workers int) result {
	t, ctx := b.t, b.t.Context()
	t.Logf("%s: filing %d referrals", name, n)
	var begin time.Time
	if err := b.ciPool.QueryRow(ctx, `SELECT now()`).Scan(&begin); err != nil {
		t.Fatal(err)
	}
	jobs := make(chan struct{})
	var failures atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range jobs {
				if err := b.file(ctx); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	start := time.Now()
	for i := range n {
		if rate > 0 {
			// Open loop: the i-th referral is due at i/rate, late or not.
			if d := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); d > 0 {
				time.Sleep(d)
			}
		}
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	filing := time.Since(start)
	if f := failures.Load(); f > 0 {
		t.Fatalf("%s: %d filings failed, the first: %v", name, f, firstErr.Load())
	}
	filed := b.filedSince(begin)
	if len(filed) != n {
		t.Fatalf("%s: %d referrals in CI's outbox, want %d", name, len(filed), n)
	}
	ids := make([]string, 0, len(filed))
	for id := range filed {
		ids = append(ids, id)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		applied, receipted := b.progress(ids)
		if applied == n && receipted == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: after 10 minutes %d of %d applied, %d receipted", name, applied, n, receipted)
		}
		time.Sleep(100 * time.Millisecond)
	}
	total := time.Since(start)
	appliedAt := b.appliedAt(ids)
	var lat []time.Duration
	first, last := time.Time{}, time.Time{}
	for id, created := range filed {
		a := appliedAt[id]
		lat = append(lat, a.Sub(created))
		if first.IsZero() || created.Before(first) {
			first = created
		}
		if a.After(last) {
			last = a
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(time.Millisecond)
	}
	return result{filing: filing, total: total, rate: float64(n) / last.Sub(first).Seconds(),
		p50: pct(0.50), p99: pct(0.99), max: lat[len(lat)-1].Round(time.Millisecond)}
}

// drain queues n copies of the last filed referral in CI's outbox at once
// and measures how fast the relays carry them: until each is stored in
// BF's inbox and receipted in CI.
func (b *bench) drain(n int) result {
	t, ctx := b.t, b.t.Context()
	prefix := fmt.Sprintf("ci-bench%d-%d-", n, time.Now().UnixNano())
	start := time.Now()
	tag, err := b.ciPool.Exec(ctx, `
		INSERT INTO exchange_outbox (message_id, corridor, message_type, case_ref, referral_id, sender_agency,
			recipient_member, recipient_agency, side, payload, tracking)
		SELECT $1 || g, corridor, message_type, case_ref, referral_id, sender_agency,
			recipient_member, recipient_agency, side, payload, tracking
		FROM (SELECT * FROM exchange_outbox WHERE message_type = 'referral' ORDER BY created_at DESC LIMIT 1) last,
			generate_series(1, $2) g`, prefix, n)
	if err != nil || tag.RowsAffected() != int64(n) {
		t.Fatalf("queue %d copies: %v (%d rows)", n, err, tag.RowsAffected())
	}
	filed := b.filedSince(start.Add(-time.Second))
	ids := make([]string, 0, n)
	for id := range filed {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var stored, receipted int
		if err := b.bfPool.QueryRow(ctx, `SELECT count(*) FROM exchange_inbox WHERE message_id = ANY($1)`, ids).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if err := b.ciPool.QueryRow(ctx, `
			SELECT count(*) FROM exchange_outbox WHERE message_id = ANY($1) AND receipt_at IS NOT NULL`, ids).Scan(&receipted); err != nil {
			t.Fatal(err)
		}
		if stored == n && receipted == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 minutes %d of %d stored, %d receipted", stored, n, receipted)
		}
		time.Sleep(100 * time.Millisecond)
	}
	total := time.Since(start)
	rows, err := b.bfPool.Query(ctx, `SELECT message_id, received_at FROM exchange_inbox WHERE message_id = ANY($1)`, ids)
	if err != nil {
		t.Fatal(err)
	}
	var lat []time.Duration
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, at.Sub(filed[id]))
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(time.Millisecond)
	}
	return result{total: total, rate: float64(n) / total.Seconds(), p50: pct(0.5), p99: pct(0.99), max: lat[len(lat)-1]}
}

// file files one referral of a new synthetic child.
func (b *bench) file(ctx context.Context) error {
	k := b.seq.Add(1)
	doc, err := sandbox.WithChild(b.example, sandbox.SyntheticChild{
		GivenNames: "Bench" + letters(k), FamilyNames: "Corridor" + letters(k*7919), Sex: "female"})
	if err != nil {
		return err
	}
	_, err = b.api.FileReferral(ctx, doc)
	return err
}

// letters spells k in lower-case letters: names take no digits.
func letters(k uint64) string {
	var s []byte
	for k > 0 || len(s) < 4 {
		s = append(s, byte('a'+k%26))
		k /= 26
	}
	return string(s)
}

// filedSince returns the referral messages CI's outbox received since
// begin, with the time of their filing.
func (b *bench) filedSince(begin time.Time) map[string]time.Time {
	rows, err := b.ciPool.Query(b.t.Context(), `
		SELECT message_id, created_at FROM exchange_outbox
		WHERE message_type = 'referral' AND created_at >= $1`, begin)
	if err != nil {
		b.t.Fatal(err)
	}
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			b.t.Fatal(err)
		}
		out[id] = at
	}
	if err := rows.Err(); err != nil {
		b.t.Fatal(err)
	}
	return out
}

func (b *bench) progress(ids []string) (applied, receipted int) {
	ctx := b.t.Context()
	if err := b.bfPool.QueryRow(ctx, `
		SELECT count(*) FROM exchange_inbox WHERE message_id = ANY($1) AND applied_at IS NOT NULL`, ids).Scan(&applied); err != nil {
		b.t.Fatal(err)
	}
	if err := b.ciPool.QueryRow(ctx, `
		SELECT count(*) FROM exchange_outbox WHERE message_id = ANY($1) AND receipt_at IS NOT NULL`, ids).Scan(&receipted); err != nil {
		b.t.Fatal(err)
	}
	return applied, receipted
}

func (b *bench) appliedAt(ids []string) map[string]time.Time {
	rows, err := b.bfPool.Query(b.t.Context(), `
		SELECT message_id, applied_at FROM exchange_inbox WHERE message_id = ANY($1)`, ids)
	if err != nil {
		b.t.Fatal(err)
	}
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			b.t.Fatal(err)
		}
		out[id] = at
	}
	return out
}

func openPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// pgCommits measures single-row INSERT commits per second on pool from
// workers connections, in a table of its own (dropped after).
func pgCommits(ctx context.Context, t *testing.T, pool *pgxpool.Pool, d time.Duration, workers int) float64 {
	if _, err := pool.Exec(ctx, `CREATE TABLE bench_ceiling (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = pool.Exec(context.WithoutCancel(ctx), `DROP TABLE bench_ceiling`) }()
	var commits atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(stop) {
				if _, err := pool.Exec(ctx, `INSERT INTO bench_ceiling DEFAULT VALUES`); err != nil {
					t.Error(err)
					return
				}
				commits.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(commits.Load()) / d.Seconds()
}

// jetStreamPublishes measures acknowledged publishes per second to a file
// stream of its own on a member's server (deleted after), 256 in flight.
func jetStreamPublishes(ctx context.Context, url string, op sandbox.Credentials, d time.Duration) (float64, error) {
	nkey, err := streams.NkeyOption(op.NkeySeedFile)
	if err != nil {
		return 0, err
	}
	nc, err := nats.Connect(url, nkey)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(256))
	if err != nil {
		return 0, err
	}
	const name = "BENCH_CEILING"
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"corr.bench.ceiling"},
		Storage: jetstream.FileStorage}); err != nil {
		return 0, fmt.Errorf("create stream: %w", err)
	}
	defer func() { _ = js.DeleteStream(context.WithoutCancel(ctx), name) }()
	data := make([]byte, 2048)
	stop := time.Now().Add(d)
	var n int
	for time.Now().Before(stop) {
		if _, err := js.PublishAsync("corr.bench.ceiling", data, jetstream.WithStallWait(time.Minute)); err != nil {
			return 0, err
		}
		n++
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		return 0, errors.New("acks outstanding after a minute")
	}
	return float64(n) / d.Seconds(), nil
}

// sealOpen measures envelope seal+open pairs per second on one goroutine.
func sealOpen(t *testing.T, d time.Duration) float64 {
	sign, err := envelope.GenerateSigningKey("ci-sig-1")
	if err != nil {
		t.Fatal(err)
	}
	dec, enc, err := envelope.GenerateDecryptionKey("bf-enc-1")
	if err != nil {
		t.Fatal(err)
	}
	opener := envelope.Opener{Self: "BF", Keys: []envelope.DecryptionKey{dec}, Peers: peerKeys{sign}}
	payload := make([]byte, 2048)
	h := envelope.Header{MessageID: "ci-bench", Corridor: "ci-bf", SenderMember: "CI", SenderAgency: "CI-DGT",
		RecipientMember: "BF", RecipientAgency: "BF-DPE", MessageType: "referral", CaseRef: "case-1", ReferralID: "ref-1"}
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		h.SentAt = time.Now()
		data, err := envelope.Seal(h, payload, enc, sign)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := opener.Open(data); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}

// peerKeys is a directory of one signing key.
type peerKeys struct{ key envelope.SigningKey }

func (p peerKeys) SigningKey(member corridor.MemberCode, keyID string) (ed25519.PublicKey, error) {
	if member == "CI" && keyID == p.key.ID {
		return p.key.Public(), nil
	}
	return nil, envelope.ErrUnknownKey
}
