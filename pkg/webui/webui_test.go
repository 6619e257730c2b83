package webui_test

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/validation"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/pkg/webui/webuitest"
)

func newUI(t *testing.T, cfg webui.Config) *webui.UI {
	t.Helper()
	u, err := webui.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return u
}

// testPage shows a form field, so that the error summary's links have
// something to point at.
var testPage = fstest.MapFS{"form.html": {Data: []byte(
	`{{define "content"}}<form method="post">{{template "csrf" .}}{{template "field-input" (.Field "reason")}}` +
		`<p id="n">{{.Number 1234567}}</p><p id="d">{{.Date .Data}}</p><p id="c">{{.Code "service_type" "medical"}}</p>` +
		`<p id="p">{{.T "list.results" "Count" 0}}</p><button>OK</button></form>{{end}}`)}}

func serve(t *testing.T, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestLanguagesAreTheFiles(t *testing.T) {
	u := newUI(t, webui.Config{DefaultLanguage: "fr"})
	var got []string
	for _, l := range u.Languages() {
		got = append(got, l.Code())
	}
	if want := []string{"fr", "en", "es", "pt"}; !slices.Equal(got, want) {
		t.Errorf("Languages = %v, want %v (default first)", got, want)
	}
}

// Adding a language is adding one file: a German file makes German
// available, its words used, and the rest falls back to English.
func TestAddingALanguageIsAddingAFile(t *testing.T) {
	locales := fstest.MapFS{}
	for _, name := range []string{"en.json", "fr.json"} {
		data, err := os.ReadFile("locales/" + name)
		if err != nil {
			t.Fatal(err)
		}
		locales[name] = &fstest.MapFile{Data: data}
	}
	locales["de.json"] = &fstest.MapFile{Data: []byte(`{"language.name": "Deutsch", "layout.logout": "Abmelden"}`)}
	u := newUI(t, webui.Config{Locales: locales})
	if !slices.ContainsFunc(u.Languages(), func(l webui.Language) bool { return l.Code() == "de" && l.Name == "Deutsch" }) {
		t.Fatalf("Languages = %v, want Deutsch among them", u.Languages())
	}
	de := u.Locale("de")
	if got := de.T("layout.logout"); got != "Abmelden" {
		t.Errorf("de layout.logout = %q", got)
	}
	if got := de.T("layout.skip"); got != "Skip to main content" {
		t.Errorf("de layout.skip = %q, want the English fallback", got)
	}

	bad := fstest.MapFS{"en.json": locales["en.json"], "xx.json": {Data: []byte(`{"layout.logout": "x"}`)}}
	if _, err := webui.New(webui.Config{Locales: bad}); err == nil {
		t.Error("New accepted a message file without language.name")
	}
}

func messageIDs(t *testing.T, name string) []string {
	t.Helper()
	data, err := fs.ReadFile(os.DirFS("locales"), name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return slices.Sorted(maps.Keys(m))
}

// French and English are complete: every message of one is in the other,
// and every code of every translated list has a French label; Spanish and
// Portuguese have every message but the code labels.
func TestFrenchAndEnglishComplete(t *testing.T) {
	en, fr := messageIDs(t, "en.json"), messageIDs(t, "fr.json")
	for _, id := range en {
		if !slices.Contains(fr, id) {
			t.Errorf("fr.json lacks %s", id)
		}
	}
	for _, id := range fr {
		if !strings.HasPrefix(id, "code.") && !slices.Contains(en, id) {
			t.Errorf("en.json lacks %s", id)
		}
	}
	u := newUI(t, webui.Config{})
	for _, list := range webui.CodeLists() {
		if list == "isic_section" {
			continue // ISIC has no official French edition here yet; labels fall back to English.
		}
		for _, o := range u.Locale("en").Options(list) {
			if !slices.Contains(fr, webui.CodeMessageID(list, o.Code)) {
				t.Errorf("fr.json lacks a label for %s %s", list, o.Code)
			}
		}
	}
	// Spanish and Portuguese have every message but the code-list labels,
	// which fall back to the English names.
	for _, other := range []string{"es.json", "pt.json"} {
		ids := messageIDs(t, other)
		for _, id := range ids {
			if !strings.HasPrefix(id, "code.") && !slices.Contains(en, id) {
				t.Errorf("%s has %s, which en.json lacks", other, id)
			}
		}
		for _, id := range en {
			if !slices.Contains(ids, id) {
				t.Errorf("%s lacks %s", other, id)
			}
		}
	}
}

func TestLocaleFormats(t *testing.T) {
	u := newUI(t, webui.Config{})
	day := time.Date(2026, 12, 6, 14, 5, 0, 0, time.UTC)
	tests := []struct {
		lang, date, dateTime, number, plural0, plural2, code string
	}{
		{"fr", "6 décembre 2026", "6 décembre 2026 à 14:05 UTC", "1\u00a0234\u00a0567", "0 résultat", "2 résultats", "Soins médicaux"},
		{"en", "6 December 2026", "6 December 2026, 14:05 UTC", "1,234,567", "0 results", "2 results", "Medical care"},
		{"pt", "6 de dezembro de 2026", "6 de dezembro de 2026, 14:05 UTC", "1.234.567", "0 resultado", "2 resultados", "Medical care"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			l := u.Locale(tt.lang)
			if got := l.Date(day); got != tt.date {
				t.Errorf("Date = %q, want %q", got, tt.date)
			}
			if got := l.DateTime(day); got != tt.dateTime {
				t.Errorf("DateTime = %q, want %q", got, tt.dateTime)
			}
			if got := l.Number(1234567); got != tt.number {
				t.Errorf("Number = %q, want %q", got, tt.number)
			}
			if got := l.T("list.results", "Count", 0); got != tt.plural0 {
				t.Errorf("plural 0 = %q, want %q", got, tt.plural0)
			}
			if got := l.T("list.results", "Count", 2); got != tt.plural2 {
				t.Errorf("plural 2 = %q, want %q", got, tt.plural2)
			}
			if got := l.Code("service_type", "medical"); got != tt.code {
				t.Errorf("Code = %q, want %q", got, tt.code)
			}
		})
	}
	if got := u.Locale("fr").Country("BF"); got != "Burkina Faso" {
		t.Errorf("fr Country(BF) = %q", got)
	}
	if got := u.Locale("fr").Country("CI"); got != "Côte d’Ivoire" {
		t.Errorf("fr Country(CI) = %q", got)
	}
	if got := u.Locale("en").Code("service_type", "no_such_code"); got != "no_such_code" {
		t.Errorf("unknown code = %q, want the code itself", got)
	}
}

func TestLanguageChoice(t *testing.T) {
	u := newUI(t, webui.Config{DefaultLanguage: "fr"})
	page := u.MustParsePage(testPage, "form.html")
	h := u.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.Render(w, r, http.StatusOK, page, u.NewView(r, "error.404.title", time.Time{}))
	}))
	tests := []struct {
		name, accept, cookie, want string
	}{
		{"nothing asked gives the default", "", "", "fr"},
		{"the browser's language", "en-GB,en;q=0.9", "", "en"},
		{"a regional variant", "pt-BR", "", "pt"},
		{"an unknown language gives the default", "de-DE", "", "fr"},
		{"the cookie wins over the browser", "en", "es", "es"},
		{"an unknown cookie is ignored", "en", "xx", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.accept != "" {
				r.Header.Set("Accept-Language", tt.accept)
			}
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: webui.LanguageCookie, Value: tt.cookie})
			}
			body := serve(t, h, r).Body.String()
			if !strings.Contains(body, `<html lang="`+tt.want+`">`) {
				t.Errorf("page is not in %s:\n%.200s", tt.want, body)
			}
		})
	}
}

func TestLanguageSwitch(t *testing.T) {
	u := newUI(t, webui.Config{})
	h := u.Middleware(u.LanguageHandler())
	tests := []struct {
		query    string
		status   int
		cookie   string
		location string
	}{
		{"to=fr&next=/inbox%3Fpage%3D2", http.StatusSeeOther, "fr", "/inbox?page=2"},
		{"to=en&next=//evil.example/", http.StatusSeeOther, "en", "/"},
		{"to=en&next=https://evil.example/", http.StatusSeeOther, "en", "/"},
		{"to=en&next=/%5Cevil.example", http.StatusSeeOther, "en", "/"},
		{"to=xx&next=/", http.StatusNotFound, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := serve(t, h, httptest.NewRequest(http.MethodGet, webui.LanguagePath+"?"+tt.query, nil))
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if got := rec.Header().Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
			var got string
			for _, c := range rec.Result().Cookies() {
				if c.Name == webui.LanguageCookie {
					got = c.Value
					if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
						t.Errorf("cookie %+v is not HttpOnly and SameSite=Lax", c)
					}
				}
			}
			if got != tt.cookie {
				t.Errorf("cookie = %q, want %q", got, tt.cookie)
			}
		})
	}
}

func TestSecurityHeadersAndCompression(t *testing.T) {
	u := newUI(t, webui.Config{})
	page := u.MustParsePage(testPage, "form.html")
	h := u.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.Render(w, r, http.StatusOK, page, u.NewView(r, "error.404.title", time.Time{}))
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	rec := serve(t, h, r)
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
			"object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "same-origin",
		"Cache-Control":          "no-store",
		"Content-Encoding":       "gzip",
	}
	for k, v := range want {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if rec.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP")
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	// No inline script or style: the policy would block them.
	for _, bad := range []string{"<script>", "<style", " style=", " onclick=", "javascript:"} {
		if strings.Contains(string(body), bad) {
			t.Errorf("page has %q, which the policy blocks", bad)
		}
	}
	if !strings.Contains(string(body), `class="skip" href="#main"`) {
		t.Error("page has no skip link")
	}
}

func TestStaticFiles(t *testing.T) {
	extra := fstest.MapFS{"app.js": {Data: []byte("console.log('x')\n")}}
	u := newUI(t, webui.Config{Assets: []fs.FS{extra}})
	h := u.Middleware(u.Static())
	css := u.Asset("corridor.css")
	if !strings.HasPrefix(css, webui.StaticPrefix+"corridor.") || css == webui.StaticPrefix+"corridor.css" {
		t.Fatalf("Asset = %q, want a content-hashed name", css)
	}
	tests := []struct {
		path, status, cache, ctype string
	}{
		{css, "200", "public, max-age=31536000, immutable", "text/css; charset=utf-8"},
		{u.Asset("app.js"), "200", "public, max-age=31536000, immutable", "text/javascript; charset=utf-8"},
		{webui.StaticPrefix + "app.js", "200", "no-cache", "text/javascript; charset=utf-8"},
		{webui.StaticPrefix + "nothing.js", "404", "no-store", "text/html; charset=utf-8"},
	}
	for _, tt := range tests {
		rec := serve(t, h, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if got := http.StatusText(rec.Code); rec.Code != atoi(tt.status) {
			t.Errorf("GET %s = %s", tt.path, got)
		}
		if got := rec.Header().Get("Cache-Control"); got != tt.cache {
			t.Errorf("GET %s Cache-Control = %q, want %q", tt.path, got, tt.cache)
		}
		if got := rec.Header().Get("Content-Type"); got != tt.ctype {
			t.Errorf("GET %s Content-Type = %q, want %q", tt.path, got, tt.ctype)
		}
	}
	dup := fstest.MapFS{"corridor.css": {Data: []byte("x")}}
	if _, err := webui.New(webui.Config{Assets: []fs.FS{dup}}); err == nil {
		t.Error("New accepted a static file that shadows the kit's")
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestErrorPages(t *testing.T) {
	u := newUI(t, webui.Config{})
	mux := http.NewServeMux()
	mux.HandleFunc("/401", func(w http.ResponseWriter, r *http.Request) { u.Error(w, r, http.StatusUnauthorized) })
	mux.HandleFunc("/403", func(w http.ResponseWriter, r *http.Request) {
		u.Fail(w, r, &corridor.Error{Kind: corridor.KindForbidden, Message: "no"})
	})
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) { panic("a bug") })
	mux.Handle("/", u.NotFound())
	h := u.Middleware(mux)
	tests := []struct {
		path   string
		status int
		lang   string
		title  string
	}{
		{"/401", 401, "en", "Sign in to continue"},
		{"/403", 403, "fr", "Vous n&#39;avez pas accès"},
		{"/nowhere", 404, "fr", "Page introuvable"},
		{"/500", 500, "en", "Something went wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			r.Header.Set("Accept-Language", tt.lang)
			rec := serve(t, h, r)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			if !strings.Contains(rec.Body.String(), "<h1>"+tt.title+"</h1>") {
				t.Errorf("page lacks <h1>%s</h1>:\n%s", tt.title, rec.Body.String())
			}
			if rec.Header().Get("Content-Security-Policy") == "" {
				t.Error("error page without the policy")
			}
		})
	}
}

// A form's validation errors become an error summary whose entries link to
// each field, and field messages in the person's language.
func TestErrorSummary(t *testing.T) {
	u := newUI(t, webui.Config{CSRFToken: func(*http.Request) string { return "tok" }})
	page := u.MustParsePage(testPage, "form.html")
	v, err := validation.Default()
	if err != nil {
		t.Fatal(err)
	}
	type form struct {
		Reason string `json:"reason" validate:"required"`
	}
	check := v.Check("The form has errors.", &form{})
	if corridor.KindOf(check) != corridor.KindInvalid {
		t.Fatalf("Check = %v", check)
	}
	h := u.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		view := u.NewView(r, "error.400.title", time.Time{})
		view.SetError(check)
		u.Render(w, r, http.StatusUnprocessableEntity, page, view)
	}))
	for _, tt := range []struct{ lang, label, message string }{
		{"fr", "Motif\u00a0", "Saisissez ou choisissez une valeur"},
		{"en", "Reason", "Enter or choose a value"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Accept-Language", tt.lang)
		body := serve(t, h, r).Body.String()
		for _, want := range []string{
			`<a href="#f-reason">` + tt.label + `: ` + tt.message + `</a>`,
			`id="f-reason-error">` + tt.message,
			`id="f-reason" name="reason" type="text" value="" aria-invalid="true" aria-describedby="f-reason-error"`,
			`<input type="hidden" name="csrf_token" value="tok">`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s page lacks %s:\n%s", tt.lang, want, body)
			}
		}
	}

	// An error that is not about a field is said in words, without fields.
	view := u.NewView(httptest.NewRequest(http.MethodGet, "/", nil), "x", nil)
	view.SetError(errors.New("db down"))
	if view.Problem != "Something went wrong on our side. Nothing was changed." || len(view.Errors) != 0 {
		t.Errorf("SetError(internal) = %q %v", view.Problem, view.Errors)
	}
}

func TestNavByRole(t *testing.T) {
	u := newUI(t, webui.Config{Nav: []webui.NavItem{
		{Href: "/inbox", Label: "layout.nav", Roles: []corridor.Role{corridor.RoleCaseworker}},
		{Href: "/referrals/new", Label: "layout.skip", Roles: []corridor.Role{corridor.RoleInspector}},
		{Href: "/help", Label: "layout.languages"},
		{Href: "/never", Label: "layout.logout", Allow: func(auth.Principal) bool { return false }},
	}})
	r := httptest.NewRequest(http.MethodGet, "/inbox/x", nil)
	r = r.WithContext(auth.NewContext(r.Context(), auth.Principal{Username: "a", Roles: []corridor.Role{corridor.RoleCaseworker}}))
	v := u.NewView(r, "x", nil)
	want := []webui.NavLink{{Href: "/inbox", Label: "Main menu", Current: true}, {Href: "/help", Label: "Language"}}
	if !slices.Equal(v.Nav, want) {
		t.Errorf("Nav = %v, want %v", v.Nav, want)
	}
	if v := u.NewView(httptest.NewRequest(http.MethodGet, "/", nil), "x", nil); v.SignedIn || len(v.Nav) != 0 {
		t.Errorf("anonymous view has nav %v", v.Nav)
	}
}

func TestPageWithinBudget(t *testing.T) {
	u := newUI(t, webui.Config{})
	page := u.MustParsePage(testPage, "form.html")
	mux := http.NewServeMux()
	mux.Handle(webui.StaticPrefix, u.Static())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u.Render(w, r, http.StatusOK, page, u.NewView(r, "error.404.title", time.Time{}))
	})
	got := webuitest.Weight(t, u.Middleware(mux), httptest.NewRequest(http.MethodGet, "/", nil))
	if got > webuitest.Budget {
		t.Errorf("page weighs %d bytes compressed, over the budget of %d", got, webuitest.Budget)
	}
	if got < 1000 {
		t.Errorf("page weighs %d bytes: the style sheet was not counted", got)
	}
}
