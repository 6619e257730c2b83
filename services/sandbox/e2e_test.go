package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/pgserver"
	"github.com/corridor-org/corridor/pkg/streams"
	"github.com/corridor-org/corridor/services/sandbox/internal/sandbox"
	"github.com/corridor-org/corridor/services/sandbox/internal/supervise"
)

// TestEndToEnd starts the whole corridor as `make demo` does (every process
// its own OS process, from freshly built binaries) and walks a referral
// across it through the public APIs: CI's inspector files it, BF's
// caseworker sees it arrive and accepts it, CI sees it accepted, and the
// coordinator's timeline shows the milestones. It then kills BF's relay to
// see it restarted, runs the README's curl tours, takes referrals through
// every status with crossing messages (lifecycle_e2e_test.go), has CI and
// BF verify the indicator set the coordinator published against their own
// databases (indicators_e2e_test.go), checks that the child's identity and
// the free text of every event are nowhere but in CI's and BF's databases
// (nor in anything the coordinator serves), and starts the sandbox a second time to see its
// state reused.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole corridor")
	}
	began := time.Now()
	phase := func(name string) {
		t.Logf("[%6.1fs] %s", time.Since(began).Seconds(), name)
	}
	root, err := natsconf.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	bin := buildServices(t, root)
	phase("binaries built")

	cfg := sandbox.Config{
		Dir:    filepath.Join(searchableTempDir(t), ".sandbox"),
		BinDir: bin,
		Root:   root,
		Out:    &testWriter{t: t},
		// Restart a killed process quickly: the test waits for it.
		Supervise: supervise.Config{MinBackoff: 100 * time.Millisecond},
	}
	sb := startSandbox(t, cfg)
	phase("sandbox up")

	e, raw := readEndpoints(t, cfg.Dir)
	checkDesignKeys(t, raw)
	ci, bf := e.Members["CI"], e.Members["BF"]
	hc := &http.Client{Timeout: 10 * time.Second}
	ciInspector := sandbox.API{HTTP: hc, Base: ci.Casework, Token: token(t, e, "ci-inspector")}
	bfCaseworker := sandbox.API{HTTP: hc, Base: bf.Casework, Token: token(t, e, "bf-caseworker")}
	coordinator := sandbox.API{HTTP: hc, Base: e.Coordinator.URL, Token: token(t, e, "coordinator")}
	ctx := t.Context()

	// The operator credentials reach each member's streams.
	for code, m := range map[string]struct{ url, seedFile string }{
		"CI":    {ci.NATS, ci.NATSOperator.NkeySeedFile},
		"BF":    {bf.NATS, bf.NATSOperator.NkeySeedFile},
		"COORD": {e.Coordinator.NATS, e.Coordinator.NATSOperator.NkeySeedFile},
	} {
		checkOperator(t, code, m.url, m.seedFile)
	}

	// The seeded cases are there: the demo opens on a used corridor.
	seeded, err := ciInspector.Referrals(ctx, "outgoing")
	if err != nil {
		t.Fatalf("list CI's outgoing referrals: %v", err)
	}
	if len(seeded) < 3 {
		t.Errorf("CI has %d outgoing referrals after seeding, want at least 3", len(seeded))
	}

	// A child whose identity occurs nowhere else, so that finding it
	// anywhere is a leak.
	child := sandbox.SyntheticChild{
		GivenNames:  "Zephyrine" + randomLetters(t, 10),
		FamilyNames: "Quillondo" + randomLetters(t, 10),
		Sex:         "female",
		DateOfBirth: randomBirthDate(t),
	}
	example, err := sandbox.LoadExampleReferral(root)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := sandbox.WithChild(example, child)
	if err != nil {
		t.Fatal(err)
	}
	filed, err := ciInspector.FileReferral(ctx, doc)
	if err != nil {
		t.Fatalf("CI inspector files a referral: %v", err)
	}
	if filed.ID == "" || filed.CaseRef == "" {
		t.Fatalf("filed referral has id %q, case_ref %q", filed.ID, filed.CaseRef)
	}
	phase("referral filed in CI: " + filed.ID)

	eventually(t, "the referral in BF's incoming list", func() error {
		items, err := bfCaseworker.Referrals(ctx, "incoming")
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(items, func(r sandbox.Referral) bool { return r.ID == filed.ID }) {
			return errors.New("not there yet")
		}
		return nil
	})
	phase("referral delivered to BF")
	if err := bfCaseworker.Accept(ctx, filed.ID); err != nil {
		t.Fatalf("BF caseworker accepts: %v", err)
	}
	eventually(t, "CI to show the referral accepted with its history", func() error {
		r, err := ciInspector.Referral(ctx, filed.ID)
		if err != nil {
			return err
		}
		if r.Status != "accepted" {
			return fmt.Errorf("status %q", r.Status)
		}
		return historyHas(r.History, "sent", "delivered", "accepted")
	})
	phase("CI sees the referral accepted")
	eventually(t, "the coordinator's timeline", func() error {
		tl, err := coordinator.Timeline(ctx, filed.CaseRef)
		if err != nil {
			return err
		}
		var got []string
		for _, m := range tl.Timeline {
			got = append(got, m.Milestone)
		}
		for _, want := range []string{"referral_sent", "referral_delivered", "referral_accepted"} {
			if !slices.Contains(got, want) {
				return fmt.Errorf("timeline %v lacks %s", got, want)
			}
		}
		return nil
	})
	phase("coordinator timeline complete")

	// The demo's overdue case: flagged by the coordinator, and its notice
	// to BF's child protection received, with a signature that verifies.
	eventually(t, "the seeded overdue case and its notice", func() error {
		var overdue struct {
			Items []struct {
				CaseRef     string `json:"case_ref"`
				DueStep     string `json:"due_step"`
				DaysOverdue int    `json:"days_overdue"`
			} `json:"items"`
		}
		if err := coordinator.Do(ctx, http.MethodGet, "/api/v1/overdue?step=decision", nil, &overdue); err != nil {
			return err
		}
		if len(overdue.Items) == 0 || overdue.Items[0].DaysOverdue < 1 {
			return fmt.Errorf("overdue list %+v", overdue.Items)
		}
		log, err := os.ReadFile(filepath.Join(cfg.Dir, "logs", "notices.log"))
		if err != nil {
			return err
		}
		want := `"agency":"BF-DPE"`
		if !strings.Contains(string(log), want) || !strings.Contains(string(log), `"verified":true`) ||
			!strings.Contains(string(log), overdue.Items[0].CaseRef) {
			return fmt.Errorf("notices.log holds no verified notice of %s to BF-DPE: %s", overdue.Items[0].CaseRef, log)
		}
		return nil
	})
	phase("overdue case flagged and notified")

	// Kill BF's relay outright: the supervisor must bring it back, and the
	// tour below then crosses the corridor through the new one.
	relay := sb.Process("relay-bf")
	oldPID := relay.PID()
	if err := syscall.Kill(oldPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "BF's relay restarted and healthy", func() error {
		if pid := relay.PID(); pid == oldPID || relay.Restarts() < 1 {
			return fmt.Errorf("pid %d, %d restarts", pid, relay.Restarts())
		}
		return get(ctx, hc, bf.Relay+"/healthz")
	})
	eventually(t, "endpoints.json to list the new relay", func() error {
		e, _ := readEndpointsFile(cfg.Dir)
		if got := e.Members["BF"].PIDs.Relay; got != relay.PID() {
			return fmt.Errorf("endpoints.json says pid %d, relay is %d", got, relay.PID())
		}
		return nil
	})
	phase("BF relay restarted after kill -9")

	if err := runTour(t, root, cfg.Dir, "tour.sh"); err != nil {
		t.Fatal(err)
	}
	phase("docs/tour.sh passed")

	// Referrals through every status, with crossing messages, and the
	// lifecycle tour; both before the personal data scan, so that it
	// covers every kind of message.
	ciAdmin, bfAdmin := token(t, e, "ci-admin"), token(t, e, "bf-admin")
	l := &lifecycle{
		root: root, ci: ciInspector, bf: bfCaseworker, coordinator: coordinator,
		ciAdmin: sandbox.API{HTTP: hc, Base: ci.Casework, Token: ciAdmin},
		bfAdmin: sandbox.API{HTTP: hc, Base: bf.Casework, Token: bfAdmin},
		ciRelay: sandbox.API{HTTP: hc, Base: ci.Relay, Token: ciAdmin},
		bfRelay: sandbox.API{HTTP: hc, Base: bf.Relay, Token: bfAdmin},
		relayBF: relay, referral: doc, pii: map[string]string{},
	}
	t.Run("lifecycle", func(t *testing.T) { runLifecycle(t, l) })
	phase("lifecycle across the corridor")

	if err := runTour(t, root, cfg.Dir, "tour-lifecycle.sh"); err != nil {
		t.Error(err)
	}
	phase("docs/tour-lifecycle.sh run")

	// After all that traffic, the figures the coordinator published agree
	// with each member's records, and not once the coordinator's copy of
	// an event is altered (indicators_e2e_test.go).
	t.Run("published figures", func(t *testing.T) {
		checkPublishedFigures(t, bin, cfg.Dir, e, coordinator.Token, filed.CaseRef)
	})
	phase("published indicator sets verified by CI and BF")

	needles := map[string]string{
		"given names":   child.GivenNames,
		"family names":  child.FamilyNames,
		"date of birth": child.DateOfBirth,
	}
	maps.Copy(needles, l.pii)
	checkPersonalData(t, cfg.Dir, e, coordinator, needles)
	checkAuditTrails(t, cfg.Dir, e, needles)
	phase("personal data and audit trails checked")

	before, err := ciInspector.Referrals(ctx, "outgoing")
	if err != nil {
		t.Fatal(err)
	}
	// Stop, and start again on the same state.
	stopSandbox(t, sb)
	if _, err := os.Stat(filepath.Join(cfg.Dir, "endpoints.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("endpoints.json left after stopping (%v)", err)
	}
	phase("sandbox stopped")

	restartOut := &testWriter{t: t}
	cfg.Out = restartOut
	sb2 := startSandbox(t, cfg)
	phase("sandbox up again")
	if !sb2.Reused() || !strings.Contains(restartOut.String(), "reusing ") {
		t.Errorf("second start did not say it reused the state: %q", restartOut.String())
	}
	e2, _ := readEndpoints(t, cfg.Dir)
	if e2.Members["CI"].Casework != ci.Casework || e2.Coordinator.URL != e.Coordinator.URL || e2.Hub.NATS != e.Hub.NATS {
		t.Errorf("addresses changed across a restart:\nbefore %+v\nafter  %+v", e.Members["CI"], e2.Members["CI"])
	}
	ciAgain := sandbox.API{HTTP: hc, Base: e2.Members["CI"].Casework, Token: token(t, e2, "ci-inspector")}
	r, err := ciAgain.Referral(ctx, filed.ID)
	if err != nil || r.Status != "accepted" {
		t.Errorf("after a restart the referral is %+v, %v; want it kept, accepted", r.Status, err)
	}
	// The old token still works: the identity provider kept its key.
	if _, err := ciInspector.Referral(ctx, filed.ID); err != nil {
		t.Errorf("a token issued before the restart is refused: %v", err)
	}
	again, err := ciAgain.Referrals(ctx, "outgoing")
	if err != nil {
		t.Fatal(err)
	}
	// Nothing seeded twice.
	if len(again) != len(before) {
		t.Errorf("CI has %d outgoing referrals after the restart, want the %d it had before", len(again), len(before))
	}
	phase("state reused")
}

// runTour runs one of the curl tours in docs/ against the sandbox in dir
// and logs what it printed.
func runTour(t *testing.T, root, dir, script string) error {
	t.Helper()
	tour := exec.CommandContext(t.Context(), "bash", filepath.Join(root, "docs", script))
	tour.Env = append(os.Environ(), "SANDBOX_DIR="+dir)
	out, err := tour.CombinedOutput()
	t.Logf("docs/%s:\n%s", script, out)
	if err != nil {
		return fmt.Errorf("docs/%s failed: %w", script, err)
	}
	return nil
}

// checkOperator connects to a member's server with the operator
// credentials of endpoints.json and finds both streams.
func checkOperator(t *testing.T, member, url, seedFile string) {
	t.Helper()
	nkey, err := streams.NkeyOption(seedFile)
	if err != nil {
		t.Errorf("%s: the NATS operator's seed file: %v", member, err)
		return
	}
	nc, err := nats.Connect(url, nkey, nats.Timeout(5*time.Second))
	if err != nil {
		t.Errorf("%s: connect as the NATS operator: %v", member, err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"OUTBOX", "INBOX"} {
		if _, err := js.Stream(t.Context(), name); err != nil {
			t.Errorf("%s: the operator cannot see stream %s: %v", member, name, err)
		}
	}
}

// buildServices builds every service binary, as `make build` does, into a
// directory of the test's.
func buildServices(t *testing.T, root string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the end-to-end test builds the services with the go command: %v", err)
	}
	bin := t.TempDir()
	cmd := exec.Command(goBin, "build", "-o", bin+string(filepath.Separator), "github.com/corridor-org/corridor/services/...")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// searchableTempDir returns a temporary directory the postgres user can
// reach: t.TempDir's directories are private to root.
func searchableTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func startSandbox(t *testing.T, cfg sandbox.Config) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { stopSandbox(t, sb) })
	return sb
}

// stopSandbox stops the sandbox and checks that none of its processes is
// left.
func stopSandbox(t *testing.T, sb *sandbox.Sandbox) {
	t.Helper()
	var pids []int
	for _, name := range processNames() {
		if p := sb.Process(name); p != nil {
			pids = append(pids, p.PID())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := sb.Stop(ctx); err != nil {
		t.Errorf("stop sandbox: %v", err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still there after Stop", pid)
		}
	}
}

func processNames() []string {
	names := []string{"postgres", "nats-hub", "nats-coord", "idp-coord", "coordinator"}
	for _, d := range []string{"ci", "bf"} {
		names = append(names, "nats-"+d, "idp-"+d, "relay-"+d, "casework-"+d)
	}
	return names
}

func readEndpointsFile(dir string) (sandbox.Endpoints, []byte) {
	raw, err := os.ReadFile(filepath.Join(dir, "endpoints.json"))
	if err != nil {
		return sandbox.Endpoints{}, nil
	}
	var e sandbox.Endpoints
	_ = json.Unmarshal(raw, &e)
	return e, raw
}

func readEndpoints(t *testing.T, dir string) (sandbox.Endpoints, []byte) {
	t.Helper()
	e, raw := readEndpointsFile(dir)
	if raw == nil {
		t.Fatal("no endpoints.json once the sandbox is up")
	}
	return e, raw
}

// checkDesignKeys checks the keys the endpoints contract (docs/operations.md,
// "Interfaces others rely on") promises in the written file
// (the shape test in internal/sandbox checks every key and type).
func checkDesignKeys(t *testing.T, raw []byte) {
	t.Helper()
	var doc struct {
		Hub         map[string]any            `json:"hub"`
		Coordinator map[string]any            `json:"coordinator"`
		Members     map[string]map[string]any `json:"members"`
		Users       []map[string]any          `json:"users"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse endpoints.json: %v", err)
	}
	need := func(where string, m map[string]any, keys ...string) {
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("endpoints.json: %s has no %q", where, k)
			}
		}
	}
	need("hub", doc.Hub, "nats", "pid")
	need("coordinator", doc.Coordinator, "url", "database", "nats", "nats_operator", "pids")
	for _, code := range []string{"CI", "BF"} {
		need("members."+code, doc.Members[code], "casework", "relay", "idp", "database", "nats", "nats_operator", "nats_store", "pids")
	}
	if len(doc.Users) < 11 {
		t.Errorf("endpoints.json lists %d users, want the 11 demo users", len(doc.Users))
	}
	for _, u := range doc.Users {
		need("users[]", u, "username", "password", "role", "country", "agency", "access_token")
	}
}

func token(t *testing.T, e sandbox.Endpoints, username string) string {
	t.Helper()
	for _, u := range e.Users {
		if u.Username == username {
			exp, err := time.Parse(time.RFC3339, u.ExpiresAt)
			if err != nil || time.Until(exp) < 8*time.Hour-time.Minute {
				t.Errorf("%s's token expires at %q: want at least 8 hours", username, u.ExpiresAt)
			}
			return u.AccessToken
		}
	}
	t.Fatalf("no demo user %s in endpoints.json", username)
	return ""
}

// historyHas checks that a referral's history reaches each status, in
// order (casework's history entries name the status a step led to in
// to_status).
func historyHas(history []map[string]any, statuses ...string) error {
	var seen []string
	for _, h := range history {
		if s, ok := h["to_status"].(string); ok {
			seen = append(seen, s)
		}
	}
	next := 0
	for _, s := range seen {
		if next < len(statuses) && s == statuses[next] {
			next++
		}
	}
	if next < len(statuses) {
		return fmt.Errorf("history goes through %v, want %v in that order", seen, statuses)
	}
	return nil
}

// checkPersonalData looks for personal data everywhere the sandbox keeps
// data: the child's names and birth date, and the free text of the
// lifecycle's events (questions and answers, handover places and people,
// notes), each needle a value unique to this run. They must be in CI's and
// BF's databases, and nowhere else (NATS stores, logs, keys,
// configurations, the agencies' overdue notices, the coordinator's
// database and everything its API serves).
func checkPersonalData(t *testing.T, dir string, e sandbox.Endpoints, coordinator sandbox.API, needles map[string]string) {
	t.Helper()
	holds := func(data []byte, n string, alsoHex bool) bool {
		return bytes.Contains(data, []byte(n)) || (alsoHex && bytes.Contains(data, []byte(hex.EncodeToString([]byte(n)))))
	}
	leaks := func(where string, data []byte, alsoHex bool) []string {
		var found []string
		for what, n := range needles {
			if holds(data, n, alsoHex) {
				found = append(found, what+" in "+where)
			}
		}
		return found
	}

	// Every file of the sandbox but the PostgreSQL cluster: NATS stores of
	// the hub and every member, logs of every process, keys, the directory,
	// identity provider configurations, endpoints.json, env.sh.
	scanned := 0
	var storeFiles int
	notices := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path == filepath.Join(dir, "postgres") {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned++
		if strings.HasPrefix(path, filepath.Join(dir, "nats")+string(filepath.Separator)) {
			storeFiles++
		}
		// The webhook bodies the agencies received, as received.
		notices = notices || (path == filepath.Join(dir, "logs", "notices.log") && len(data) > 0)
		for _, leak := range leaks(path, data, false) {
			t.Errorf("personal data leaked: %s", leak)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if storeFiles == 0 {
		t.Error("no NATS store files scanned: the check looked in the wrong place")
	}
	if !notices {
		t.Error("no overdue notice scanned: logs/notices.log is missing or empty")
	}
	t.Logf("scanned %d files (%d in NATS stores) for %d pieces of personal data", scanned, storeFiles, len(needles))

	dumpCoord := pgDump(t, e.Coordinator.Database)
	for _, leak := range leaks("the coordinator's database", dumpCoord, true) {
		t.Errorf("personal data leaked: %s", leak)
	}
	outputs := coordinatorOutputs(t, e, coordinator)
	for path, body := range outputs {
		for _, leak := range leaks("the coordinator's "+path, body, false) {
			t.Errorf("personal data leaked: %s", leak)
		}
	}
	t.Logf("scanned %d responses of the coordinator's API and pages", len(outputs))
	// The same search finds them where they belong, so it can fail: in the
	// records, or in the messages of the exchange tables (bytea, dumped in
	// hex), which keep a free-text note the records do not.
	for code, m := range map[string]sandbox.MemberEndpoint{"CI": e.Members["CI"], "BF": e.Members["BF"]} {
		dump := pgDump(t, m.Database)
		for what, n := range needles {
			if !holds(dump, n, true) {
				t.Errorf("%s's database lacks the %s; the search is broken or the record incomplete", code, what)
			}
		}
	}
}

// pgDump dumps a database with the installed pg_dump: the one beside the
// server binaries, so that its version matches the server's.
func pgDump(t *testing.T, dsn string) []byte {
	t.Helper()
	bins, err := pgserver.FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	initdb, err := filepath.EvalSymlinks(bins.Initdb)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(filepath.Dir(initdb), "pg_dump"), "--no-owner", "--dbname="+dsn)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg_dump: %v: %s", err, stderr.String())
	}
	return out
}

func get(ctx context.Context, hc *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// eventually polls check until it succeeds or a minute passes.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	const timeout = time.Minute
	deadline := time.After(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		select {
		case <-deadline:
			t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
		case <-tick.C:
		}
	}
}

func randomLetters(t *testing.T, n int) string {
	t.Helper()
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(letters))))
		if err != nil {
			t.Fatal(err)
		}
		b[i] = letters[k.Int64()]
	}
	return string(b)
}

// randomBirthDate returns a date in 2011–2013 (a child of 12 to 15), so
// that the string can be told from the timestamps around it.
func randomBirthDate(t *testing.T) string {
	t.Helper()
	k, err := rand.Int(rand.Reader, big.NewInt(3*365))
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(k.Int64())).Format(time.DateOnly)
}

// testWriter sends the sandbox's progress to the test log and keeps it.
type testWriter struct {
	t  *testing.T
	mu sync.Mutex
	b  strings.Builder
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	w.t.Logf("sandbox: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (w *testWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
