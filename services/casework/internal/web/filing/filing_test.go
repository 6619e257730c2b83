package filing_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/pgtest"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/pkg/webui/webuitest"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
	"github.com/corridor-org/corridor/services/casework/internal/store"
	"github.com/corridor-org/corridor/services/casework/internal/web/filing"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
	"github.com/jackc/pgx/v5/pgxpool"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

var schema = pgtest.Template{Name: "casework", Migrate: store.Migrate}

// agencies is the test corridor's directory: two members and the
// coordinator, with the services BF's child-protection agency offers.
var agencies = map[corridor.MemberCode]map[string][]string{
	"CI":    {"CI-DGT": nil, "CI-DPE": {"family_tracing", "reunification", "education"}},
	"BF":    {"BF-DPE": {"family_tracing", "reunification", "education", "psychosocial"}},
	"COORD": {"ECOWAS-CLU": nil},
}

type testDirectory struct{}

func (testDirectory) Agency(_ context.Context, m corridor.MemberCode, id string) (referral.Agency, error) {
	s, ok := agencies[m][id]
	if !ok {
		return referral.Agency{}, corridor.Errorf(corridor.KindNotFound, "no such agency")
	}
	return referral.Agency{Services: s}, nil
}

func (testDirectory) Current(context.Context) (*directory.Directory, error) {
	d := &directory.Directory{Corridor: "ci-bf"}
	for _, code := range []corridor.MemberCode{"BF", "CI", "COORD"} {
		m := directory.Member{Code: code, Name: "Member " + string(code)}
		for _, id := range slices.Sorted(func(yield func(string) bool) {
			for id := range agencies[code] {
				if !yield(id) {
					return
				}
			}
		}) {
			m.Agencies = append(m.Agencies, directory.Agency{ID: id, Name: "Agency " + id, Services: agencies[code][id]})
		}
		d.Members = append(d.Members, m)
	}
	return d, nil
}

// users are the signed-in people of the tests, by the name the test
// session cookie carries.
var users = map[string]auth.Principal{
	"inspector":   {Subject: "u-inspector", Country: "CI", Agency: "CI-DGT", Roles: []corridor.Role{corridor.RoleInspector}},
	"colleague":   {Subject: "u-colleague", Country: "CI", Agency: "CI-DGT", Roles: []corridor.Role{corridor.RoleInspector}},
	"caseworker":  {Subject: "u-caseworker", Country: "CI", Agency: "CI-DPE", Roles: []corridor.Role{corridor.RoleCaseworker}},
	"supervisor":  {Subject: "u-supervisor", Country: "CI", Agency: "CI-DGT", Roles: []corridor.Role{corridor.RoleInspector, corridor.RoleSupervisor}},
	"coordinator": {Subject: "u-coordinator", Country: "CI", Agency: "CI-DGT", Roles: []corridor.Role{corridor.RoleCoordinator}},
}

// site is the filing pages of CI's casework on a database of their own.
type site struct {
	t    *testing.T
	pool *pgxpool.Pool
	srv  *httptest.Server
	// down cuts the network: every connection is closed unanswered, as a
	// phone without signal sees it.
	down atomic.Bool
}

// newSite serves the filing pages. The wiring's session handling is
// stood in for by a cookie naming the user: Authenticate puts that user's
// principal in the context, and the CSRF token is derived from the name.
func newSite(t *testing.T) *site {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	pool := pg.NewPool(t, schema)
	svc, err := workflow.New(pool, workflow.Config{Member: "CI", Corridor: "ci-bf",
		FollowUpEvery: 90 * 24 * time.Hour, InformationResponseWithin: 48 * time.Hour, HandoverWithin: 30 * 24 * time.Hour},
		testDirectory{}, time.Now, logger)
	if err != nil {
		t.Fatal(err)
	}
	authenticate := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var p auth.Principal
			c, err := r.Cookie("test-user")
			if err == nil {
				p, err = lookupUser(c.Value)
			}
			if err != nil {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
		})
	}
	u, err := webui.New(webui.Config{Logger: logger, Assets: []fs.FS{filing.Assets()}, CSRFToken: csrfToken})
	if err != nil {
		t.Fatal(err)
	}
	h, err := filing.New(filing.Config{UI: u, Service: svc, Directory: testDirectory{}, Member: "CI",
		Authenticate: authenticate, CSRFToken: csrfToken, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(filing.Prefix, u.Middleware(h))
	mux.Handle(webui.StaticPrefix, u.Middleware(u.Static()))
	s := &site{t: t, pool: pool}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.down.Load() {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func lookupUser(name string) (auth.Principal, error) {
	p, ok := users[name]
	if !ok {
		return p, corridor.Errorf(corridor.KindUnauthorized, "no such user")
	}
	return p, nil
}

func csrfToken(r *http.Request) string {
	c, err := r.Cookie("test-user")
	if err != nil {
		return ""
	}
	return "csrf-" + c.Value
}

type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request as user ("" for nobody), not following redirects.
func (s *site) do(user, method, path string, body url.Values, header map[string]string) response {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.AddCookie(&http.Cookie{Name: "test-user", Value: user})
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (s *site) referrals() int {
	s.t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM referrals`).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// deliverAll records that the recipient country has every referral, as
// the receipt's arrival does.
func (s *site) deliverAll() {
	s.t.Helper()
	if _, err := s.pool.Exec(context.Background(), `UPDATE referrals SET status = 'delivered' WHERE status = 'sent'`); err != nil {
		s.t.Fatal(err)
	}
}

// goodForm is a complete referral as an inspector fills the form.
func goodForm(user, key string) url.Values {
	return url.Values{
		"csrf_token":                                {"csrf-" + user},
		"idempotency_key":                           {key},
		"recipient":                                 {"BF/BF-DPE"},
		"kind":                                      {"responsibility"},
		"urgency":                                   {"urgent"},
		"requested_services":                        {"family_tracing", "reunification"},
		"reason":                                    {"Unaccompanied child found doing hazardous work on a cocoa farm."},
		"child.name.given_names":                    {"Demo Issa"},
		"child.name.family_names":                   {"Exemple"},
		"child.sex":                                 {"male"},
		"child.nationalities":                       {"BF"},
		"child.age_years":                           {"13"},
		"child.age_estimated":                       {"true"},
		"child.age_assessment_method":               {"psychosocial_interview"},
		"work.place":                                {"CI-BS"},
		"work.locality":                             {"Synthetic cocoa farm"},
		"work.found_at":                             {"2026-03-02T09:00"},
		"work.sector.section":                       {"A"},
		"work.occupation":                           {"Breaking cocoa pods"},
		"work.hours_per_week":                       {"50"},
		"work.night_work":                           {"no"},
		"work.school_attendance":                    {"dropped_out"},
		"work.c182_categories":                      {"c182_3a", "c182_3d"},
		"work.hazards":                              {"r190_3c", "r190_3d"},
		"work.below_minimum_age":                    {"yes"},
		"trafficking.status":                        {"possible"},
		"trafficking.forced_labour_indicators":      {"deception", "withholding_of_wages"},
		"trafficking.recruitment":                   {"broker"},
		"family.tracing_status":                     {"in_progress"},
		"family.family_knows":                       {"no"},
		"family.guardians.relation":                 {"mother"},
		"family.guardians.name.given_names":         {"Demo Salamata"},
		"family.guardians.locality":                 {"Synthetic village"},
		"best_interests.risk_level":                 {"high"},
		"best_interests.assessment_status":          {"in_progress"},
		"best_interests.urgent_protection_concerns": {"Machete cut on the left hand\n\nNo identity document"},
		"narrative":                                 {"Synthetic demonstration case."},
		"consent.given_by":                          {"child"},
		"consent.to_services":                       {"true"},
		"consent.to_share_abroad":                   {"true"},
		"consent.recorded_at":                       {"2026-03-02T10:30"},
		"consent.withheld.what":                     {"The name of the relative who brought him"},
		"consent.withheld.why":                      {"Fear of reprisals"},
		"sending_officer.name":                      {"Inspecteur Demo"},
		"sending_officer.contact.phone":             {"+22500000000"},
	}
}

func TestFormRendersInEachLanguage(t *testing.T) {
	s := newSite(t)
	tests := []struct {
		acceptLanguage string
		want           []string
	}{
		{"fr-CI,fr;q=0.9", []string{`<html lang="fr">`, "Signaler un enfant", "(d) Travail dangereux", "Abus de vulnérabilité", "présomption de minorité"}},
		{"en-GB,en;q=0.8", []string{`<html lang="en">`, "File a referral", "(d) Hazardous work", "Abuse of vulnerability", "presumption of minority"}},
	}
	for _, tt := range tests {
		t.Run(tt.acceptLanguage, func(t *testing.T) {
			res := s.do("inspector", http.MethodGet, filing.PathNew, nil, map[string]string{"Accept-Language": tt.acceptLanguage})
			if res.status != http.StatusOK {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			// The recipients are the other member's agencies, never this
			// country's or the coordinator's.
			if !strings.Contains(res.body, `value="BF/BF-DPE"`) || strings.Contains(res.body, `value="CI/`) || strings.Contains(res.body, `value="COORD/`) {
				t.Error("the recipient list is not BF's agencies only")
			}
			for _, id := range []string{"referral-form", "step-recipient", "step-consent", "draft-list", "sync-now", "idempotency-key", "f-recipient", "f-work-c182-categories"} {
				if !strings.Contains(res.body, `id="`+id+`"`) {
					t.Errorf("page lacks the element #%s", id)
				}
			}
			if !strings.Contains(res.body, `<meta name="csrf-token" content="csrf-inspector">`) {
				t.Error("page lacks the CSRF token")
			}
			if strings.Contains(res.body, "consent.override.reason") {
				t.Error("an inspector is offered the supervisor's consent override")
			}
		})
	}
}

func TestBadInputShowsAnErrorSummaryLinkingEachField(t *testing.T) {
	s := newSite(t)
	tests := []struct {
		name  string
		form  url.Values
		links []string // the inputs the summary must link to
	}{
		{"empty form", url.Values{"csrf_token": {"csrf-inspector"}, "idempotency_key": {"k-empty"}},
			[]string{"f-recipient", "f-kind", "f-reason", "f-child-name-given-names", "f-child-sex", "f-work-place", "f-work-found-at", "f-work-sector-section", "f-consent-given-by"}},
		{"an age that is not a number, and no sex", func() url.Values {
			f := goodForm("inspector", "k-age")
			f.Set("child.age_years", "thirteen")
			f.Del("child.sex")
			return f
		}(), []string{"f-child-sex", "f-child-age-years"}},
		{"an inspector overriding consent", func() url.Values {
			f := goodForm("inspector", "k-override")
			f.Del("consent.given_by")
			f.Del("consent.to_share_abroad")
			f.Set("consent.override.reason", "The child is in danger")
			return f
		}(), []string{"f-consent-given-by", "f-consent-to-share-abroad"}},
		{"no consent to share abroad", func() url.Values {
			f := goodForm("inspector", "k-consent")
			f.Del("consent.to_share_abroad")
			return f
		}(), []string{"f-consent-to-share-abroad"}},
		{"a service the recipient does not offer", func() url.Values {
			f := goodForm("inspector", "k-service")
			f["requested_services"] = []string{"shelter"}
			return f
		}(), []string{"f-requested-services"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do("inspector", http.MethodPost, filing.PathNew, tt.form, map[string]string{"Accept-Language": "fr"})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", res.status, res.body)
			}
			if !strings.Contains(res.body, `id="error-summary"`) || !strings.Contains(res.body, "Il y a un problème") {
				t.Fatal("no error summary")
			}
			hrefs := regexp.MustCompile(`<a href="#([a-z0-9-]+)">`).FindAllStringSubmatch(res.body, -1)
			var linked []string
			for _, h := range hrefs {
				linked = append(linked, h[1])
				if !strings.Contains(res.body, `id="`+h[1]+`"`) {
					t.Errorf("the summary links to #%s, which is not on the page", h[1])
				}
			}
			// Each field is linked, in the form's order.
			last := -1
			for _, want := range tt.links {
				i := slices.Index(linked, want)
				if i < 0 {
					t.Errorf("the summary does not link to #%s; it links to %v", want, linked)
				}
				if i < last {
					t.Errorf("the summary links to #%s out of the form's order: %v", want, linked)
				}
				last = i
			}
			// What was typed is kept, and so is the key.
			if v := tt.form.Get("reason"); v != "" && !strings.Contains(res.body, v) {
				t.Error("the form lost what was typed")
			}
			if !strings.Contains(res.body, `value="`+tt.form.Get("idempotency_key")+`"`) {
				t.Error("the form lost its idempotency key")
			}
		})
	}
	if n := s.referrals(); n != 0 {
		t.Errorf("%d referrals filed from bad input", n)
	}
}

func TestGoodPostFilesOnceWithTheSameKey(t *testing.T) {
	s := newSite(t)
	form := goodForm("inspector", "form-key-1")
	var locations []string
	for range 2 {
		res := s.do("inspector", http.MethodPost, filing.PathNew, form, nil)
		if res.status != http.StatusSeeOther {
			t.Fatalf("status %d, want 303\n%s", res.status, res.body)
		}
		locations = append(locations, res.header.Get("Location"))
	}
	if locations[0] != locations[1] || !strings.HasPrefix(locations[0], filing.PathSent+"/ref-") {
		t.Errorf("redirects %v: want the same referral twice", locations)
	}
	// The script sends a draft with the key in the header and asks for JSON.
	draft := goodForm("inspector", "")
	draft.Del("idempotency_key")
	var ids []string
	for range 2 {
		res := s.do("inspector", http.MethodPost, filing.PathNew, draft, map[string]string{
			"Accept": "application/json", "Idempotency-Key": "draft-abc", "X-CSRF-Token": "csrf-inspector"})
		if res.status != http.StatusCreated {
			t.Fatalf("status %d, want 201\n%s", res.status, res.body)
		}
		var v struct{ ID, Status, URL string }
		if err := json.Unmarshal([]byte(res.body), &v); err != nil {
			t.Fatal(err)
		}
		if v.Status != "sent" || v.URL != filing.PathSent+"/"+v.ID {
			t.Errorf("answer %+v", v)
		}
		ids = append(ids, v.ID)
	}
	if ids[0] != ids[1] {
		t.Errorf("the same draft filed twice: %v", ids)
	}
	if n := s.referrals(); n != 2 {
		t.Errorf("%d referrals filed, want 2 (one per key)", n)
	}
	// The same key with other answers files nothing, and says so.
	changed := goodForm("inspector", "form-key-1")
	changed.Set("reason", "Other answers")
	res := s.do("inspector", http.MethodPost, filing.PathNew, changed, map[string]string{"Accept-Language": "en"})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "already sent with other answers") ||
		strings.Contains(res.body, `value="form-key-1"`) {
		t.Errorf("a reused key: status %d\n%s", res.status, res.body)
	}
	if n := s.referrals(); n != 2 {
		t.Errorf("%d referrals filed after a reused key, want 2", n)
	}
	// What was filed is what the form said.
	var details []byte
	if err := s.pool.QueryRow(context.Background(), `SELECT details FROM referrals WHERE id = $1`, ids[0]).Scan(&details); err != nil {
		t.Fatal(err)
	}
	var d referral.Document
	if err := json.Unmarshal(details, &d); err != nil {
		t.Fatal(err)
	}
	if d.Recipient.Agency != "BF-DPE" || d.Child.Name.GivenNames != "Demo Issa" || len(d.Family.Guardians) != 1 ||
		d.Trafficking == nil || len(d.Trafficking.ForcedLabourIndicators) != 2 || len(d.BestInterests.UrgentProtectionConcerns) != 2 ||
		d.Work.FoundAt != "2026-03-02T09:00:00Z" || !d.Consent.ToShareAbroad || len(d.Consent.Withheld) != 1 || d.SendingOfficer.Contact.Phone != "+22500000000" {
		t.Errorf("filed document %+v", d)
	}
}

func TestSupervisorOverridesConsent(t *testing.T) {
	s := newSite(t)
	if res := s.do("supervisor", http.MethodGet, filing.PathNew, nil, nil); !strings.Contains(res.body, `id="f-consent-override-reason"`) {
		t.Fatal("a supervisor is not offered the consent override")
	}
	f := goodForm("supervisor", "k-override")
	f.Del("consent.given_by")
	f.Del("consent.to_share_abroad")
	f.Set("consent.override.reason", "The child is in danger and no caregiver can be reached")
	res := s.do("supervisor", http.MethodPost, filing.PathNew, f, nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	var details []byte
	if err := s.pool.QueryRow(context.Background(), `SELECT details FROM referrals`).Scan(&details); err != nil {
		t.Fatal(err)
	}
	var d referral.Document
	if err := json.Unmarshal(details, &d); err != nil {
		t.Fatal(err)
	}
	if o := d.Consent.Override; o == nil || o.By != "u-supervisor" || o.Role != "supervisor" || o.Reason == "" {
		t.Errorf("override %+v", d.Consent.Override)
	}
}

func TestRefusals(t *testing.T) {
	s := newSite(t)
	tests := []struct {
		name, user, method, path string
		form                     url.Values
		header                   map[string]string
		want                     int
	}{
		{"not signed in", "", http.MethodGet, filing.PathNew, nil, nil, http.StatusSeeOther},
		{"a coordinator", "coordinator", http.MethodGet, filing.PathNew, nil, nil, http.StatusForbidden},
		{"a coordinator posting", "coordinator", http.MethodPost, filing.PathNew, goodForm("coordinator", "k1"), nil, http.StatusForbidden},
		{"no CSRF token", "inspector", http.MethodPost, filing.PathNew, func() url.Values {
			f := goodForm("inspector", "k2")
			f.Del("csrf_token")
			return f
		}(), nil, http.StatusForbidden},
		{"another session's CSRF token", "inspector", http.MethodPost, filing.PathNew, goodForm("colleague", "k3"), nil, http.StatusForbidden},
		{"a bad idempotency key", "inspector", http.MethodPost, filing.PathNew, goodForm("inspector", "k4"),
			map[string]string{"Idempotency-Key": "has spaces", "Accept": "application/json"}, http.StatusUnprocessableEntity},
		{"too many status ids", "inspector", http.MethodGet, filing.PathStatus + "?" + strings.Repeat("id=x&", 51), nil,
			map[string]string{"Accept": "application/json"}, http.StatusUnprocessableEntity},
		{"a referral that is not there", "inspector", http.MethodGet, filing.PathSent + "/ref-nothere", nil, nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(tt.user, tt.method, tt.path, tt.form, tt.header)
			if res.status != tt.want {
				t.Errorf("status %d, want %d\n%s", res.status, tt.want, res.body)
			}
		})
	}
	if n := s.referrals(); n != 0 {
		t.Errorf("%d referrals filed by refused requests", n)
	}
}

func TestSentListAndTimeline(t *testing.T) {
	s := newSite(t)
	res := s.do("inspector", http.MethodGet, filing.PathSent, nil, map[string]string{"Accept-Language": "en"})
	if res.status != http.StatusOK || !strings.Contains(res.body, `id="sent-none"`) {
		t.Fatalf("empty list: status %d\n%s", res.status, res.body)
	}
	res = s.do("inspector", http.MethodPost, filing.PathNew, goodForm("inspector", "k-sent"), nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("file: status %d\n%s", res.status, res.body)
	}
	id := strings.TrimPrefix(strings.TrimSuffix(res.header.Get("Location"), "?filed=1"), filing.PathSent+"/")

	tests := []struct {
		name, user, path string
		status           int
		want             []string
	}{
		{"the inspector's list", "inspector", filing.PathSent, http.StatusOK, []string{`id="sent-` + id + `"`, "Demo Issa Exemple", "Burkina Faso · BF-DPE", "Sent, not yet received"}},
		{"a colleague of the agency", "colleague", filing.PathSent, http.StatusOK, []string{`id="sent-` + id + `"`}},
		{"another agency's list", "caseworker", filing.PathSent, http.StatusOK, []string{`id="sent-none"`}},
		{"the timeline", "inspector", filing.PathSent + "/" + id + "?filed=1", http.StatusOK, []string{`class="notice"`, "The referral was sent.", `id="timeline"`, `data-delivered="false"`, "Sent, not yet received"}},
		{"another agency's timeline", "caseworker", filing.PathSent + "/" + id, http.StatusForbidden, nil}, // pkg/policy: another agency's case is refused, not hidden
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(tt.user, http.MethodGet, tt.path, nil, map[string]string{"Accept-Language": "en"})
			if res.status != tt.status {
				t.Fatalf("status %d, want %d\n%s", res.status, tt.status, res.body)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}

	res = s.do("inspector", http.MethodGet, filing.PathStatus+"?id="+id+"&id=ref-unknown", nil, map[string]string{"Accept": "application/json"})
	var st struct {
		CSRFToken string `json:"csrf_token"`
		Referrals []struct {
			ID        string
			Status    string
			Delivered bool
		}
	}
	if err := json.Unmarshal([]byte(res.body), &st); err != nil || res.status != http.StatusOK {
		t.Fatalf("status: %d %v\n%s", res.status, err, res.body)
	}
	if st.CSRFToken != "csrf-inspector" || len(st.Referrals) != 1 || st.Referrals[0].ID != id || st.Referrals[0].Delivered {
		t.Errorf("status answer %+v", st)
	}
	s.deliverAll()
	res = s.do("inspector", http.MethodGet, filing.PathSent+"/"+id, nil, map[string]string{"Accept": "application/json"})
	if !strings.Contains(res.body, `"delivered":true`) || !strings.Contains(res.body, `"status":"delivered"`) {
		t.Errorf("after the receipt: %s", res.body)
	}
}

func TestOfflineAppFiles(t *testing.T) {
	s := newSite(t)
	page := s.do("inspector", http.MethodGet, filing.PathNew, nil, nil)
	script := regexp.MustCompile(`<script src="(/static/filing\.[0-9a-f]+\.js)"`).FindStringSubmatch(page.body)
	style := regexp.MustCompile(`<link rel="stylesheet" href="(/static/filing\.[0-9a-f]+\.css)"`).FindStringSubmatch(page.body)
	if script == nil || style == nil {
		t.Fatalf("the form does not load its script and styles\n%s", page.body)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("the form's policy is %q", csp)
	}
	tests := []struct {
		path, contentType string
		want              []string
	}{
		{filing.PathSW, "text/javascript; charset=utf-8", []string{`var CACHE = "corridor-filing-`, script[1], style[1]}},
		{filing.PathManifest, "application/manifest+json", []string{`"scope":"/filing/"`, `"start_url":"/filing/new"`, `"display":"standalone"`, "icon-192"}},
		{script[1], "text/javascript; charset=utf-8", []string{"AES-GCM", "Idempotency-Key", "corridorFiling", "extractable"}},
		{style[1], "text/css; charset=utf-8", []string{".drafts"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := s.do("", http.MethodGet, tt.path, nil, nil)
			if res.status != http.StatusOK || res.header.Get("Content-Type") != tt.contentType {
				t.Fatalf("status %d, type %q", res.status, res.header.Get("Content-Type"))
			}
			for _, w := range tt.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("lacks %q", w)
				}
			}
			if strings.Contains(res.body, "__VERSION__") || strings.Contains(res.body, "__SHELL__") {
				t.Error("the service worker was not filled in")
			}
		})
	}
	// The service worker's source is served at its own URL only, where its
	// scope is /filing/.
	if res := s.do("", http.MethodGet, "/static/sw.js", nil, nil); res.status != http.StatusNotFound {
		t.Errorf("/static/sw.js: status %d", res.status)
	}
}

func TestFormWithinBudget(t *testing.T) {
	s := newSite(t)
	for _, lang := range []string{"fr", "en"} {
		req := httptest.NewRequest(http.MethodGet, filing.PathNew, nil)
		req.Header.Set("Accept-Language", lang)
		req.AddCookie(&http.Cookie{Name: "test-user", Value: "inspector"})
		n := webuitest.Weight(t, s.srv.Config.Handler, req)
		if n > webuitest.Budget {
			t.Errorf("the form in %s weighs %d bytes compressed, over the budget of %d", lang, n, webuitest.Budget)
		}
		t.Logf("the form in %s: %d bytes compressed", lang, n)
	}
}
