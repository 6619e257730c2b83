package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/services/sandbox/internal/browsertest"
	"github.com/corridor-org/corridor/services/sandbox/internal/sandbox"
)

// TestBrowser starts the whole corridor as `make demo` does and uses its
// pages in headless Chromium on a phone-sized screen, in French, as the
// people of the demo corridor would. Every page visited is audited with
// axe-core (no serious or critical violation), weighed against the budget
// and must answer 200. UPDATE_SCREENSHOTS=1 writes the main pages'
// screenshots into docs/screenshots.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole corridor and a browser")
	}
	// The browser first: without one the test skips before building.
	b := browsertest.Start(t)
	root, err := natsconf.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	cfg := sandbox.Config{
		Dir:    filepath.Join(searchableTempDir(t), ".sandbox"),
		BinDir: buildServices(t, root),
		Root:   root,
		Out:    &testWriter{t: t},
	}
	startSandbox(t, cfg)
	e, _ := readEndpoints(t, cfg.Dir)
	ci := e.Members["CI"]

	bf := e.Members["BF"]
	hc := &http.Client{Timeout: 10 * time.Second}
	ciAPI := sandbox.API{HTTP: hc, Base: ci.Casework, Token: token(t, e, "ci-inspector")}
	bfAPI := sandbox.API{HTTP: hc, Base: bf.Casework, Token: token(t, e, "bf-caseworker")}
	fr := readLocale(t, root, "fr")

	// The inspector's phone, from one subtest to the next.
	inspector := b.Phone(t, "fr-CI,fr")
	var filed string // the referral's id
	t.Run("inspector files a referral", func(t *testing.T) {
		p := inspector.In(t)
		signIn(t, p, e, ci.Casework, "/filing/new", "ci-inspector", "idp-login")
		waitForm(p)
		checkPage(t, p, "the referral form", "filing-form")
		child := "Zephyrine" + randomLetters(t, 8)
		draft := fileReferral(t, p, referralForm(child), nil)
		// Sent with signal: the phone shows the referral's own page.
		p.WaitFor("the sent referral's page", `document.querySelector("#referral[data-referral-id]")`)
		filed = browsertest.Eval[string](p, `document.getElementById("referral").dataset.referralId`)
		checkPage(t, p, "the sent referral", "filing-sent")
		// Delivered once BF's casework has it: the draft says so.
		waitDraft(t, p, ci.Casework, draft, "delivered")
		checkPage(t, p, "the referral form with a delivered draft", "")
		if n := referralsNamed(t, ciAPI, child); n != 1 {
			t.Errorf("CI holds %d referrals for the child, want 1", n)
		}
	})
	if filed == "" {
		t.FailNow()
	}

	t.Run("inspector files with the signal cut", func(t *testing.T) {
		p := inspector.In(t)
		p.Navigate(ci.Casework + "/filing/new")
		waitForm(p)
		child := "Ysolde" + randomLetters(t, 8)
		draft := fileReferral(t, p, referralForm(child), func() { p.SetSignal(false) })
		p.WaitFor("the draft waiting for signal", draftSelector(draft, "waiting"))
		browsertest.Eval[bool](p, `(document.getElementById("drafts").scrollIntoView(), true)`)
		p.Screenshot("filing-waiting")
		if n := referralsNamed(t, ciAPI, child); n != 0 {
			t.Fatalf("%d referrals filed with no signal", n)
		}
		// With no signal the form opens from the phone (service worker),
		// and the draft is still there, waiting.
		p.Navigate(ci.Casework + "/filing/new")
		p.WaitFor("the draft waiting after a reload with no signal", draftSelector(draft, "waiting"))
		p.CheckAccessibility("the referral form with no signal")
		// The signal comes back: the draft is sent once.
		p.SetSignal(true)
		p.WaitFor("the draft sent when the signal came back", draftSelector(draft, "sent")+` || document.querySelector(`+jsString(draftCSS(draft, "delivered"))+`)`)
		browsertest.Eval[bool](p, `window.corridorFiling.sync().then(() => true)`)
		if n := referralsNamed(t, ciAPI, child); n != 1 {
			t.Errorf("%d referrals filed for one draft sent after the signal came back, want 1", n)
		}
	})

	bfCaseworker := b.Phone(t, "fr-BF,fr")
	t.Run("caseworker accepts and plans the handover", func(t *testing.T) {
		p := bfCaseworker.In(t)
		signIn(t, p, e, bf.Casework, "/inbox", "bf-caseworker", "")
		link := `a[href="/cases/` + filed + `"]`
		p.WaitFor("the referral in the inbox", `document.querySelector(`+jsString(link)+`)`)
		checkPage(t, p, "the caseworker's inbox", "inbox")
		p.Do(chromedp.Click(chromedp.CSS(link)))
		p.WaitFor("the case page", `location.pathname === "/cases/`+filed+`"`)
		checkPage(t, p, "the case page", "case")

		act(t, p, "accept", nil)
		checkPage(t, p, "the case page once accepted", "")
		act(t, p, "plan_handover", map[string]string{
			"plan_handover.planned_for":      time.Now().UTC().AddDate(0, 0, 14).Format("2006-01-02") + "T08:00",
			"plan_handover.place":            "BF-03",
			"plan_handover.border_post":      "Niangoloko",
			"plan_handover.received_by.name": "Agent Demo",
			"plan_handover.escorts[0].name":  "Escort Demo",
			"plan_handover.escorts[0].phone": "+22670000000",
		})
		checkPage(t, p, "the case page with the handover planned", "case-handover-planned")
		if r, err := bfAPI.Referral(t.Context(), filed); err != nil || r.Status != "handover_planned" {
			t.Errorf("BF's referral is %q (%v), want handover_planned", r.Status, err)
		}
	})

	t.Run("inspector sees the handover planned", func(t *testing.T) {
		p := inspector.In(t)
		eventually(t, "CI to see the handover planned", func() error {
			r, err := ciAPI.Referral(t.Context(), filed)
			if err == nil && r.Status != "handover_planned" {
				err = fmt.Errorf("status %s", r.Status)
			}
			return err
		})
		p.Navigate(ci.Casework + "/filing/sent/" + filed)
		checkPage(t, p, "the referral's timeline", "filing-timeline")
		want := fr["status.handover_planned"]
		if got := browsertest.Eval[string](p, `document.getElementById("referral-status").textContent.trim()`); want == "" || got != want {
			t.Errorf("the referral's status reads %q, want %q", got, want)
		}
	})

	t.Run("supervisor assigns the case", func(t *testing.T) {
		p := b.Phone(t, "fr-BF,fr")
		signIn(t, p, e, bf.Casework, "/overview", "bf-supervisor", "")
		checkPage(t, p, "the supervisor's overview", "overview")
		p.Navigate(bf.Casework + "/cases/" + filed)
		setFields(t, p, "#assign form", map[string]string{"assign.assignee": "bf-caseworker"})
		p.Do(chromedp.Click(chromedp.CSS(`#assign button[type="submit"]`)))
		p.WaitFor("the case assigned", `document.querySelector(".notice")`)
		checkPage(t, p, "the case page once assigned", "")
		var mine struct {
			Items []sandbox.Referral `json:"items"`
		}
		if err := bfAPI.Do(t.Context(), http.MethodGet, "/api/v1/referrals?direction=incoming&assigned=me", nil, &mine); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(mine.Items, func(r sandbox.Referral) bool { return r.ID == filed }) {
			t.Errorf("the caseworker's own list lacks the case assigned to them: %+v", mine.Items)
		}
	})

	t.Run("administrator sees the failed and quarantined messages", func(t *testing.T) {
		p := b.Phone(t, "fr-BF,fr")
		signIn(t, p, e, bf.Casework, "/admin/messages", "bf-admin", "")
		checkPage(t, p, "the failed messages", "admin-messages")
		// The relay's quarantine pages share the country's sessions.
		p.Navigate(bf.Relay + "/admin/quarantine")
		p.WaitFor("the relay's quarantine", `location.origin + location.pathname === `+jsString(bf.Relay+"/admin/quarantine"))
		checkPage(t, p, "the relay's quarantine", "")
		signOut(t, p, bf.Casework)
	})

	t.Run("coordinator's pages", func(t *testing.T) {
		p := b.Phone(t, "fr-FR,fr")
		p.Navigate(e.Coordinator.URL + "/login?provider=COORD&return=%2Fcases")
		p.WaitFor("the identity provider's sign-in page", `document.getElementById("username")`)
		p.SignIn("coordinator", demoPassword(t, e, "coordinator"))
		p.WaitFor("the case list", `location.pathname === "/cases"`)
		for _, path := range []string{"/cases", "/overdue", "/members", "/indicators", "/targets", "/report"} {
			p.Navigate(e.Coordinator.URL + path)
			p.WaitFor("the coordinator's "+path, `location.pathname === `+jsString(path))
			checkPage(t, p, "the coordinator's "+path, "")
		}
	})

	t.Run("language switch", func(t *testing.T) {
		p := bfCaseworker.In(t)
		p.Navigate(bf.Casework + "/inbox")
		if lang := browsertest.Eval[string](p, `document.documentElement.lang`); lang != "fr" {
			t.Errorf("the inbox is in %q, want fr from the browser's languages", lang)
		}
		p.Do(chromedp.Click(chromedp.CSS(`footer a[hreflang="en"]`)))
		p.WaitFor("the inbox in English", `document.documentElement.lang === "en" && location.pathname === "/inbox"`)
		checkPage(t, p, "the inbox in English", "inbox-en")
		// The choice stays for the next page.
		p.Navigate(bf.Casework + "/cases/" + filed)
		if lang := browsertest.Eval[string](p, `document.documentElement.lang`); lang != "en" {
			t.Errorf("the case page after choosing English is in %q", lang)
		}
		checkPage(t, p, "the case page in English", "")
	})

	t.Run("sign out", func(t *testing.T) {
		signOut(t, bfCaseworker.In(t), bf.Casework)
		p := inspector.In(t)
		p.Navigate(ci.Casework + "/filing/new")
		waitForm(p)
		signOut(t, p, ci.Casework)
		// Signing out wiped the drafts from the phone.
		if names := browsertest.Eval[string](p, `indexedDB.databases().then(ds => ds.map(d => d.name).join(","))`); strings.Contains(names, "corridor-filing") {
			t.Errorf("the drafts survived signing out: %s", names)
		}
	})
}

// checkPage checks the page the phone shows as every page is checked: it
// answered 200, axe-core finds nothing serious, and it is within the
// budget; shot, if not empty, names its screenshot.
func checkPage(t *testing.T, p *browsertest.Phone, name, shot string) {
	t.Helper()
	if got := p.Status(); got != 200 {
		t.Errorf("%s (%s) answered %d", name, p.URL(), got)
	}
	p.CheckPage(name, shot)
}

// signIn opens path on site, which sends the phone to sign in at the
// country's identity provider; it checks that page, signs in as username
// and waits to be back at path.
func signIn(t *testing.T, p *browsertest.Phone, e sandbox.Endpoints, site, path, username, shot string) {
	t.Helper()
	p.Navigate(site + path)
	p.WaitFor("the identity provider's sign-in page", `document.getElementById("username")`)
	checkPage(t, p, "the identity provider's sign-in page", shot)
	p.SignIn(username, demoPassword(t, e, username))
	p.WaitFor("the way back to "+path, `location.origin + location.pathname === `+jsString(site+path))
}

// signOut signs out with the page's sign-out button, checks the page that
// says so, and that the site then asks to sign in again.
func signOut(t *testing.T, p *browsertest.Phone, site string) {
	t.Helper()
	p.Do(chromedp.Click(chromedp.CSS(`form[action="/logout"] button[type="submit"]`)))
	p.WaitFor("the signed-out page", `location.pathname === "/logged-out"`)
	checkPage(t, p, "the signed-out page", "")
	p.Navigate(site + "/")
	p.WaitFor("the identity provider's sign-in page after signing out", `document.getElementById("username")`)
}

// referralForm is a whole referral as the guided form takes it, for a
// child whose given name is unique to the run (field names are the
// referral document's JSON paths).
func referralForm(givenNames string) map[string][]string {
	return map[string][]string{
		"recipient":                                 {"BF/BF-DPE"},
		"kind":                                      {"responsibility"},
		"urgency":                                   {"urgent"},
		"requested_services":                        {"family_tracing", "reunification"},
		"reason":                                    {"Enfant non accompagné trouvé à un travail dangereux dans une plantation de cacao."},
		"child.name.given_names":                    {givenNames},
		"child.name.family_names":                   {"Exemple"},
		"child.sex":                                 {"male"},
		"child.nationalities":                       {"BF"},
		"child.age_years":                           {"13"},
		"child.age_estimated":                       {"true"},
		"child.age_assessment_method":               {"psychosocial_interview"},
		"work.place":                                {"CI-BS"},
		"work.locality":                             {"Plantation de démonstration"},
		"work.found_at":                             {"2026-03-02T09:00"},
		"work.sector.section":                       {"A"},
		"work.occupation":                           {"Écabossage"},
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
		"family.guardians.name.given_names":         {"Salamata"},
		"family.guardians.locality":                 {"Village de démonstration"},
		"best_interests.risk_level":                 {"high"},
		"best_interests.assessment_status":          {"in_progress"},
		"best_interests.urgent_protection_concerns": {"Coupure de machette à la main gauche"},
		"narrative":                                 {"Cas synthétique de démonstration."},
		"consent.given_by":                          {"child"},
		"consent.to_services":                       {"true"},
		"consent.to_share_abroad":                   {"true"},
		"consent.recorded_at":                       {"2026-03-02T10:30"},
		"sending_officer.name":                      {"Inspecteur Démo"},
		"sending_officer.contact.phone":             {"+22500000000"},
	}
}

// waitForm waits for the guided referral form, its script having set it
// up (one section at a time).
func waitForm(p *browsertest.Phone) {
	p.WaitFor("the guided referral form", `document.documentElement.dataset.filing === "ready"`)
}

// fileReferral fills the guided form with values, walks its sections with
// Next (calling midway, if not nil, half-way through) and sends it. It
// returns the draft's id on the phone.
func fileReferral(t *testing.T, p *browsertest.Phone, values map[string][]string, midway func()) string {
	t.Helper()
	setFields(t, p, "#referral-form", values)
	steps := browsertest.Eval[int](p, `document.querySelectorAll("#referral-form fieldset.step").length`)
	if steps < 2 {
		t.Fatalf("the guided form has %d sections", steps)
	}
	for i := 1; i < steps; i++ {
		if i == steps/2 && midway != nil {
			midway()
		}
		shown := browsertest.Eval[string](p, `document.querySelector("fieldset.step:not([hidden])").id`)
		p.Do(chromedp.Click(chromedp.ID("step-next")))
		p.WaitFor("the next section", `document.querySelector("fieldset.step:not([hidden])").id !== `+jsString(shown))
		if i == 1 {
			p.Screenshot("filing-step-child")
		}
	}
	// The draft this form is saved as: the one not yet sent.
	p.WaitFor("the draft saved on the phone", `document.querySelector('#draft-list li[data-state="draft"]')`)
	draft := browsertest.Eval[string](p, `document.querySelector('#draft-list li[data-state="draft"]').dataset.draftId`)
	p.Do(chromedp.Click(chromedp.ID("send")))
	return draft
}

// draftCSS selects the draft's entry in the phone's list in that state.
func draftCSS(draft, state string) string {
	return `#draft-list li[data-draft-id="` + draft + `"][data-state="` + state + `"]`
}

// draftSelector is a JavaScript condition: the draft is in that state.
func draftSelector(draft, state string) string {
	return `document.querySelector(` + jsString(draftCSS(draft, state)) + `)`
}

// waitDraft opens the form until its list shows the draft in state: each
// load of a filing page asks the server for the sent drafts' states.
func waitDraft(t *testing.T, p *browsertest.Phone, site, draft, state string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		p.Navigate(site + "/filing/new")
		if browsertest.Eval[bool](p, `window.corridorFiling.sync().then(() => !!`+draftSelector(draft, state)+`)`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the draft %s is not %s after a minute", draft, state)
		}
	}
}

// setFields sets the form's fields by name, as typed, and tells the page.
func setFields[V string | []string](t *testing.T, p *browsertest.Phone, form string, values map[string]V) {
	t.Helper()
	all := map[string][]string{}
	for k, v := range values {
		switch v := any(v).(type) {
		case string:
			all[k] = []string{v}
		case []string:
			all[k] = v
		}
	}
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	missing := browsertest.Eval[[]string](p, `(function (form, values) {
		const f = document.querySelector(form), missing = [];
		for (const [name, vs] of Object.entries(values)) {
			const els = f.querySelectorAll("[name='" + CSS.escape(name) + "']");
			if (els.length === 0) missing.push(name);
			for (const el of els) {
				if (el.type === "checkbox" || el.type === "radio") el.checked = vs.includes(el.value);
				else el.value = vs.join("\n");
				el.dispatchEvent(new Event("change", {bubbles: true}));
			}
		}
		f.dispatchEvent(new Event("input", {bubbles: true}));
		return missing;
	})(`+jsString(form)+`, `+string(b)+`)`)
	if len(missing) > 0 {
		t.Fatalf("%s has no field %v", form, missing)
	}
}

// act opens the case page's form for event, fills it and sends it, and
// waits for the case page that says it was done.
func act(t *testing.T, p *browsertest.Phone, event string, values map[string]string) {
	t.Helper()
	form := "#action-" + event
	p.Do(chromedp.Click(chromedp.CSS(form + " summary")))
	if len(values) > 0 {
		setFields(t, p, form+" form", values)
	}
	p.Do(chromedp.Click(chromedp.CSS(form + ` button[type="submit"]`)))
	p.WaitFor(event+" done", `new URLSearchParams(location.search).get("done") === `+jsString(event))
}

// referralsNamed counts the CI inspector's outgoing referrals for a child
// of these given names.
func referralsNamed(t *testing.T, api sandbox.API, givenNames string) int {
	t.Helper()
	items, err := api.Referrals(t.Context(), "outgoing")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range items {
		full, err := api.Referral(t.Context(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(full.Raw); strings.Contains(string(b), givenNames) {
			n++
		}
	}
	return n
}

// readLocale reads the web pages' messages in lang that are plain strings
// (plural ones are left out).
func readLocale(t *testing.T, root, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "pkg", "webui", "locales", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]any
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatalf("read the %s messages: %v", lang, err)
	}
	m := map[string]string{}
	for k, v := range all {
		if s, ok := v.(string); ok {
			m[k] = s
		}
	}
	return m
}

// demoPassword is username's password in endpoints.json.
func demoPassword(t *testing.T, e sandbox.Endpoints, username string) string {
	t.Helper()
	for _, u := range e.Users {
		if u.Username == username {
			return u.Password
		}
	}
	t.Fatalf("no demo user %s in endpoints.json", username)
	return ""
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
