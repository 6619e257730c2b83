package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/pkg/pgtest"
	"github.com/corridor-org/corridor/services/casework/internal/api"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
	"github.com/corridor-org/corridor/services/casework/internal/store"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

var schema = pgtest.Template{Name: "casework", Migrate: store.Migrate}

// signingKey is one RSA key for every test's identity provider: generating
// one per test would dominate the run time. It is never changed.
var signingKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

const (
	webClient   = "corridor-web"
	otherClient = "other-app" // a client whose tokens are for another audience
	redirectURI = "http://127.0.0.1/callback"
)

// testDirectory is the sandbox corridor's agencies, with the services the
// child-protection agencies offer.
type testDirectory map[corridor.MemberCode]map[string]referral.Agency

// panickingAgency is an agency id whose lookup panics, standing for a bug
// that some message triggers.
const panickingAgency = "BF-PANIC"

func (d testDirectory) Agency(_ context.Context, m corridor.MemberCode, id string) (referral.Agency, error) {
	if id == panickingAgency {
		panic("directory lookup panicked (test)")
	}
	a, ok := d[m][id]
	if !ok {
		return referral.Agency{}, corridor.Errorf(corridor.KindNotFound, "no such agency")
	}
	return a, nil
}

// Current makes the test directory a directory.Source, for the agency
// list: each agency covers its capital.
func (d testDirectory) Current(context.Context) (*directory.Directory, error) {
	capitals := map[corridor.MemberCode][]string{"CI": {"CI-AB"}, "BF": {"BF-03"}}
	dir := &directory.Directory{Corridor: "ci-bf"}
	for _, code := range slices.Sorted(maps.Keys(d)) {
		m := directory.Member{Code: code, Name: "Member " + string(code)}
		for _, id := range slices.Sorted(maps.Keys(d[code])) {
			m.Agencies = append(m.Agencies, directory.Agency{ID: id, Name: "Agency " + id,
				Services: d[code][id].Services, Places: capitals[code]})
		}
		dir.Members = append(dir.Members, m)
	}
	return dir, nil
}

var services = []string{"family_tracing", "reunification", "education", "psychosocial", "medical"}

// followUpEvery is the corridor's follow-up interval in the tests.
const followUpEvery = 90 * 24 * time.Hour

// infoResponseWithin and handoverWithin are the corridor's other time
// limits in the tests.
const (
	infoResponseWithin = 48 * time.Hour
	handoverWithin     = 30 * 24 * time.Hour
)

func corridorDirectory() testDirectory {
	return testDirectory{
		"CI": {"CI-DGT": {}, "CI-DPE": {Services: services}},
		"BF": {"BF-DGT": {}, "BF-DPE": {Services: services},
			// A second recipient, for re-referrals and the agency list.
			"BF-REFUGE": {Services: []string{"shelter", "family_tracing", "reunification", "education"}}},
		"COORD": {"ECOWAS-CLU": {}},
	}
}

// member is one country's casework, as a test runs it: its own database,
// identity provider and HTTP server, and the inbox applier.
type member struct {
	t      *testing.T
	code   corridor.MemberCode
	pool   *pgxpool.Pool
	svc    *workflow.Service
	srv    *httptest.Server
	issuer string

	mu     sync.Mutex
	tokens map[string]string
}

// newMember starts member code's casework, with its inbox applier running
// until the test ends when withApplier is set; opts change the workflow's
// configuration.
func newMember(t *testing.T, code corridor.MemberCode, withApplier bool, opts ...func(*workflow.Config)) *member {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	audience := "corridor-" + code.Domain()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	users := oidcdev.DemoUsers(code)
	// A user of this provider whose token claims another country: the
	// verifier must refuse it, since the provider may vouch for its own
	// country only.
	users = append(users, oidcdev.User{Username: "foreigner", Password: oidcdev.DemoPassword,
		Roles: []string{"inspector"}, Country: "ML", Agency: "ML-DGT"})
	// A user without an agency, and one whose agency is not in the
	// directory.
	users = append(users, oidcdev.User{Username: "nobody", Password: oidcdev.DemoPassword,
		Roles: []string{"inspector"}})
	users = append(users, oidcdev.User{Username: "ghost", Password: oidcdev.DemoPassword,
		Roles: []string{"inspector"}, Agency: string(code) + "-GHOST"})
	// A user whose token has no roles claim at all.
	users = append(users, oidcdev.User{Username: "roleless", Password: oidcdev.DemoPassword,
		Agency: string(code) + "-DPE", Claims: map[string]any{auth.ClaimRoles: nil}})
	// A colleague of the demo inspector who did not file its referrals,
	// and the supervisor of their agency.
	lower := strings.ToLower(string(code))
	users = append(users, oidcdev.User{Username: lower + "-colleague", Password: oidcdev.DemoPassword,
		Roles: []string{"inspector"}, Country: code, Agency: string(code) + "-DGT"})
	users = append(users, oidcdev.User{Username: lower + "-dgt-supervisor", Password: oidcdev.DemoPassword,
		Roles: []string{"inspector", "supervisor"}, Country: code, Agency: string(code) + "-DGT"})
	idp, err := oidcdev.New(oidcdev.Config{
		Issuer:   issuer,
		Audience: audience,
		Country:  code,
		Users:    users,
		Clients: []oidcdev.Client{
			{ID: webClient, Public: true, RedirectURIs: []string{redirectURI}},
			{ID: otherClient, Public: true, RedirectURIs: []string{redirectURI}, Audience: "corridor-elsewhere"},
		},
		SigningKey: signingKey(),
	}, logger)
	if err != nil {
		t.Fatal(err)
	}
	idpSrv := httptest.NewUnstartedServer(idp.Handler())
	idpSrv.Listener.Close()
	idpSrv.Listener = ln
	idpSrv.Start()
	t.Cleanup(idpSrv.Close)

	pool := pg.NewPool(t, schema)
	reg := httpapi.NewRegistry()
	wcfg := workflow.Config{Member: code, Corridor: "ci-bf", Registerer: reg,
		FollowUpEvery: followUpEvery, InformationResponseWithin: infoResponseWithin, HandoverWithin: handoverWithin}
	for _, o := range opts {
		o(&wcfg)
	}
	svc, err := workflow.New(pool, wcfg, corridorDirectory(), time.Now, logger)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewVerifier(auth.Config{Issuers: []auth.Issuer{{URL: issuer, Audience: audience, Member: code}}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	handler, err := api.New(api.Config{Service: svc, Verifier: verifier, Directory: corridorDirectory(), Logger: logger, Registry: reg,
		Ready: []httpapi.Check{{Name: "database", Check: pool.Ping}}, Audit: pool})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)

	if withApplier {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			svc.RunApplier(ctx, 100*time.Millisecond)
		}()
		t.Cleanup(func() { cancel(); <-done })
	}
	return &member{t: t, code: code, pool: pool, svc: svc, srv: srv, issuer: issuer, tokens: map[string]string{}}
}

// tokenFor logs username in through the real authorization code flow of the
// member's provider, with the given client, once per test.
func (m *member) tokenFor(client, username string) string {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	key := client + "/" + username
	if tok, ok := m.tokens[key]; ok {
		return tok
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := oidcdev.PasswordLogin(ctx, nil, m.issuer, client, redirectURI, username, oidcdev.DemoPassword)
	if err != nil {
		m.t.Fatalf("log %s in: %v", username, err)
	}
	m.tokens[key] = tok.AccessToken
	return tok.AccessToken
}

func (m *member) token(username string) string { return m.tokenFor(webClient, username) }

// response is an HTTP response with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return v
}

// problem decodes a problem document, checking its media type.
func (r response) problem(t *testing.T) httpapi.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != httpapi.ContentTypeProblem {
		t.Fatalf("Content-Type = %q, want %q; body %s", ct, httpapi.ContentTypeProblem, r.body)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("not a problem document: %v\n%s", err, r.body)
	}
	return p
}

// do sends a request with a bearer token (none when empty) and, for a
// non-nil body, a JSON body: a []byte or string is sent as is, anything
// else is encoded.
func (m *member) do(method, path, token string, body any) response {
	m.t.Helper()
	return m.doWith(method, path, token, body, nil)
}

// doWith is do with extra request headers.
func (m *member) doWith(method, path, token string, body any, header http.Header) response {
	m.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			m.t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, m.srv.URL+path, rd)
	if err != nil {
		m.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := m.srv.Client().Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	return readResponse(m.t, resp)
}

func readResponse(t *testing.T, resp *http.Response) response {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// exampleBytes is docs/examples/referral.json.
func exampleBytes(t *testing.T) []byte {
	t.Helper()
	return readExample(t, "referral.json")
}

// readExample reads a file of docs/examples.
func readExample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exampleDoc is docs/examples/referral.json as a generic JSON object that a
// test can break one field of.
func exampleDoc(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(exampleBytes(t), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// set replaces the value at a dotted path ("child.sex", "work.hazards.0")
// in a generic JSON document; a nil value deletes the key.
func set(t *testing.T, doc map[string]any, path string, value any) map[string]any {
	t.Helper()
	parts := strings.Split(path, ".")
	var cur any = doc
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if value == nil {
					delete(c, p)
				} else {
					c[p] = value
				}
				return doc
			}
			next, ok := c[p]
			if !ok {
				next = map[string]any{}
				c[p] = next
			}
			cur = next
		case []any:
			var idx int
			if err := json.Unmarshal([]byte(p), &idx); err != nil || idx >= len(c) {
				t.Fatalf("bad index %q in %s", p, path)
			}
			if last {
				c[idx] = value
				return doc
			}
			cur = c[idx]
		default:
			t.Fatalf("cannot descend into %s", path)
		}
	}
	return doc
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// count returns the number of rows of a table.
func (m *member) count(table string) int {
	m.t.Helper()
	var n int
	if err := m.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		m.t.Fatal(err)
	}
	return n
}

// outbox returns the outbox messages about a referral, oldest first.
func (m *member) outbox(referralID string) []exchange.OutboxMessage {
	m.t.Helper()
	rows, err := m.pool.Query(context.Background(),
		`SELECT message_id FROM exchange_outbox WHERE referral_id = $1 ORDER BY created_at, message_id`, referralID)
	if err != nil {
		m.t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		m.t.Fatal(err)
	}
	var out []exchange.OutboxMessage
	for _, id := range ids {
		msg, err := exchange.GetOutbox(context.Background(), m.pool, id)
		if err != nil {
			m.t.Fatal(err)
		}
		out = append(out, msg)
	}
	return out
}

// relay carries an outbox message of m to the inbox of to, as the two
// relays would once it is sealed, sent, received and opened.
func (m *member) relay(msg exchange.OutboxMessage, to *member) {
	m.t.Helper()
	if msg.RecipientMember != to.code {
		m.t.Fatalf("message %s is for %s, not %s", msg.MessageID, msg.RecipientMember, to.code)
	}
	inserted, err := exchange.InsertInbox(context.Background(), to.pool, exchange.InboxMessage{
		MessageID:       msg.MessageID,
		Corridor:        msg.Corridor,
		MessageType:     msg.MessageType,
		CaseRef:         msg.CaseRef,
		ReferralID:      msg.ReferralID,
		SenderMember:    m.code,
		SenderAgency:    msg.SenderAgency,
		RecipientAgency: msg.RecipientAgency,
		SentAt:          msg.CreatedAt,
		Payload:         msg.Payload,
	})
	if err != nil || !inserted {
		m.t.Fatalf("insert into %s inbox: inserted %v, %v", to.code, inserted, err)
	}
}

// receipt records the recipient's receipt for one of m's outbox messages,
// as m's relay does once it has verified it.
func (m *member) receipt(messageID string) {
	m.t.Helper()
	if _, err := exchange.RecordReceipt(context.Background(), m.pool, messageID, time.Now(), []byte("signed receipt")); err != nil {
		m.t.Fatal(err)
	}
}

// get reads a referral through the API.
func (m *member) get(username, id string) map[string]any {
	m.t.Helper()
	r := m.do(http.MethodGet, "/api/v1/referrals/"+id, m.token(username), nil)
	if r.status != http.StatusOK {
		m.t.Fatalf("GET referral %s as %s: %d %s", id, username, r.status, r.body)
	}
	return r.json(m.t)
}

// statusOf reads a referral's status, or "" when the user cannot see it
// (yet).
func (m *member) statusOf(username, id string) string {
	m.t.Helper()
	r := m.do(http.MethodGet, "/api/v1/referrals/"+id, m.token(username), nil)
	if r.status != http.StatusOK {
		return ""
	}
	s, _ := r.json(m.t)["status"].(string)
	return s
}

// waitStatus waits until the user sees the referral in status want.
func (m *member) waitStatus(username, id, want string) {
	m.t.Helper()
	waitFor(m.t, fmt.Sprintf("%s to see referral in status %s", m.code, want), func() bool {
		return m.statusOf(username, id) == want
	})
}

// create files docs/examples/referral.json as username and returns the
// response body.
func (m *member) create(username string) map[string]any {
	m.t.Helper()
	r := m.do(http.MethodPost, "/api/v1/referrals", m.token(username), exampleBytes(m.t))
	if r.status != http.StatusCreated {
		m.t.Fatalf("create referral as %s: %d %s", username, r.status, r.body)
	}
	return r.json(m.t)
}
