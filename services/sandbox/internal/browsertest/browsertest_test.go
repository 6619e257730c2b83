package browsertest_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/corridor-org/corridor/services/sandbox/internal/browsertest"
)

// site serves the pages the harness is tried on: a clean one, one with
// accessibility faults, and one whose script is over the budget.
func site(t *testing.T) *httptest.Server {
	t.Helper()
	big := make([]byte, 80_000) // random: compression cannot shrink it
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	heavy := "/* " + hex.EncodeToString(big) + " */"
	mux := http.NewServeMux()
	page := func(lang, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", "default-src 'self'")
			fmt.Fprintf(w, `<!doctype html><html lang="%s"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Page</title>
<link rel="stylesheet" href="/style.css"></head><body><main><h1>Page</h1>%s</main></body></html>`, lang, body)
		}
	}
	mux.HandleFunc("GET /clean", page("fr", `<p>Langue : <span id="lang"></span></p><script src="/lang.js"></script>`))
	mux.HandleFunc("GET /faulty", page("fr", `<form><input id="name"><button></button></form>`))
	mux.HandleFunc("GET /heavy", page("fr", `<script src="/heavy.js"></script>`))
	mux.HandleFunc("GET /style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, "body { font-family: sans-serif; }")
	})
	mux.HandleFunc("GET /lang.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `document.getElementById("lang").textContent = navigator.language;`)
	})
	mux.HandleFunc("GET /heavy.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, heavy)
	})
	// A service worker that takes every request of its scope and fetches
	// it itself, and answers a page from its cache with no signal, as an
	// offline web app's does.
	mux.HandleFunc("GET /app/", page("fr", `<p>App</p><script src="/app/register.js"></script>`))
	mux.HandleFunc("GET /app/register.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `navigator.serviceWorker.register("/app/sw.js", {scope: "/app/"});`)
	})
	mux.HandleFunc("GET /app/sw.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", e => e.waitUntil(self.clients.claim()));
self.addEventListener("fetch", e => e.respondWith(e.request.mode !== "navigate" ? fetch(e.request) : fetch(e.request).then(r => {
	const copy = r.clone();
	return caches.open("app").then(c => c.put(e.request, copy)).then(() => r);
}, () => caches.match(e.request).then(hit => hit || Response.error()))));`)
	})
	mux.HandleFunc("GET /app/lang", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("Accept-Language"))
	})
	mux.HandleFunc("GET /lang", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("Accept-Language"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestHarness tries each of the harness's checks on pages that pass and
// pages that fail it, so that a page's flaw cannot go unseen.
func TestHarness(t *testing.T) {
	t.Setenv("UPDATE_SCREENSHOTS", "") // its pages are not the documentation's
	b := browsertest.Start(t)
	srv := site(t)
	phone := b.Phone(t, "fr-FR,fr")

	t.Run("language and screen", func(t *testing.T) {
		phone := phone.In(t)
		phone.Navigate(srv.URL + "/clean")
		if got := browsertest.Eval[string](phone, `navigator.language`); got != "fr-FR" {
			t.Errorf("navigator.language %q, want fr-FR", got)
		}
		if got := browsertest.Eval[string](phone, `fetch("/lang").then(r => r.text())`); got != "fr-FR,fr;q=0.9" {
			t.Errorf("the server sees Accept-Language %q", got)
		}
		if got := browsertest.Eval[int](phone, `window.innerWidth`); got != browsertest.PhoneWidth {
			t.Errorf("the page is %d px wide, want a phone's %d", got, browsertest.PhoneWidth)
		}
		if !browsertest.Eval[bool](phone, `matchMedia("(pointer: coarse)").matches`) {
			t.Error("the screen is not a touch screen")
		}
	})

	t.Run("audit", func(t *testing.T) {
		phone := phone.In(t)
		phone.Navigate(srv.URL + "/clean")
		if v := phone.Audit(); len(v) != 0 {
			t.Errorf("a clean page has violations: %+v", v)
		}
		phone.Navigate(srv.URL + "/faulty")
		var ids []string
		for _, v := range phone.Audit() {
			ids = append(ids, v.ID+"/"+v.Impact)
		}
		for _, want := range []string{"label/critical", "button-name/critical"} {
			if !slices.Contains(ids, want) {
				t.Errorf("violations %v lack %s", ids, want)
			}
		}
	})

	t.Run("weight", func(t *testing.T) {
		phone := phone.In(t)
		phone.Navigate(srv.URL + "/clean")
		if got := phone.Status(); got != http.StatusOK {
			t.Errorf("the clean page's status is %d", got)
		}
		total, list := phone.Weight()
		if len(list) != 3 || total < 300 || total > 3000 {
			t.Errorf("the clean page weighs %d bytes in %+v, want its HTML, style sheet and script, about 1 KB", total, list)
		}
		// The HTTP cache is off: a second visit weighs the same.
		phone.Navigate(srv.URL + "/clean")
		if again, _ := phone.Weight(); again < total-100 {
			t.Errorf("the second visit weighs %d bytes, the first %d: the cache is on", again, total)
		}
		phone.Navigate(srv.URL + "/missing")
		if got := phone.Status(); got != http.StatusNotFound {
			t.Errorf("a missing page's status is %d, want 404", got)
		}
		phone.Navigate(srv.URL + "/heavy")
		if total, _ := phone.Weight(); total <= browsertest.Budget {
			t.Errorf("the heavy page weighs %d bytes, want over %d", total, browsertest.Budget)
		}
	})

	t.Run("signal", func(t *testing.T) {
		phone := phone.In(t)
		phone.Navigate(srv.URL + "/clean")
		fetchLang := `fetch("/lang").then(r => r.ok, () => false)`
		phone.SetSignal(false)
		if browsertest.Eval[bool](phone, `navigator.onLine`) {
			t.Error("navigator.onLine with the signal cut")
		}
		if browsertest.Eval[bool](phone, fetchLang) {
			t.Error("a request went through with the signal cut")
		}
		browsertest.Eval[bool](phone, `(window.addEventListener("online", () => window.cameOnline = true), true)`)
		phone.SetSignal(true)
		if !browsertest.Eval[bool](phone, `navigator.onLine`) || !browsertest.Eval[bool](phone, fetchLang) {
			t.Error("no signal after restoring it")
		}
		phone.WaitFor("the online event", `window.cameOnline`)

		// Through a service worker, which fetches for the page.
		phone.Navigate(srv.URL + "/app/")
		phone.WaitFor("the service worker to control the page", `navigator.serviceWorker.controller`)
		phone.Navigate(srv.URL + "/app/") // now through the worker, which keeps it
		fetchApp := `fetch("/app/lang").then(r => r.ok, () => false)`
		if !browsertest.Eval[bool](phone, fetchApp) {
			t.Fatal("the service worker's fetch fails with the signal on")
		}
		phone.SetSignal(false)
		if browsertest.Eval[bool](phone, fetchApp) {
			t.Error("the service worker's request went through with the signal cut")
		}
		// A page loaded with no signal (from the service worker) hears the
		// signal come back too.
		phone.Navigate(srv.URL + "/app/")
		if browsertest.Eval[bool](phone, `navigator.onLine`) {
			t.Error("a page loaded with no signal says it is online")
		}
		browsertest.Eval[bool](phone, `(window.addEventListener("online", () => window.cameOnline = true), true)`)
		phone.SetSignal(true)
		phone.WaitFor("the online event after a load with no signal", `window.cameOnline`)
		if !browsertest.Eval[bool](phone, fetchApp) {
			t.Error("the service worker's request fails after the signal is restored")
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		phone := phone.In(t)
		phone.Navigate(srv.URL + "/clean")
		if path := phone.Screenshot("harness"); path == "" {
			t.Error("no screenshot")
		}
	})
}
