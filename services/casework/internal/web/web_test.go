package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/pkg/webui/webuitest"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// untranslated finds a message id shown instead of its text.
var untranslated = regexp.MustCompile(`>\s*[a-z_]+(\.[a-z0-9_]+)+\s*<|>[a-z_]+(\.[a-z0-9_]+)+ ?:`)

// Every page renders for each role that has it, in French and English,
// with the security policy, no message id left untranslated, and within
// the page budget; the roles without it get the 403 page.
func TestPagesForEachRole(t *testing.T) {
	ci, bf, id := corridorPair(t)
	caseBF, caseCI := "/cases/"+id, "/cases/"+id
	tests := []struct {
		m      *member
		user   string
		path   string
		status int
		want   string // in the French page
	}{
		{ci, "ci-inspector", "/", http.StatusOK, "Accueil"},
		{ci, "ci-inspector", caseCI, http.StatusOK, `id="action-withdraw"`},
		{bf, "bf-caseworker", "/", http.StatusOK, `href="/inbox"`},
		{bf, "bf-caseworker", "/inbox", http.StatusOK, `href="/cases/` + id + `"`},
		{bf, "bf-caseworker", caseBF, http.StatusOK, `id="action-accept"`},
		{bf, "bf-caseworker", "/overview", http.StatusForbidden, "Vous n&#39;avez pas accès"},
		{bf, "bf-caseworker", "/admin/messages", http.StatusForbidden, "Vous n&#39;avez pas accès"},
		{bf, "bf-supervisor", "/", http.StatusOK, `href="/overview"`},
		{bf, "bf-supervisor", "/inbox", http.StatusOK, "Demo Issa Exemple"},
		{bf, "bf-supervisor", caseBF, http.StatusOK, `id="assign"`},
		{bf, "bf-supervisor", "/overview", http.StatusOK, "Reçu"},
		{bf, "bf-operator", "/admin/messages", http.StatusOK, "Aucun message"},
		{bf, "bf-operator", "/admin/messages", http.StatusOK, `href="https://relay.bf.example/admin/quarantine"`},
		{bf, "bf-admin", "/", http.StatusOK, `href="/admin/messages"`},
		{bf, "bf-coordinator", "/", http.StatusOK, "Aucune page"},
		{bf, "bf-coordinator", "/inbox", http.StatusForbidden, "Vous n&#39;avez pas accès"},
		{bf, "bf-coordinator", caseBF, http.StatusForbidden, "Vous n&#39;avez pas accès"},
		{bf, "bf-caseworker", "/nowhere", http.StatusNotFound, "Page introuvable"},
		{bf, "bf-other-agency", caseBF, http.StatusForbidden, "Vous n&#39;avez pas accès"}, // another agency's case: pkg/policy refuses it
		{bf, "bf-other-agency", "/inbox", http.StatusOK, "Aucun dossier ne correspond."},
		{ci, "ci-inspector", "/cases/ref-unknown", http.StatusNotFound, "Page introuvable"},
	}
	// The navigation offers a page only to those the policy lets use it.
	for _, hidden := range []struct{ user, href string }{
		{"bf-supervisor", `href="/admin/messages"`},
		{"bf-caseworker", `href="/overview"`},
		{"bf-admin", `href="/overview"`},
	} {
		if p := bf.get(hidden.user, "/", "fr"); strings.Contains(p.body, hidden.href) {
			t.Errorf("%s's home page offers %s", hidden.user, hidden.href)
		}
	}
	for _, tt := range tests {
		t.Run(tt.user+tt.path, func(t *testing.T) {
			for _, lang := range []string{"fr", "en", "es", "pt"} {
				p := tt.m.get(tt.user, tt.path, lang)
				if p.status != tt.status {
					t.Fatalf("%s: status %d, want %d\n%s", lang, p.status, tt.status, p.body)
				}
				if lang == "fr" && !strings.Contains(p.body, tt.want) {
					t.Errorf("page lacks %s:\n%s", tt.want, p.body)
				}
				if !strings.Contains(p.body, `<html lang="`+lang+`">`) {
					t.Errorf("page is not in %s", lang)
				}
				if got := p.header.Get("Content-Security-Policy"); got != webui.ContentSecurityPolicy {
					t.Errorf("Content-Security-Policy = %q", got)
				}
				if m := untranslated.FindString(p.body); m != "" {
					t.Errorf("%s page shows message id %s", lang, m)
				}
				checkMarkup(t, p.body)
			}
			if tt.status != http.StatusOK {
				return
			}
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			r.Header.Set(userHeader, tt.user)
			n := webuitest.Weight(t, tt.m.h, r)
			if n > webuitest.Budget {
				t.Errorf("page weighs %d bytes compressed, over the budget of %d", n, webuitest.Budget)
			}
			t.Logf("%s weighs %d bytes compressed", tt.path, n)
		})
	}
	// Without a session there is no page: the authenticator answers.
	if p := bf.get("", "/inbox", "fr"); p.status != http.StatusUnauthorized {
		t.Errorf("anonymous inbox: %d", p.status)
	}
	// The static files and the language switch need no session.
	if p := bf.get("", "/lang?to=en&next=/inbox", ""); p.status != http.StatusSeeOther {
		t.Errorf("anonymous language switch: %d", p.status)
	}
}

// The case page offers a form for exactly the actions the rules allow now,
// which are what the API's referral view lists as actions.
func TestCaseOffersExactlyTheAllowedActions(t *testing.T) {
	ci, bf, id := corridorPair(t)
	actionID := regexp.MustCompile(`<details class="action" id="action-([a-z_]+)"`)
	for _, tt := range []struct {
		m    *member
		user string
	}{{ci, "ci-inspector"}, {bf, "bf-caseworker"}} {
		ref, err := tt.m.svc.Get(context.Background(), workflow.CallerOf(people[tt.user]), id)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, ev := range workflow.Actions(ref.Referral) {
			want = append(want, string(ev))
		}
		var got []string
		for _, m := range actionID.FindAllStringSubmatch(tt.m.get(tt.user, "/cases/"+id, "fr").body, -1) {
			got = append(got, m[1])
		}
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s sees the forms %v, want %v", tt.user, got, want)
		}
	}
}

// A form with bad input is shown again with an error summary whose entries
// link to each field, the field's own message, and the values entered; the
// case does not change.
func TestFormErrorsLinkToFields(t *testing.T) {
	_, bf, id := corridorPair(t)
	form := url.Values{"csrf_token": {csrfToken}, "decline.reason": {"   "}, "decline.reason_code": {"no_such_reason"}}
	p := bf.post("bf-caseworker", "/cases/"+id+"/events/decline", form)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422\n%s", p.status, p.body)
	}
	for _, want := range []string{
		`<div class="error-summary"`,
		"<a href=\"#f-decline-reason\">Motif\u00a0: Saisissez un texte</a>",
		"<a href=\"#f-decline-reason-code\">Type de motif\u00a0: Choisissez l&#39;une des options</a>",
		`id="f-decline-reason-error">Saisissez un texte</p>`,
		`<textarea id="f-decline-reason" name="decline.reason" rows="4" aria-required="true" aria-invalid="true" aria-describedby="f-decline-reason-error">   </textarea>`,
		"<title>Erreur\u00a0:",
		`<details class="action" id="action-decline" open>`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page lacks %s\n%s", want, p.body)
		}
	}
	if m := untranslated.FindString(p.body); m != "" {
		t.Errorf("page shows message id %s", m)
	}
	checkMarkup(t, p.body)
	if got := bf.status("bf-caseworker", id); got != "delivered" {
		t.Errorf("status after a bad form = %s, want delivered", got)
	}

	// A handover plan needs its list rows read back to the rows filled in:
	// a bad phone in the second escort row is reported there.
	if p := bf.post("bf-caseworker", "/cases/"+id+"/events/accept", url.Values{"csrf_token": {csrfToken}}); p.status != http.StatusSeeOther {
		t.Fatalf("accept: %d\n%s", p.status, p.body)
	}
	plan := url.Values{
		"plan_handover.planned_for": {"2099-01-10T09:30"}, "plan_handover.place": {"BF-03"},
		"plan_handover.border_post": {"Niangoloko"}, "plan_handover.received_by.name": {"Agent Demo"},
		"plan_handover.escorts[1].name": {"Escort Demo"}, "plan_handover.escorts[1].phone": {"not a phone"},
	}
	p = bf.post("bf-caseworker", "/cases/"+id+"/events/plan_handover", plan)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("plan: status %d\n%s", p.status, p.body)
	}
	if !strings.Contains(p.body, `<a href="#f-plan-handover-escorts-1--phone">`) {
		t.Errorf("plan: the summary does not link to the second escort's phone:\n%s", p.body)
	}
}

// A valid form causes the event through the workflow service, which
// changes the status and sends the message, and goes back to the case.
func TestActionChangesStatus(t *testing.T) {
	ci, bf, id := corridorPair(t)
	key := "form_test-key"
	form := url.Values{"csrf_token": {csrfToken}, "accept.idempotency_key": {key}}
	for range 2 { // sent twice, as by a double click: acts once
		p := bf.post("bf-caseworker", "/cases/"+id+"/events/accept", form)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/cases/"+id+"?done=accept" {
			t.Fatalf("status %d, Location %q\n%s", p.status, p.header.Get("Location"), p.body)
		}
	}
	if got := bf.status("bf-caseworker", id); got != "accepted" {
		t.Fatalf("status %s, want accepted", got)
	}
	p := bf.get("bf-caseworker", "/cases/"+id+"?done=accept", "fr")
	if !strings.Contains(p.body, `class="notice"`) || !strings.Contains(p.body, "Acceptation") {
		t.Errorf("case page after accepting lacks the notice or the timeline step:\n%s", p.body)
	}
	bf.relayTo(ci)
	if got := ci.status("ci-inspector", id); got != "accepted" {
		t.Errorf("CI sees %s, want accepted", got)
	}
	// The plan, with a local date and time read as UTC.
	plan := url.Values{
		"plan_handover.planned_for": {"2099-01-10T09:30"}, "plan_handover.place": {"BF-03"},
		"plan_handover.border_post": {"Niangoloko"}, "plan_handover.received_by.name": {"Agent Demo"},
		"plan_handover.transport": {"road"}, "plan_handover.travel_documents[0].type": {"laissez_passer"},
		"plan_handover.travel_documents[0].status": {"requested"},
	}
	if p := bf.post("bf-caseworker", "/cases/"+id+"/events/plan_handover", plan); p.status != http.StatusSeeOther {
		t.Fatalf("plan: status %d\n%s", p.status, p.body)
	}
	ref, err := bf.svc.Get(context.Background(), workflow.CallerOf(people["bf-caseworker"]), id)
	if err != nil || ref.Plan == nil {
		t.Fatalf("no plan: %v", err)
	}
	if got := ref.Plan.Body.PlannedFor; got != "2099-01-10T09:30:00Z" {
		t.Errorf("planned_for = %q", got)
	}
	// An action the rules do not allow now is refused and changes nothing.
	p = bf.post("bf-caseworker", "/cases/"+id+"/events/accept", url.Values{"csrf_token": {csrfToken}})
	if p.status != http.StatusConflict || !strings.Contains(p.body, `<div class="error-summary"`) {
		t.Errorf("accepting twice: status %d\n%s", p.status, p.body)
	}
}

// A supervisor assigns the case; a caseworker may not.
func TestAssignment(t *testing.T) {
	_, bf, id := corridorPair(t)
	p := bf.post("bf-supervisor", "/cases/"+id+"/assign", url.Values{"csrf_token": {csrfToken}, "assign.assignee": {"bf-caseworker"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("assign: %d\n%s", p.status, p.body)
	}
	if p := bf.get("bf-caseworker", "/inbox?assigned=me", "fr"); !strings.Contains(p.body, `href="/cases/`+id+`"`) {
		t.Errorf("the caseworker's own list lacks the case:\n%s", p.body)
	}
	p = bf.post("bf-supervisor", "/cases/"+id+"/assign", url.Values{"csrf_token": {csrfToken}, "assign.assignee": {strings.Repeat("é", 10)}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `<a href="#f-assign-assignee">`) {
		t.Errorf("bad assignee: %d\n%s", p.status, p.body)
	}
	if p := bf.post("bf-caseworker", "/cases/"+id+"/assign", url.Values{"assign.assignee": {"x"}}); p.status != http.StatusForbidden {
		t.Errorf("caseworker assigning: %d", p.status)
	}
}

// A bad filter is shown in the error summary, linked to its field.
func TestInboxFilters(t *testing.T) {
	_, bf, id := corridorPair(t)
	p := bf.get("bf-caseworker", "/inbox?q=ab", "en")
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `<a href="#f-q">`) {
		t.Errorf("short name search: %d\n%s", p.status, p.body)
	}
	if p := bf.get("bf-caseworker", "/inbox?q=Issa", "en"); !strings.Contains(p.body, `href="/cases/`+id+`"`) || !strings.Contains(p.body, "1 result") {
		t.Errorf("name search misses the case:\n%s", p.body)
	}
	if p := bf.get("bf-caseworker", "/inbox?status=closed", "fr"); strings.Contains(p.body, `href="/cases/`+id+`"`) || !strings.Contains(p.body, "0 résultat") {
		t.Errorf("status filter keeps the case:\n%s", p.body)
	}
}

// The language is the browser's, until the person picks another.
func TestLanguageSwitch(t *testing.T) {
	_, bf, _ := corridorPair(t)
	if p := bf.get("bf-caseworker", "/inbox", "fr-BF,fr;q=0.9"); !strings.Contains(p.body, "<h1>Dossiers reçus</h1>") {
		t.Errorf("French inbox:\n%s", p.body)
	}
	p := bf.get("bf-caseworker", "/lang?to=en&next=%2Finbox", "fr")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/inbox" {
		t.Fatalf("switch: %d %q", p.status, p.header.Get("Location"))
	}
	cookie := p.header.Get("Set-Cookie")
	r := httptest.NewRequest(http.MethodGet, "/inbox", nil)
	r.Header.Set("Cookie", strings.Split(cookie, ";")[0])
	if p := bf.do(r, "bf-caseworker", "fr"); !strings.Contains(p.body, "<h1>Received cases</h1>") {
		t.Errorf("inbox after switching to English:\n%s", p.body)
	}
}

// A message that failed to apply is listed for the administrators, and a
// retry offers it again.
func TestFailedMessages(t *testing.T) {
	_, bf, _ := corridorPair(t)
	ctx := context.Background()
	if _, err := exchange.InsertInbox(ctx, bf.pool, exchange.InboxMessage{
		MessageID: "ci-ci-bf-broken", Corridor: "ci-bf", MessageType: exchange.MessageType("referral"), CaseRef: "case-broken",
		ReferralID: "ref-broken", SenderMember: "CI", SenderAgency: "CI-DGT", RecipientAgency: "BF-DPE",
		SentAt: time.Now(), Payload: []byte("not a referral"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := bf.svc.ApplyInbox(ctx); err != nil {
		t.Fatal(err)
	}
	p := bf.get("bf-operator", "/admin/messages", "fr")
	if !strings.Contains(p.body, `id="msg-ci-ci-bf-broken"`) {
		t.Fatalf("the failed message is not listed:\n%s", p.body)
	}
	p = bf.post("bf-operator", "/admin/messages/ci-ci-bf-broken/retry", url.Values{"csrf_token": {csrfToken}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("retry: %d\n%s", p.status, p.body)
	}
	if p := bf.post("bf-caseworker", "/admin/messages/ci-ci-bf-broken/retry", nil); p.status != http.StatusForbidden {
		t.Errorf("caseworker retrying: %d", p.status)
	}
}

// The recipient asks questions; the sender's supervisor answers them and,
// in the child's best interests, overrides consent with a reason, which the
// service attributes to them. Only a supervisor's form has the override.
func TestAnswerWithConsentOverride(t *testing.T) {
	ci, bf, id := corridorPair(t)
	ask := url.Values{"csrf_token": {csrfToken},
		"request_info.items[0].question": {"Where does the mother live now?"}, "request_info.items[0].topic": {"family"},
		"request_info.items[2].question": {"Has the child a birth certificate?"}}
	if p := bf.post("bf-caseworker", "/cases/"+id+"/events/request_info", ask); p.status != http.StatusSeeOther {
		t.Fatalf("ask: %d\n%s", p.status, p.body)
	}
	bf.relayTo(ci)
	if p := ci.get("ci-inspector", "/cases/"+id, "fr"); strings.Contains(p.body, "consent.override.reason") {
		t.Error("an inspector's answer form offers the consent override")
	}
	p := ci.get("ci-supervisor", "/cases/"+id, "en")
	for _, want := range []string{"Where does the mother live now?", "Has the child a birth certificate?", `name="respond_info.consent.override.reason"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("answer form lacks %s", want)
		}
	}
	ref, err := ci.svc.Get(context.Background(), workflow.CallerOf(people["ci-supervisor"]), id)
	if err != nil || len(ref.Lifecycle.InfoRequests) != 1 {
		t.Fatalf("info requests: %v", err)
	}
	q := ref.Lifecycle.InfoRequests[0].Body
	answer := url.Values{"csrf_token": {csrfToken}, "respond_info.items[0].answer": {"In the village, with the grandmother."},
		"respond_info.items[1].answer": {"   "}}
	// A blank answer: the summary points at the second question.
	if p := ci.post("ci-supervisor", "/cases/"+id+"/events/respond_info", answer); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, `<a href="#f-respond-info-items-1--answer">`) {
		t.Fatalf("half an answer: %d\n%s", p.status, p.body)
	}
	answer.Set("respond_info.items[1].answer", "No; the employer keeps it.")
	answer.Set("respond_info.consent.override.reason", "The child is at risk where he works; waiting for the mother's consent would leave him there.")
	if p := ci.post("ci-supervisor", "/cases/"+id+"/events/respond_info", answer); p.status != http.StatusSeeOther {
		t.Fatalf("answer: %d\n%s", p.status, p.body)
	}
	ref, err = ci.svc.Get(context.Background(), workflow.CallerOf(people["ci-supervisor"]), id)
	if err != nil {
		t.Fatal(err)
	}
	if a := ref.Lifecycle.InfoRequests[0].Response; a == nil || len(a.Body.Items) != 2 || a.Body.Items[1].QuestionID != q.Items[1].ID {
		t.Errorf("answers recorded: %+v", ref.Lifecycle.InfoRequests[0].Response)
	}
	if o := ref.Document.Consent.Override; o == nil || o.By != "ci-supervisor" || o.Role != "supervisor" {
		t.Errorf("consent override = %+v, want one by ci-supervisor", o)
	}
}

// A case's whole life through the pages' forms, both countries acting:
// every kind of form (hidden plan revision, code-list selects, dates, yes/no
// questions, a closure reason) reaches the service as the API's body would.
func TestCaseLifeThroughForms(t *testing.T) {
	ci, bf, id := corridorPair(t)
	today := time.Now().UTC()
	day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
	steps := []struct {
		m      *member
		user   string
		event  string
		form   url.Values
		status string
	}{
		{bf, "bf-caseworker", "accept", nil, "accepted"},
		{bf, "bf-caseworker", "plan_handover", url.Values{
			"plan_handover.planned_for": {day(14) + "T08:00"}, "plan_handover.place": {"BF-03"},
			"plan_handover.border_post": {"Niangoloko"}, "plan_handover.received_by.name": {"Agent Demo"},
			"plan_handover.escorts[0].name": {"Escort Demo"}, "plan_handover.escorts[0].phone": {"+22670000000"},
		}, "handover_planned"},
		{ci, "ci-inspector", "confirm_handover", url.Values{"confirm_handover.handed_over_at": {day(-1) + "T09:15"}}, "handover_confirmed_by_sender"},
		{bf, "bf-caseworker", "confirm_handover", url.Values{"confirm_handover.notes": {"Arrived well."}}, "handed_over"},
		{bf, "bf-caseworker", "record_service", url.Values{
			"record_service.type": {"education"}, "record_service.provider": {"École Demo"},
			"record_service.status": {"in_progress"}, "record_service.start_date": {day(0)},
		}, "in_care"},
		{bf, "bf-caseworker", "record_follow_up", url.Values{
			"record_follow_up.date": {day(0)}, "record_follow_up.method": {"home_visit"},
			"record_follow_up.at_home": {"yes"}, "record_follow_up.in_school": {"yes"},
			"record_follow_up.still_working": {"no"}, "record_follow_up.at_risk": {"no"},
		}, "in_care"},
		{bf, "bf-caseworker", "close", url.Values{"close.reason_code": {"reunified_safe"}}, "closed"},
	}
	for _, s := range steps {
		form := url.Values{"csrf_token": {csrfToken}}
		for k, v := range s.form {
			form[k] = v
		}
		p := s.m.post(s.user, "/cases/"+id+"/events/"+s.event, form)
		if p.status != http.StatusSeeOther {
			t.Fatalf("%s: status %d\n%s", s.event, p.status, p.body)
		}
		if got := s.m.status(s.user, id); got != s.status {
			t.Fatalf("after %s: %s, want %s", s.event, got, s.status)
		}
		other := bf
		if s.m == bf {
			other = ci
		}
		s.m.relayTo(other)
	}
	p := bf.get("bf-caseworker", "/cases/"+id, "fr")
	for _, want := range []string{"Clôture", "Réuni avec sa famille et en sécurité", "École Demo", "Visite au domicile de l&#39;enfant", "Niangoloko"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("closed case page lacks %s", want)
		}
	}
	if strings.Contains(p.body, `<details class="action"`) && strings.Contains(p.body, `id="action-close"`) {
		t.Error("a closed case still offers closing")
	}
}

var (
	idAttr  = regexp.MustCompile(` id="([^"]+)"`)
	control = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	typeOf  = regexp.MustCompile(` type="([^"]+)"`)
	labelOf = regexp.MustCompile(`<label for="([^"]+)"`)
)

// checkMarkup fails t when body repeats an element id (the error summary's
// links and the labels would reach the wrong one) or has a form control
// without a label.
func checkMarkup(t *testing.T, body string) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range idAttr.FindAllStringSubmatch(body, -1) {
		if seen[m[1]] {
			t.Errorf("id %q appears twice", m[1])
		}
		seen[m[1]] = true
	}
	labelled := map[string]bool{}
	for _, m := range labelOf.FindAllStringSubmatch(body, -1) {
		labelled[m[1]] = true
	}
	for _, c := range control.FindAllString(body, -1) {
		if m := typeOf.FindStringSubmatch(c); m != nil && (m[1] == "hidden" || m[1] == "submit") {
			continue
		}
		id := idAttr.FindStringSubmatch(c)
		if id == nil || !labelled[id[1]] {
			t.Errorf("control without a label: %s", c)
		}
	}
}

// No input gives a 500: hostile or broken posts get a page saying what is
// wrong, and change nothing.
func TestHostileInput(t *testing.T) {
	_, bf, id := corridorPair(t)
	tests := []struct {
		name   string
		path   string
		body   string
		status int
	}{
		{"unknown event", "/cases/" + id + "/events/explode", "csrf_token=x", http.StatusNotFound},
		{"an event nobody posts", "/cases/" + id + "/events/deliver", "csrf_token=x", http.StatusNotFound},
		{"unknown case", "/cases/ref-nothing/events/accept", "csrf_token=x", http.StatusNotFound},
		{"malformed form", "/cases/" + id + "/events/decline", "decline.reason=%zz", http.StatusBadRequest},
		{"oversized form", "/cases/" + id + "/events/decline", "decline.reason=" + strings.Repeat("a", 300<<10), http.StatusBadRequest},
		{"NUL in a reason", "/cases/" + id + "/events/decline", "decline.reason=a%00b", http.StatusUnprocessableEntity},
		{"a revision that is not a number", "/cases/" + id + "/events/confirm_handover", "confirm_handover.revision=abc", http.StatusUnprocessableEntity},
		{"a bad idempotency key is ignored", "/cases/" + id + "/events/decline", "decline.idempotency_key=%20%0A&decline.reason=", http.StatusUnprocessableEntity},
		{"unknown message", "/admin/messages/ci-nothing/retry", "", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			p := bf.do(r, "bf-caseworker", "en")
			if p.status != tt.status {
				t.Errorf("status %d, want %d\n%s", p.status, tt.status, p.body)
			}
			if !strings.Contains(p.body, "<h1>") {
				t.Errorf("no page:\n%s", p.body)
			}
		})
	}
	if got := bf.status("bf-caseworker", id); got != "delivered" {
		t.Errorf("status after hostile posts = %s, want delivered", got)
	}
}
