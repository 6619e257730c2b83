package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/pgtest"
	"github.com/corridor-org/corridor/services/casework/internal/referral/referraltest"
	"github.com/corridor-org/corridor/services/casework/internal/store"
	"github.com/corridor-org/corridor/services/casework/internal/web"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

var schema = pgtest.Template{Name: "casework", Migrate: store.Migrate}

// userHeader names the test user a request comes from: the test
// authenticator's stand-in for a session.
const userHeader = "X-Test-User"

// csrfToken is the token the test sessions carry.
const csrfToken = "test-csrf-token"

// people are the test users, by name.
var people = map[string]auth.Principal{
	"ci-inspector": {Subject: "ci-inspector", Username: "ci-inspector", Country: "CI", Agency: "CI-DGT", Roles: []corridor.Role{corridor.RoleInspector}},
	"ci-supervisor": {Subject: "ci-supervisor", Username: "ci-supervisor", Country: "CI", Agency: "CI-DGT",
		Roles: []corridor.Role{corridor.RoleInspector, corridor.RoleSupervisor}},
	"bf-caseworker": {Subject: "bf-caseworker", Username: "bf-caseworker", Country: "BF", Agency: "BF-DPE", Roles: []corridor.Role{corridor.RoleCaseworker}},
	"bf-supervisor": {Subject: "bf-supervisor", Username: "bf-supervisor", Country: "BF", Agency: "BF-DPE",
		Roles: []corridor.Role{corridor.RoleCaseworker, corridor.RoleSupervisor}},
	"bf-other-agency": {Subject: "bf-other", Username: "bf-other", Country: "BF", Agency: "BF-REFUGE", Roles: []corridor.Role{corridor.RoleCaseworker}},
	"bf-admin":        {Subject: "bf-admin", Username: "bf-admin", Country: "BF", Agency: "BF-DPE", Roles: []corridor.Role{"admin"}},
	// Failed messages are the supervisors' today and the country
	// administrators' under the policy to come: this user is both.
	"bf-operator": {Subject: "bf-operator", Username: "bf-operator", Country: "BF", Agency: "BF-DPE",
		Roles: []corridor.Role{corridor.RoleSupervisor, "admin"}},
	"bf-coordinator": {Subject: "bf-coordinator", Username: "bf-coordinator", Country: "BF", Agency: "BF-DPE", Roles: []corridor.Role{corridor.RoleCoordinator}},
}

// authenticate is the test's authenticator: the principal named by the
// request's userHeader, or a 401 without one.
func authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := people[r.Header.Get(userHeader)]
		if !ok {
			http.Error(w, "log in", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
	})
}

// member is one country's casework with its pages.
type member struct {
	t    *testing.T
	code corridor.MemberCode
	pool *pgxpool.Pool
	svc  *workflow.Service
	h    http.Handler
}

func newMember(t *testing.T, code corridor.MemberCode) *member {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	pool := pg.NewPool(t, schema)
	svc, err := workflow.New(pool, workflow.Config{Member: code, Corridor: "ci-bf",
		FollowUpEvery: 90 * 24 * time.Hour, InformationResponseWithin: 48 * time.Hour, HandoverWithin: 30 * 24 * time.Hour},
		referraltest.Dir, time.Now, logger)
	if err != nil {
		t.Fatal(err)
	}
	site, err := web.New(web.Config{Service: svc, Logger: logger, Authenticate: authenticate, DefaultLanguage: "fr",
		RelayURL:  "https://relay." + code.Domain() + ".example",
		CSRFToken: func(*http.Request) string { return csrfToken }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	mux.Handle("/", site.NotFound())
	return &member{t: t, code: code, pool: pool, svc: svc, h: mux}
}

// corridorPair is CI and BF with one referral CI's inspector filed and BF
// received.
func corridorPair(t *testing.T) (ci, bf *member, id string) {
	t.Helper()
	ci, bf = newMember(t, "CI"), newMember(t, "BF")
	d, err := referraltest.Decode(referraltest.Example(t))
	if err != nil {
		t.Fatal(err)
	}
	ref, _, err := ci.svc.Create(context.Background(), referraltest.Inspector, d, "", "")
	if err != nil {
		t.Fatalf("file the referral: %v", err)
	}
	ci.relayTo(bf)
	return ci, bf, ref.ID
}

// relayTo carries m's unsent outbox messages to to's inbox and applies
// them, as the relays and the applier would.
func (m *member) relayTo(to *member) {
	m.t.Helper()
	ctx := context.Background()
	rows, err := m.pool.Query(ctx, `SELECT message_id FROM exchange_outbox WHERE recipient_member = $1 ORDER BY created_at, message_id`, string(to.code))
	if err != nil {
		m.t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		m.t.Fatal(err)
	}
	for _, id := range ids {
		msg, err := exchange.GetOutbox(ctx, m.pool, id)
		if err != nil {
			m.t.Fatal(err)
		}
		if _, err := exchange.InsertInbox(ctx, to.pool, exchange.InboxMessage{
			MessageID: msg.MessageID, Corridor: msg.Corridor, MessageType: msg.MessageType, CaseRef: msg.CaseRef,
			ReferralID: msg.ReferralID, SenderMember: m.code, SenderAgency: msg.SenderAgency,
			RecipientAgency: msg.RecipientAgency, SentAt: msg.CreatedAt, Payload: msg.Payload,
		}); err != nil {
			m.t.Fatal(err)
		}
	}
	if _, err := to.svc.ApplyInbox(ctx); err != nil {
		m.t.Fatal(err)
	}
}

// page is a response with its body read.
type page struct {
	status int
	header http.Header
	body   string
}

// get requests path as user (none when empty) in language lang.
func (m *member) get(user, path, lang string) page {
	m.t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	return m.do(r, user, lang)
}

// post posts form to path as user.
func (m *member) post(user, path string, form url.Values) page {
	m.t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return m.do(r, user, "fr")
}

func (m *member) do(r *http.Request, user, lang string) page {
	m.t.Helper()
	if user != "" {
		r.Header.Set(userHeader, user)
	}
	if lang != "" {
		r.Header.Set("Accept-Language", lang)
	}
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	return page{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// status reads referral id's status as user sees it.
func (m *member) status(user, id string) string {
	m.t.Helper()
	ref, err := m.svc.Get(context.Background(), workflow.CallerOf(people[user]), id)
	if err != nil {
		m.t.Fatalf("get %s as %s: %v", id, user, err)
	}
	return string(ref.Status)
}
