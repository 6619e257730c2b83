//go:build faults

package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/streams"
	"github.com/corridor-org/corridor/services/sandbox/internal/sandbox"
	"github.com/corridor-org/corridor/services/sandbox/internal/supervise"
)

// The fault-injection tests (make test-faults) run only with the build tag
// "faults": they take minutes, and `make test` runs the end-to-end test
// already.

var (
	faultStall = flag.Duration("faults.stall", durationEnv("FAULTS_STALL", 20*time.Second),
		"how long the hub is frozen in the link-stall fault (FAULTS_STALL)")
	faultCut = flag.Duration("faults.cut", durationEnv("FAULTS_CUT", 2*time.Minute),
		"how long a leaf link stays cut (FAULTS_CUT)")
	faultExpired = flag.Duration("faults.expired", durationEnv("FAULTS_EXPIRED", 30*time.Second),
		"how long the corridor runs on an expired directory (FAULTS_EXPIRED)")
	faultConverge = flag.Duration("faults.converge", durationEnv("FAULTS_CONVERGE", 4*time.Minute),
		"how long each fault may take to converge (FAULTS_CONVERGE)")
)

func durationEnv(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// TestFaults starts the whole corridor once and, fault after fault, files
// referrals both ways, has the recipients accept or decline them (status
// updates flowing back), injects the fault while that traffic flows, and
// then waits until both countries agree: every referral the sender holds
// exists exactly once at the recipient with the same status, every message
// of both outboxes has its receipt, every inbox row is applied once. It
// prints the table of docs/reliability.md.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole corridor")
	}
	began := time.Now()
	root, err := natsconf.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	bin := buildServices(t, root)
	cfg := sandbox.Config{
		Dir:       filepath.Join(searchableTempDir(t), ".sandbox"),
		BinDir:    bin,
		Root:      root,
		Out:       &testWriter{t: t},
		NoSeed:    true,
		Supervise: supervise.Config{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second},
	}
	// Each country's leaf link to the hub goes through a proxy the test
	// can cut.
	var proxiesMu sync.Mutex
	proxies := map[string]*linkProxy{}
	cfg.LeafURL = func(member, hubURL string) (string, error) {
		u, err := url.Parse(hubURL)
		if err != nil {
			return "", err
		}
		p := startLinkProxy(t, u.Host)
		proxiesMu.Lock()
		proxies[member] = p
		proxiesMu.Unlock()
		return p.proxiedURL(hubURL)
	}
	sb := startSandbox(t, cfg)
	t.Logf("[%5.1fs] sandbox up", time.Since(began).Seconds())
	h := newFaultHarness(t, sb, cfg.Dir, root, bin)

	faults := []struct {
		name   string
		inject func(h *faultHarness)
	}{
		{"none (baseline)", func(h *faultHarness) {}},
		{"kill -9 both relays at random moments (3 times each)", func(h *faultHarness) {
			for range 3 {
				h.pause(time.Duration(200+rand.IntN(800)) * time.Millisecond)
				h.kill("relay-ci")
				h.pause(time.Duration(200+rand.IntN(800)) * time.Millisecond)
				h.kill("relay-bf")
			}
		}},
		{"kill -9 the sender's relay after the outbox commit, before publishing", func(h *faultHarness) {
			h.signal("relay-ci", syscall.SIGSTOP)
			h.fileBatch(2)
			h.waitUnpublished("CI")
			h.kill("relay-ci")
		}},
		{"kill -9 the sender's relay after publishing, before it records the publish", func(h *faultHarness) {
			h.killAfterPublish("CI", "relay-ci")
		}},
		{"kill -9 the recipient's relay after the inbox commit, before the receipt and the ack", func(h *faultHarness) {
			h.killAfterInboxCommit("BF", "relay-bf", "CI")
		}},
		{"kill -9 the recipient's relay before it takes the message (no receipt)", func(h *faultHarness) {
			h.signal("relay-bf", syscall.SIGSTOP)
			h.fileBatch(2)
			h.waitPublishedWithoutReceipt("CI")
			h.kill("relay-bf")
		}},
		{"kill -9 a member's NATS server (BF)", func(h *faultHarness) {
			h.pause(500 * time.Millisecond)
			h.kill("nats-bf")
		}},
		{"kill -9 the hub", func(h *faultHarness) {
			h.pause(500 * time.Millisecond)
			h.kill("nats-hub")
		}},
		{fmt.Sprintf("BF's leaf link to the hub cut (TCP proxy) for %s", *faultCut), func(h *faultHarness) {
			proxies["bf"].Cut()
			h.fileBatch(1)
			h.pause(*faultCut)
			proxies["bf"].Heal()
		}},
		{fmt.Sprintf("leaf links stalled: hub frozen (SIGSTOP) for %s", *faultStall), func(h *faultHarness) {
			h.signal("nats-hub", syscall.SIGSTOP)
			h.fileBatch(1)
			h.pause(*faultStall)
			h.signal("nats-hub", syscall.SIGCONT)
		}},
		{"kill -9 PostgreSQL (every backend)", func(h *faultHarness) {
			h.pause(500 * time.Millisecond)
			h.killGroup("postgres")
		}},
		{"CI's relay clock 5 minutes ahead, then 5 minutes behind", func(h *faultHarness) {
			h.sendSkewed("CI", "relay-ci", "BF", 5*time.Minute)
			h.sendSkewed("CI", "relay-ci", "BF", -5*time.Minute)
		}},
		{"CI rotates its signing and encryption keys mid-flight", func(h *faultHarness) {
			h.rotateKeys("CI", "relay-ci", "BF", 10*time.Second)
		}},
		{"duplicates: CI→BF envelopes re-published, newest first", func(h *faultHarness) {
			h.pause(time.Second)
			h.injected = h.republish("CI", "bf", nil)
		}},
		{"conflicting duplicates: CI→BF message ids re-sealed, validly signed, with another payload", func(h *faultHarness) {
			h.pause(time.Second)
			h.injected = h.republish("CI", "bf", h.conflicting("CI", "BF"))
			h.expectQuarantined = h.injected
		}},
		{fmt.Sprintf("the directory expires: a 45 s version co-signed and published, run expired for %s, then a new version", *faultExpired), func(h *faultHarness) {
			h.expireDirectory(45*time.Second, *faultExpired)
		}},
	}

	var rows []string
	for _, f := range faults {
		ok := t.Run(f.name, func(t *testing.T) {
			h.t = t
			rows = append(rows, h.runFault(f.name, f.inject))
		})
		if !ok {
			break
		}
	}
	h.t = t
	header := "| fault | messages | lost | duplicated | quarantined | time to converge |\n|---|---|---|---|---|---|\n"
	t.Logf("docs/reliability.md table (%s in all):\n%s%s", time.Since(began).Round(time.Second), header, strings.Join(rows, "\n"))
}

// faultHarness drives one sandbox through the faults.
type faultHarness struct {
	t    *testing.T
	sb   *sandbox.Sandbox
	root string
	bin  string // the services' binaries, corridorctl among them
	e    sandbox.Endpoints
	db   map[string]*pgxpool.Pool // by member code
	// filers file referrals from a country; deciders accept or decline
	// what arrived in it.
	filers, deciders map[string]sandbox.API
	example          map[string]any

	// expectQuarantined is how many messages the current fault makes the
	// relays quarantine; injected is how many copies it published.
	expectQuarantined, injected int
}

func newFaultHarness(t *testing.T, sb *sandbox.Sandbox, dir, root, bin string) *faultHarness {
	e, _ := readEndpoints(t, dir)
	hc := &http.Client{Timeout: 10 * time.Second}
	h := &faultHarness{t: t, sb: sb, root: root, bin: bin, e: e, db: map[string]*pgxpool.Pool{},
		filers: map[string]sandbox.API{
			"CI": {HTTP: hc, Base: e.Members["CI"].Casework, Token: token(t, e, "ci-inspector")},
			"BF": {HTTP: hc, Base: e.Members["BF"].Casework, Token: token(t, e, "bf-inspector")},
		},
		deciders: map[string]sandbox.API{
			"CI": {HTTP: hc, Base: e.Members["CI"].Casework, Token: token(t, e, "ci-caseworker")},
			"BF": {HTTP: hc, Base: e.Members["BF"].Casework, Token: token(t, e, "bf-caseworker")},
		},
	}
	for _, code := range []string{"CI", "BF"} {
		pool, err := pgxpool.New(context.Background(), e.Members[code].Database)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		h.db[code] = pool
	}
	example, err := sandbox.LoadExampleReferral(root)
	if err != nil {
		t.Fatal(err)
	}
	h.example = example
	return h
}

// runFault files referrals both ways and decides them while inject runs,
// then waits for convergence and returns the table row.
func (h *faultHarness) runFault(name string, inject func(h *faultHarness)) string {
	t := h.t
	h.expectQuarantined, h.injected = 0, 0
	before := h.counts()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { h.traffic(stop) })
	var once sync.Once
	stopTraffic := func() { once.Do(func() { close(stop); wg.Wait() }) }
	defer stopTraffic() // also when the fault fails the test
	inject(h)
	healed := time.Now()
	h.fileBatch(1) // traffic after the fault too
	stopTraffic()

	var last error
	deadline := time.Now().Add(*faultConverge)
	for time.Now().Before(deadline) {
		h.decideArrived()
		if last = h.converged(); last == nil {
			break
		}
		h.pause(250 * time.Millisecond)
	}
	took := time.Since(healed)
	after := h.counts()
	lost, dup := h.lostAndDuplicated()
	if h.injected > 0 {
		name += fmt.Sprintf(" (%d copies)", h.injected)
	}
	row := fmt.Sprintf("| %s | %d | %d | %d | %d | %.1f s |", name,
		after.messages-before.messages, lost, dup, after.quarantined-before.quarantined, took.Seconds())
	t.Log(row)
	if last != nil {
		t.Fatalf("not converged %s after the fault: %v", *faultConverge, last)
	}
	if lost != 0 || dup != 0 {
		t.Errorf("%d lost, %d applied more than once", lost, dup)
	}
	if q := after.quarantined - before.quarantined; q != h.expectQuarantined {
		t.Errorf("%d messages quarantined, want %d", q, h.expectQuarantined)
	}
	return row
}

// traffic files a referral each way every half second until stop, and
// decides what arrived.
func (h *faultHarness) traffic(stop <-chan struct{}) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		h.fileBatch(1)
		h.decideArrived()
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// fileBatch files n referrals CI→BF and n BF→CI. A filing that fails (the
// fault may have taken casework's database away) is not retried: what was
// committed is in the sender's table, which is what convergence compares.
func (h *faultHarness) fileBatch(n int) {
	for range n {
		for _, from := range []string{"CI", "BF"} {
			doc, err := h.referralFrom(from)
			if err != nil {
				h.t.Error(err)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			_, err = h.filers[from].FileReferral(ctx, doc)
			cancel()
			if err != nil {
				h.t.Logf("%s files a referral: %v (left to the fault)", from, err)
			}
		}
	}
}

// referralFrom returns a referral document for a child found in from and
// referred to the other country's child protection.
func (h *faultHarness) referralFrom(from string) (map[string]any, error) {
	doc, err := sandbox.WithChild(h.example, sandbox.SyntheticChild{
		GivenNames: "Fault", FamilyNames: "Exemple", Sex: "female",
	})
	if err != nil || from == "CI" {
		return doc, err
	}
	// BF→CI: the same story the other way round.
	doc["recipient"] = map[string]any{"member": "CI", "agency": "CI-DPE"}
	child := doc["child"].(map[string]any)
	child["nationalities"] = []any{"CI"}
	child["languages"] = []any{"fr"}
	delete(child, "identity_documents")
	fam := doc["family"].(map[string]any)
	for _, g := range fam["guardians"].([]any) {
		g.(map[string]any)["place"] = "CI-AB"
	}
	work := doc["work"].(map[string]any)
	work["place"] = "BF-01"
	delete(work, "coordinates")
	if emp, ok := work["employer"].(map[string]any); ok {
		emp["place"] = "BF-01"
	}
	if tr, ok := doc["trafficking"].(map[string]any); ok {
		tr["exploitation_places"] = []any{"BF-01"}
	}
	return doc, nil
}

// decideArrived accepts or declines (alternately) every referral waiting
// for a decision at either recipient: each decision is a status update
// back to the sender.
func (h *faultHarness) decideArrived() {
	for _, code := range []string{"CI", "BF"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		rows, err := h.db[code].Query(ctx, `SELECT id FROM referrals WHERE side = 'recipient' AND status = 'delivered' ORDER BY id`)
		var ids []string
		if err == nil {
			for rows.Next() {
				var id string
				if rows.Scan(&id) == nil {
					ids = append(ids, id)
				}
			}
			rows.Close()
		}
		for _, id := range ids {
			if id[len(id)-1]%2 == 0 {
				err = h.deciders[code].Accept(ctx, id)
			} else {
				err = h.deciders[code].Decline(ctx, id, "Fault test: declined to send a status update back.")
			}
			if err != nil {
				h.t.Logf("%s decides %s: %v (retried)", code, id, err)
			}
		}
		cancel()
	}
}

// converged reports what still differs between the two countries.
func (h *faultHarness) converged() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, pair := range [][2]string{{"CI", "BF"}, {"BF", "CI"}} {
		from, to := pair[0], pair[1]
		sent, err := h.statuses(ctx, from, "sender")
		if err != nil {
			return err
		}
		got, err := h.statuses(ctx, to, "recipient")
		if err != nil {
			return err
		}
		for id, s := range sent {
			r, ok := got[id]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s's referral %s (%s) not in %s", from, id, s, to))
			case r != s:
				errs = append(errs, fmt.Errorf("referral %s is %s in %s, %s in %s", id, s, from, r, to))
			case s != "accepted" && s != "declined":
				errs = append(errs, fmt.Errorf("referral %s still %s", id, s))
			}
		}
		for id := range got {
			if _, ok := sent[id]; !ok {
				errs = append(errs, fmt.Errorf("%s holds referral %s that %s never sent", to, id, from))
			}
		}
	}
	for _, code := range []string{"CI", "BF"} {
		var unreceipted, unapplied int
		err := h.db[code].QueryRow(ctx, `SELECT
			(SELECT count(*) FROM exchange_outbox WHERE receipt_at IS NULL AND recipient_member <> 'COORD'),
			(SELECT count(*) FROM exchange_inbox WHERE applied_at IS NULL)`).Scan(&unreceipted, &unapplied)
		if err != nil {
			return err
		}
		if unreceipted > 0 || unapplied > 0 {
			errs = append(errs, fmt.Errorf("%s: %d outbox messages without receipt, %d inbox messages unapplied", code, unreceipted, unapplied))
		}
	}
	if len(errs) > 3 {
		errs = append(errs[:3], fmt.Errorf("and %d more", len(errs)-3))
	}
	return errors.Join(errs...)
}

func (h *faultHarness) statuses(ctx context.Context, code, side string) (map[string]string, error) {
	rows, err := h.db[code].Query(ctx, `SELECT id, status FROM referrals WHERE side = $1`, side)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", code, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, s string
		if err := rows.Scan(&id, &s); err != nil {
			return nil, err
		}
		out[id] = s
	}
	return out, rows.Err()
}

type faultCounts struct{ messages, quarantined int }

// counts returns the messages both countries sent (outbox rows to each
// other) and the messages their relays quarantined.
func (h *faultHarness) counts() faultCounts {
	var c faultCounts
	for _, code := range []string{"CI", "BF"} {
		var m, q int
		err := h.db[code].QueryRow(context.Background(), `SELECT
			(SELECT count(*) FROM exchange_outbox WHERE recipient_member <> 'COORD'),
			(SELECT count(*) FROM relay_quarantine)`).Scan(&m, &q)
		if err != nil {
			h.t.Fatal(err)
		}
		c.messages += m
		c.quarantined += q
	}
	return c
}

// lostAndDuplicated counts, over the whole run so far, the messages one
// country sent that the other does not hold, and the messages applied more
// than once (a step of the history made twice by one message).
func (h *faultHarness) lostAndDuplicated() (lost, dup int) {
	ctx := context.Background()
	for _, pair := range [][2]string{{"CI", "BF"}, {"BF", "CI"}} {
		from, to := pair[0], pair[1]
		ids := map[string]bool{}
		rows, err := h.db[to].Query(ctx, `SELECT message_id FROM exchange_inbox WHERE sender_member = $1`, from)
		if err != nil {
			h.t.Fatal(err)
		}
		for rows.Next() {
			var id string
			_ = rows.Scan(&id)
			ids[id] = true
		}
		rows.Close()
		rows, err = h.db[from].Query(ctx, `SELECT message_id FROM exchange_outbox WHERE recipient_member = $1`, to)
		if err != nil {
			h.t.Fatal(err)
		}
		for rows.Next() {
			var id string
			_ = rows.Scan(&id)
			if !ids[id] {
				lost++
			}
		}
		rows.Close()
		var d int
		// One message may make several steps (a referral arrives: sent,
		// then delivered); applied twice, it would repeat one.
		err = h.db[to].QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM referral_history
			WHERE message_id IS NOT NULL GROUP BY message_id, event, to_status HAVING count(*) > 1) d`).Scan(&d)
		if err != nil {
			h.t.Fatal(err)
		}
		dup += d
	}
	return lost, dup
}

// kill sends SIGKILL to a supervised process and waits until the
// supervisor has started it again.
func (h *faultHarness) kill(name string) {
	p := h.sb.Process(name)
	old, restarts := p.PID(), p.Restarts()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		h.t.Fatalf("kill %s: %v", name, err)
	}
	h.waitRestart(name, old, restarts)
}

// killGroup kills a process and every process of its group (PostgreSQL's
// postmaster and its backends), as a crash of the machine's server would.
func (h *faultHarness) killGroup(name string) {
	p := h.sb.Process(name)
	old, restarts := p.PID(), p.Restarts()
	if err := syscall.Kill(-old, syscall.SIGKILL); err != nil {
		h.t.Fatalf("kill %s's group: %v", name, err)
	}
	h.waitRestart(name, old, restarts)
}

func (h *faultHarness) waitRestart(name string, old, restarts int) {
	p := h.sb.Process(name)
	h.poll(name+" restarted", time.Minute, func() error {
		if p.PID() == old || p.Restarts() <= restarts {
			return fmt.Errorf("pid %d, %d restarts", p.PID(), p.Restarts())
		}
		return nil
	})
}

func (h *faultHarness) signal(name string, sig syscall.Signal) {
	if err := syscall.Kill(h.sb.Process(name).PID(), sig); err != nil {
		h.t.Fatalf("signal %s: %v", name, err)
	}
}

// waitUnpublished waits until code's outbox holds an unpublished message.
func (h *faultHarness) waitUnpublished(code string) {
	h.poll(code+"'s outbox to hold an unpublished message", time.Minute, func() error {
		var n int
		err := h.db[code].QueryRow(context.Background(), `SELECT count(*) FROM exchange_outbox WHERE published_at IS NULL`).Scan(&n)
		if err == nil && n == 0 {
			err = errors.New("none")
		}
		return err
	})
}

// waitPublishedWithoutReceipt waits until code's outbox holds a published
// message to a country without its receipt.
func (h *faultHarness) waitPublishedWithoutReceipt(code string) {
	h.poll(code+"'s outbox to hold a published message without receipt", time.Minute, func() error {
		var n int
		err := h.db[code].QueryRow(context.Background(), `SELECT count(*) FROM exchange_outbox
			WHERE published_at IS NOT NULL AND receipt_at IS NULL AND recipient_member <> 'COORD'`).Scan(&n)
		if err == nil && n == 0 {
			err = errors.New("none")
		}
		return err
	})
}

// republish publishes again, as new NATS messages and newest first, the
// envelopes in code's OUTBOX addressed to peer (receipts and tracking
// events aside), each through change when it is not nil: the peer's INBOX
// gets a second copy of each, out of order, which its relay must
// recognise. It returns how many it published.
func (h *faultHarness) republish(code, peer string, change func([]byte) []byte) int {
	js, closeNATS := h.operator(code)
	defer closeNATS()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := js.Stream(ctx, "OUTBOX")
	if err != nil {
		h.t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	prefix := "corr." + strings.ToLower(code) + ".out." + peer + "."
	n := 0
	for seq := info.State.LastSeq; seq >= info.State.FirstSeq && seq > 0 && n < maxRepublished; seq-- {
		msg, err := st.GetMsg(ctx, seq)
		if err != nil || !strings.HasPrefix(msg.Subject, prefix) || strings.HasSuffix(msg.Subject, ".receipt") {
			continue
		}
		data := msg.Data
		if change != nil {
			data = change(data)
		}
		id := fmt.Sprintf("%s:fault-%d-%d", strings.ToLower(code), time.Now().UnixNano(), seq)
		if _, err := js.Publish(ctx, msg.Subject, data, jetstream.WithMsgID(id)); err != nil {
			h.t.Fatalf("re-publish %s #%d: %v", msg.Subject, seq, err)
		}
		n++
	}
	if n == 0 {
		h.t.Fatalf("no envelope to %s in %s's OUTBOX to re-publish", peer, code)
	}
	h.t.Logf("re-published %d envelopes %s→%s", n, code, peer)
	return n
}

// maxRepublished bounds the copies one duplicate fault publishes.
const maxRepublished = 25

// conflicting returns a change that turns an envelope from one member to
// another into a conflicting duplicate: the same header (message id, type,
// case), another payload, sealed to the recipient's key and signed with the
// sender's own key from the sandbox's key file, so that only the inbox's
// identity check can refuse it.
func (h *faultHarness) conflicting(from, to corridor.MemberCode) func([]byte) []byte {
	keys, err := keyfile.Load(filepath.Join(h.e.Dir, "keys", from.Domain()+".json"))
	if err != nil {
		h.t.Fatal(err)
	}
	signer, err := keys.SigningKey(time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	enc, err := h.directory().CurrentEncryptionKey(to, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return func(data []byte) []byte {
		hd, err := envelope.PeekHeader(data)
		if err != nil {
			h.t.Fatal(err)
		}
		hd.SentAt = time.Now()
		out, err := envelope.Seal(hd, []byte("a conflicting payload "+hd.MessageID),
			envelope.EncryptionKey{ID: enc.ID, Public: enc.PublicKey}, signer)
		if err != nil {
			h.t.Fatal(err)
		}
		return out
	}
}

// sendSkewed sends code's next messages to peer as its relay would with a
// clock skew off: the relay is stopped, referrals are filed, and the test
// seals each new outbox message with sent_at skewed, records its digest as
// the relay does, and publishes it under the relay's transport id. The
// relay, let go, publishes its own copy under the same id, which JetStream
// drops; the peer's receipt names the skewed copy the relay "sealed".
func (h *faultHarness) sendSkewed(code corridor.MemberCode, relay string, peer corridor.MemberCode, skew time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := h.db[string(code)]
	h.signal(relay, syscall.SIGSTOP)
	defer h.signal(relay, syscall.SIGCONT)
	h.fileBatch(1)
	rows, err := db.Query(ctx, `SELECT message_id FROM exchange_outbox
		WHERE published_at IS NULL AND recipient_member = $1 AND next_attempt_at <= now()`, string(peer))
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			h.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		h.t.Fatalf("no unpublished message from %s to %s", code, peer)
	}
	keys, err := keyfile.Load(filepath.Join(h.e.Dir, "keys", code.Domain()+".json"))
	if err != nil {
		h.t.Fatal(err)
	}
	signer, err := keys.SigningKey(time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	dir := h.directory()
	enc, err := dir.CurrentEncryptionKey(peer, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	js, closeNATS := h.operator(string(code))
	defer closeNATS()
	for _, id := range ids {
		m, err := exchange.GetOutbox(ctx, db, id)
		if err != nil {
			h.t.Fatal(err)
		}
		data, err := envelope.Seal(envelope.Header{
			MessageID: m.MessageID, Corridor: dir.Corridor, SenderMember: code, SenderAgency: m.SenderAgency,
			RecipientMember: m.RecipientMember, RecipientAgency: m.RecipientAgency, MessageType: string(m.MessageType),
			CaseRef: m.CaseRef, ReferralID: m.ReferralID, SentAt: time.Now().Add(skew),
		}, m.Payload, envelope.EncryptionKey{ID: enc.ID, Public: enc.PublicKey}, signer)
		if err != nil {
			h.t.Fatal(err)
		}
		digest := sha256.Sum256(data)
		if _, err := db.Exec(ctx, `INSERT INTO relay_sent_envelopes (message_id, envelope_sha256) VALUES ($1, $2)`, id, digest[:]); err != nil {
			h.t.Fatal(err)
		}
		subject, err := streams.OutSubject(code.Domain(), peer.Domain(), string(m.MessageType))
		if err != nil {
			h.t.Fatal(err)
		}
		msgID, err := streams.MsgID(code.Domain(), id)
		if err != nil {
			h.t.Fatal(err)
		}
		if _, err := js.Publish(ctx, subject, data, jetstream.WithMsgID(msgID)); err != nil {
			h.t.Fatal(err)
		}
	}
	h.t.Logf("sent %d messages %s→%s with sent_at %s off", len(ids), code, peer, skew)
}

// rotateKeys rotates a member's keys while traffic flows, as
// docs/operations.md has an operator do it: new keys taking over after
// takeover are added to the key file, the relay is restarted on it (it
// still signs with the old key, the one the directory names), the
// directory is issued again with the new public keys, and the traffic
// crosses the takeover: peers seal to the new encryption key and the
// relay signs with the new signing key from then on, while envelopes
// sealed to the old key are still opened.
func (h *faultHarness) rotateKeys(code corridor.MemberCode, relay string, peer corridor.MemberCode, takeover time.Duration) {
	path := filepath.Join(h.e.Dir, "keys", code.Domain()+".json")
	keys, err := keyfile.Load(path)
	if err != nil {
		h.t.Fatal(err)
	}
	at := time.Now().Add(takeover)
	ids, err := keys.Rotate(keyfile.Rotation{Signing: true, Encryption: true, NotBefore: at,
		Overlap: time.Hour, ValidFor: 365 * 24 * time.Hour})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := keys.Save(path); err != nil {
		h.t.Fatal(err)
	}
	h.kill(relay)
	if err := h.sb.ReissueDirectory(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Logf("%s's new keys %v take over at %s", code, ids, at.Format(time.TimeOnly))
	h.pause(time.Until(at) + 3*time.Second)
	dir := h.directory()
	if k, err := dir.CurrentSigningKey(code, time.Now()); err != nil || !slices.Contains(ids, k.ID) {
		h.t.Fatalf("the directory's current signing key of %s is %q (%v), want one of %v", code, k.ID, err, ids)
	}
	// Messages crossed the takeover both ways: signed with the new key
	// from code, sealed to the new key towards it.
	for _, pair := range [][2]string{{string(code), string(peer)}, {string(peer), string(code)}} {
		from, to := pair[0], pair[1]
		h.poll(fmt.Sprintf("a message %s→%s sent after the takeover", from, to), time.Minute, func() error {
			var n int
			err := h.db[to].QueryRow(context.Background(), `SELECT count(*) FROM exchange_inbox
				WHERE sender_member = $1 AND sent_at > $2`, from, at).Scan(&n)
			if err == nil && n == 0 {
				err = errors.New("none yet")
			}
			return err
		})
	}
}

// expireDirectory lets the directory in force lapse while traffic flows.
// It goes the operators' way (docs/operations.md): corridorctl directory
// show, propose, sign with two of the three governance keys, publish to
// the file the services watch. A version valid for validFor is published;
// once both relays have taken it, it expires, and for expiredFor the
// corridor runs on it expired. The relays must fail closed: /readyz fails
// its directory check, the status says expired, and nothing is sealed,
// published, received or applied from the expiry on (the test checks
// both countries' tables). Then a new version, valid 30 days, is co-signed
// and published, and the backlog must drain.
func (h *faultHarness) expireDirectory(validFor, expiredFor time.Duration) {
	work := h.t.TempDir()
	published := filepath.Join(h.e.Dir, "directory.json")
	short := h.publishDirectory(published, filepath.Join(work, "short.json"), validFor)
	h.t.Logf("directory version %d published, expiring at %s", short.Version, short.ExpiresAt.Format(time.TimeOnly))
	for _, code := range []string{"CI", "BF"} {
		h.poll(fmt.Sprintf("%s's relay to take directory version %d", code, short.Version), validFor/2, func() error {
			st, err := h.relayDirectory(code)
			if err == nil && st.Version != short.Version {
				err = fmt.Errorf("version %d in force", st.Version)
			}
			return err
		})
	}
	h.pause(time.Until(short.ExpiresAt))
	for _, code := range []string{"CI", "BF"} {
		h.poll(code+"'s relay to fail closed on the expired directory", 30*time.Second, func() error {
			status, checks, err := h.relayReadiness(code)
			if err != nil {
				return err
			}
			if status != http.StatusServiceUnavailable || checks["directory"] != "failed" {
				return fmt.Errorf("/readyz %d %v", status, checks)
			}
			st, err := h.relayDirectory(code)
			if err == nil && (!st.Expired || st.Version != short.Version) {
				err = fmt.Errorf("status: version %d, expired %t", st.Version, st.Expired)
			}
			return err
		})
	}
	h.pause(time.Until(short.ExpiresAt.Add(expiredFor)))
	for _, code := range []string{"CI", "BF"} {
		h.checkNothingSince(code, short.ExpiresAt)
	}
	renewed := h.publishDirectory(published, filepath.Join(work, "renewed.json"), 30*24*time.Hour)
	h.t.Logf("directory version %d published after %s expired", renewed.Version, time.Since(short.ExpiresAt).Round(time.Second))
}

// expiryGrace is how long after the expiry a relay may still finish what
// it started under the directory in force: a batch that found the
// directory valid commits its rows an instant later.
const expiryGrace = 5 * time.Second

// checkNothingSince fails the test if code's relay sealed, published or
// received a message, or casework applied one, after the directory
// expired at expired (plus expiryGrace). Sealing is read from the
// sender's own record (relay_sent_envelopes), not from the envelopes'
// sent_at: the clock-skew fault dated some 5 minutes ahead.
func (h *faultHarness) checkNothingSince(code string, expired time.Time) {
	var sealed, published, received, applied int
	err := h.db[code].QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM relay_sent_envelopes WHERE sealed_at >= $1),
		(SELECT count(*) FROM exchange_outbox WHERE published_at >= $1),
		(SELECT count(*) FROM exchange_inbox WHERE received_at >= $1),
		(SELECT count(*) FROM exchange_inbox WHERE applied_at >= $1)`,
		expired.Add(expiryGrace)).Scan(&sealed, &published, &received, &applied)
	if err != nil {
		h.t.Fatal(err)
	}
	if sealed+published+received+applied > 0 {
		h.t.Errorf("%s under the expired directory: %d envelopes sealed, %d published, %d received, %d applied",
			code, sealed, published, received, applied)
	}
}

// publishDirectory makes the next version of the directory published at
// published, valid for validFor, and publishes it as the corridor's
// operators do, with corridorctl: the version in force as the draft, a
// proposal written to proposal, the two countries' governance signatures
// (the threshold), and the publish, which verifies it against the version
// in force. It returns the version published.
func (h *faultHarness) publishDirectory(published, proposal string, validFor time.Duration) *directory.Directory {
	draft := filepath.Join(filepath.Dir(proposal), "draft-"+filepath.Base(proposal))
	if err := os.WriteFile(draft, h.corridorctl("directory", "show", "-in", published), 0o600); err != nil {
		h.t.Fatal(err)
	}
	h.corridorctl("directory", "propose", "-draft", draft, "-in-force", published,
		"-valid-for", validFor.String(), "-out", proposal)
	for _, member := range []string{"ci", "bf"} {
		h.corridorctl("directory", "sign", "-in", proposal,
			"-key", filepath.Join(h.e.Dir, "keys", "governance-"+member+".json"))
	}
	h.corridorctl("directory", "publish", "-in", proposal, "-to", published)
	signed, err := directory.LoadSigned(proposal)
	if err != nil {
		h.t.Fatal(err)
	}
	d, err := signed.Directory()
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// corridorctl runs the operator's CLI and returns what it printed.
func (h *faultHarness) corridorctl(args ...string) []byte {
	out, err := exec.Command(filepath.Join(h.bin, "corridorctl"), args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			stderr = ee.Stderr
		}
		h.t.Fatalf("corridorctl %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// relayReadiness returns the status and checks of code's relay's /readyz.
func (h *faultHarness) relayReadiness(code string) (int, map[string]string, error) {
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	status, err := h.getJSON(h.e.Members[code].Relay+"/readyz", &body)
	return status, body.Checks, err
}

// relayDirectory returns the directory in force at code's relay, from its
// status.
func (h *faultHarness) relayDirectory(code string) (directory.SourceStatus, error) {
	var body struct {
		Directory *directory.SourceStatus `json:"directory"`
	}
	status, err := h.getJSON(h.e.Members[code].Relay+"/api/v1/status", &body)
	switch {
	case err != nil:
		return directory.SourceStatus{}, err
	case status != http.StatusOK || body.Directory == nil:
		return directory.SourceStatus{}, fmt.Errorf("status %d without the directory", status)
	}
	return *body.Directory, nil
}

// getJSON gets url and decodes its JSON body into v, whatever the status.
func (h *faultHarness) getJSON(url string, v any) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return resp.StatusCode, fmt.Errorf("GET %s: %d: %w", url, resp.StatusCode, err)
	}
	return resp.StatusCode, nil
}

// directory reads the sandbox's corridor directory.
func (h *faultHarness) directory() *directory.Directory {
	signed, err := directory.LoadSigned(filepath.Join(h.e.Dir, "directory.json"))
	if err != nil {
		h.t.Fatal(err)
	}
	dir, err := signed.Directory()
	if err != nil {
		h.t.Fatal(err)
	}
	return dir
}

// operator connects to a country's NATS server as its operator.
func (h *faultHarness) operator(code string) (jetstream.JetStream, func()) {
	m := h.e.Members[code]
	nkey, err := streams.NkeyOption(m.NATSOperator.NkeySeedFile)
	if err != nil {
		h.t.Fatal(err)
	}
	nc, err := nats.Connect(m.NATS, nkey)
	if err != nil {
		h.t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		h.t.Fatal(err)
	}
	return js, nc.Close
}

// killAfterPublish kills code's relay at a precise step: it has published
// a message to NATS and not yet recorded that in the outbox. Two locks hold
// it there: a table lock on relay_sent_envelopes stops it after its claim,
// before it publishes; a row lock on the claimed outbox rows, taken then,
// stops it at the update that records the publish once the first lock is
// let go.
func (h *faultHarness) killAfterPublish(code, relay string) {
	ctx := context.Background()
	db := h.db[code]
	gate, err := db.Begin(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	// Released below; this rollback only covers a failure on the way.
	defer func() { _ = gate.Rollback(ctx) }()
	if _, err := gate.Exec(ctx, `LOCK TABLE relay_sent_envelopes IN SHARE MODE`); err != nil {
		h.t.Fatal(err)
	}
	h.fileBatch(1)
	h.waitBlocked(code, "relay_sent_envelopes")
	hold, err := db.Begin(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	// Released below; this rollback only covers a failure on the way.
	defer func() { _ = hold.Rollback(ctx) }()
	tag, err := hold.Exec(ctx, `SELECT 1 FROM exchange_outbox
		WHERE published_at IS NULL AND next_attempt_at > now() FOR UPDATE`)
	if err != nil || tag.RowsAffected() == 0 {
		h.t.Fatalf("lock the claimed outbox rows: %d rows, %v", tag.RowsAffected(), err)
	}
	if err := gate.Rollback(ctx); err != nil {
		h.t.Fatal(err)
	}
	h.waitBlocked(code, "published_at = now()")
	h.kill(relay)
	if err := hold.Rollback(ctx); err != nil {
		h.t.Fatal(err)
	}
}

// waitBlocked waits until a session of code's database whose query
// contains text waits for a lock.
func (h *faultHarness) waitBlocked(code, text string) {
	h.poll(code+"'s relay to wait at "+text, time.Minute, func() error {
		var n int
		err := h.db[code].QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'
			AND pid <> pg_backend_pid() AND strpos(query, $1) > 0`, text).Scan(&n)
		if err == nil && n == 0 {
			err = errors.New("not waiting yet")
		}
		return err
	})
}

// killAfterInboxCommit kills code's relay at a precise step: it has
// committed a message from sender to its inbox and neither answered it
// with a receipt nor acknowledged it. Its OUTBOX refuses every message for
// the while (a maximum message size of one byte, which JetStream checks
// before storing and which removes nothing), so the receipt cannot be
// published and the delivery is not acknowledged; the relay is stopped,
// the limit lifted, then the relay killed.
func (h *faultHarness) killAfterInboxCommit(code, relay, sender string) {
	js, closeNATS := h.operator(code)
	defer closeNATS()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := js.Stream(ctx, "OUTBOX")
	if err != nil {
		h.t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	limited := cfg
	limited.MaxMsgSize = 1
	if _, err := js.UpdateStream(ctx, limited); err != nil {
		h.t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			if _, err := js.UpdateStream(ctx, cfg); err != nil {
				h.t.Fatal(err)
			}
			restored = true
		}
	}
	defer restore()
	var before int
	if err := h.db[code].QueryRow(ctx, `SELECT count(*) FROM exchange_inbox WHERE sender_member = $1`, sender).Scan(&before); err != nil {
		h.t.Fatal(err)
	}
	h.fileBatch(1)
	h.poll(code+"'s inbox to commit a message from "+sender, time.Minute, func() error {
		var n int
		err := h.db[code].QueryRow(ctx, `SELECT count(*) FROM exchange_inbox WHERE sender_member = $1`, sender).Scan(&n)
		if err == nil && n <= before {
			err = errors.New("none yet")
		}
		return err
	})
	h.signal(relay, syscall.SIGSTOP)
	restore()
	h.kill(relay)
}

// pause waits d: the faults need time to pass while traffic flows (this
// is the fault's duration, not a synchronisation).
func (h *faultHarness) pause(d time.Duration) {
	time.Sleep(d)
}

// poll calls check until it succeeds or timeout passes.
func (h *faultHarness) poll(what string, timeout time.Duration, check func() error) {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
