package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/pgtest"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
	"github.com/corridor-org/corridor/services/coordinator/internal/web"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

var schema = pgtest.Template{Name: "coordinator", Migrate: coordinator.Migrate}

// userHeader names the test user a request comes from: the test
// authenticator's stand-in for a session.
const userHeader = "X-Test-User"

// people are the test users, by name.
var people = map[string]auth.Principal{
	"coordinator": {Subject: "coord-1", Username: "coordinator", Country: "ECOWAS", Agency: "ECOWAS-CLU",
		Roles: []corridor.Role{corridor.RoleCoordinator}},
	// A coordinator's focal point in a member country signs in with that
	// country's provider.
	"ci-coordinator": {Subject: "ci-coord", Username: "ci-coordinator", Country: "CI", Agency: "CI-DGT",
		Roles: []corridor.Role{corridor.RoleCoordinator}},
	"bf-caseworker": {Subject: "bf-cw", Username: "bf-caseworker", Country: "BF", Agency: "BF-DPE",
		Roles: []corridor.Role{corridor.RoleCaseworker, corridor.RoleSupervisor}},
	"bf-admin": {Subject: "bf-admin", Username: "bf-admin", Country: "BF", Agency: "BF-DPE",
		Roles: []corridor.Role{corridor.RoleAdmin, corridor.RoleAuditor}},
}

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

// staticDir is a directory source that always gives its directory.
type staticDir struct{ d *directory.Directory }

func (s staticDir) Current(context.Context) (*directory.Directory, error) { return s.d, nil }

// testDir is the corridor: Côte d'Ivoire, Burkina Faso, and Ghana, which
// has never reported an event.
var testDir = &directory.Directory{
	Corridor:   "ci-bf",
	Members:    []directory.Member{{Code: corridor.Coordinator}, {Code: "CI"}, {Code: "BF"}, {Code: "GH"}},
	TimeLimits: testLimits,
	Targets: []directory.Target{{ID: "decisions-in-time", Indicator: "decided_within_limit", Percent: 90, Period: "quarter",
		Description: "Nine referrals in ten decided within the limit"}},
}

var testLimits = directory.TimeLimits{RespondWithinHours: 72, InformationResponseWithinHours: 72,
	HandoverWithinDays: 30, FollowUpEveryDays: 180}

// limits are the corridor's time limits in the tests.
var limits = coordinator.DueLimits(testLimits)

// testNow is the pages' clock: the middle of a quarter, so that every
// seeded event falls in it.
var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// site is the pages over their own database.
type site struct {
	t    *testing.T
	pool *pgxpool.Pool
	h    http.Handler
	now  time.Time
}

func newSite(t *testing.T) *site {
	t.Helper()
	pool := pg.NewPool(t, schema)
	now := testNow
	pages, err := web.New(web.Config{
		DB: pool, Directory: staticDir{testDir}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Authenticate: authenticate, CSRFToken: func(*http.Request) string { return "test-csrf" },
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	pages.Register(mux)
	return &site{t: t, pool: pool, h: mux, now: now}
}

// store stores events as the consumer does, bringing their cases' rows up
// to date.
func (s *site) store(events ...coordinator.Event) {
	s.t.Helper()
	for _, ev := range events {
		err := pgx.BeginFunc(s.t.Context(), s.pool, func(tx pgx.Tx) error {
			_, err := coordinator.StoreEvent(s.t.Context(), tx, ev, limits)
			return err
		})
		if err != nil {
			s.t.Fatal(err)
		}
	}
}

// response is a page's answer.
type response struct {
	status int
	header http.Header
	body   string
}

// get requests path as user (none: not signed in) in language lang.
func (s *site) get(user, lang, path string) response {
	s.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if user != "" {
		req.Header.Set(userHeader, user)
	}
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// mustGet is get expecting status.
func (s *site) mustGet(user, lang, path string, status int) response {
	s.t.Helper()
	r := s.get(user, lang, path)
	if r.status != status {
		s.t.Fatalf("GET %s as %q: status %d, want %d\n%s", path, user, r.status, status, r.body)
	}
	return r
}

// ev is a referral_sent event of a new case from CI to BF at at; change it
// with the fields' values.
func ev(caseRef, referralID, milestone, member string, at time.Time) coordinator.Event {
	return coordinator.Event{
		EventID: corridor.NewID("trk-"), Corridor: "ci-bf", CaseRef: caseRef, ReferralID: referralID,
		Milestone: milestone, Member: corridor.MemberCode(member), SenderMember: "CI", SenderAgency: "CI-DGT",
		RecipientMember: "BF", RecipientAgency: "BF-DPE", At: at, Sector: "A", AgeBand: "12-14", Sex: "female",
	}
}

func contains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func lacks(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(body, u) {
			t.Errorf("%s has %q", what, u)
		}
	}
}

var (
	headingTag = regexp.MustCompile(`<h([1-6])[\s>]`)
	controlID  = regexp.MustCompile(`<(?:input|select|textarea) id="([^"]+)"`)
	tableTag   = regexp.MustCompile(`<table[\s>]`)
)

// accessible checks what a page's structure owes assistive technology.
func accessible(t *testing.T, what, body string) {
	t.Helper()
	for _, p := range accessibilityProblems(body) {
		t.Errorf("%s: %s", what, p)
	}
}

// accessibilityProblems lists what body lacks: one h1, no heading level
// skipped, a label for every control, a caption for every table.
func accessibilityProblems(body string) []string {
	var out []string
	level, h1 := 0, 0
	for _, m := range headingTag.FindAllStringSubmatch(body, -1) {
		l := int(m[1][0] - '0')
		if l == 1 {
			h1++
		}
		if l > level+1 {
			out = append(out, fmt.Sprintf("heading h%d follows h%d", l, level))
		}
		level = l
	}
	if h1 != 1 {
		out = append(out, fmt.Sprintf("%d h1 headings, want 1", h1))
	}
	for _, m := range controlID.FindAllStringSubmatch(body, -1) {
		if !strings.Contains(body, `<label for="`+m[1]+`"`) {
			out = append(out, "control "+m[1]+" has no label")
		}
	}
	if tables, captions := len(tableTag.FindAllString(body, -1)), strings.Count(body, "<caption>"); tables != captions {
		out = append(out, fmt.Sprintf("%d tables, %d captions", tables, captions))
	}
	return out
}
