package filing_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/corridor-org/corridor/services/casework/internal/web/filing"
)

// browser starts headless Chromium at a phone's size, signed in as user on
// s. It skips the test when Chromium is missing, unless CI is set.
func browser(t *testing.T, s *site, user string) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is needed in CI: install Debian's chromium package")
		}
		t.Skip("Chromium is not installed (Debian's chromium package); skipping the browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(390, 844), chromedp.UserDataDir(t.TempDir()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "test-user", Value: user, URL: s.srv.URL}); err != nil {
		t.Fatalf("set the session cookie: %v", err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// setSignal cuts or restores the network, both as the browser sees it
// (navigator.onLine and its events) and at the server.
func setSignal(t *testing.T, ctx context.Context, s *site, on bool) {
	t.Helper()
	s.down.Store(!on)
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: !on, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		t.Fatalf("set the network state: %v", err)
	}
}

// TestOfflineFilingInABrowser files a referral with the signal cut: the
// draft waits, encrypted, and is filed once when the signal comes back.
func TestOfflineFilingInABrowser(t *testing.T) {
	s := newSite(t)
	ctx := browser(t, s, "inspector")
	run(t, ctx, chromedp.Navigate(s.srv.URL+filing.PathNew), chromedp.WaitReady(`html[data-filing="ready"]`))

	// One section at a time on a phone.
	if n := eval[int](t, ctx, `Array.from(document.querySelectorAll("fieldset.step")).filter(f => !f.hidden).length`); n != 1 {
		t.Fatalf("%d sections shown at once, want 1", n)
	}
	run(t, ctx, chromedp.Click("#step-next"))
	if id := eval[string](t, ctx, `document.querySelector("fieldset.step:not([hidden])").id`); id != "step-child" {
		t.Errorf("after Next the section shown is %s", id)
	}
	// The keyboard's Enter in a field goes on to the next step, and sends
	// nothing.
	run(t, ctx, chromedp.SendKeys("#f-child-name-given-names", "Awa\r"))
	if id := eval[string](t, ctx, `document.querySelector("fieldset.step:not([hidden])").id`); id != "step-age" {
		t.Errorf("after Enter the section shown is %s", id)
	}
	// The service worker takes the form's scope.
	if scope := eval[string](t, ctx, `navigator.serviceWorker.ready.then(r => r.scope)`); scope != s.srv.URL+filing.Prefix {
		t.Errorf("service worker scope %q", scope)
	}

	// Fill every answer, as typed.
	form := goodForm("inspector", "")
	fill(t, ctx, form)

	setSignal(t, ctx, s, false)
	eval[bool](t, ctx, `(document.getElementById("referral-form").requestSubmit(), true)`)
	run(t, ctx, chromedp.WaitVisible(`#draft-list li[data-state="waiting"]`))
	if n := s.referrals(); n != 0 {
		t.Fatalf("%d referrals filed with no signal", n)
	}
	// What the phone keeps is encrypted: no name in the stored draft.
	stored := eval[string](t, ctx, `new Promise(res => { const r = indexedDB.open("corridor-filing"); r.onsuccess = () => {
		r.result.transaction("drafts").objectStore("drafts").getAll().onsuccess = e => res(JSON.stringify(e.target.result.map(d => [d.state, d.data instanceof ArrayBuffer]))); }; })`)
	if stored != `[["waiting",true]]` {
		t.Errorf("stored drafts %s", stored)
	}

	// The signal comes back: the online event sends the draft.
	setSignal(t, ctx, s, true)
	run(t, ctx, chromedp.WaitVisible(`#draft-list li[data-state="sent"]`))
	// The form starts a new referral: what is typed next is not the one sent.
	if v := eval[string](t, ctx, `document.getElementById("f-child-name-given-names").value`); v != "" {
		t.Errorf("the form still holds the sent referral's name %q", v)
	}
	// With no signal the form still opens, from the service worker's
	// cache, with the drafts on the phone.
	setSignal(t, ctx, s, false)
	run(t, ctx, chromedp.Navigate(s.srv.URL+filing.PathNew), chromedp.WaitReady(`html[data-filing="ready"]`),
		chromedp.WaitVisible(`#draft-list li[data-state="sent"]`))
	setSignal(t, ctx, s, true)
	// Sending again, as a page load would, files nothing more.
	eval[bool](t, ctx, `window.corridorFiling.sync().then(() => true)`)
	if n := s.referrals(); n != 1 {
		t.Errorf("%d referrals filed, want 1", n)
	}
	// The receipt comes back from the other country (here, straight into
	// the database): the next sync shows the draft delivered.
	s.deliverAll()
	eval[bool](t, ctx, `window.corridorFiling.sync().then(() => true)`)
	run(t, ctx, chromedp.WaitVisible(`#draft-list li[data-state="delivered"]`))
}

// fill types form's answers into the referral form.
func fill(t *testing.T, ctx context.Context, form url.Values) {
	t.Helper()
	form = maps.Clone(form)
	delete(form, "csrf_token")
	delete(form, "idempotency_key")
	values, err := json.Marshal(form)
	if err != nil {
		t.Fatal(err)
	}
	eval[bool](t, ctx, `(function (values) {
		const f = document.getElementById("referral-form");
		for (const el of f.querySelectorAll("input[type=checkbox], input[type=radio]")) el.checked = false;
		for (const [name, vs] of Object.entries(values)) {
			for (const el of f.querySelectorAll("[name='" + CSS.escape(name) + "']")) {
				if (el.type === "checkbox" || el.type === "radio") el.checked = vs.includes(el.value);
				else el.value = vs.join("\n");
			}
		}
		f.dispatchEvent(new Event("input", {bubbles: true}));
		return true;
	})(`+string(values)+`)`)
}

// TestFilingInABrowser sends a draft the server refuses, corrects it from
// the server's error summary, files it, and signs out with a draft left.
func TestFilingInABrowser(t *testing.T) {
	s := newSite(t)
	ctx := browser(t, s, "inspector")
	run(t, ctx, chromedp.Navigate(s.srv.URL+filing.PathNew), chromedp.WaitReady(`html[data-filing="ready"]`))

	form := goodForm("inspector", "")
	form.Del("child.sex")
	fill(t, ctx, form)
	eval[bool](t, ctx, `(document.getElementById("referral-form").requestSubmit(), true)`)
	// The refused draft is posted to the server, whose summary names the field.
	run(t, ctx, chromedp.WaitReady(`html[data-filing="ready"] #error-summary a[href="#f-child-sex"]`))
	if id := eval[string](t, ctx, `document.querySelector("fieldset.step:not([hidden])").id`); id != "step-child" {
		t.Errorf("the section shown is %s, want the one with the error", id)
	}
	if key := eval[string](t, ctx, `document.getElementById("idempotency-key").value`); !strings.HasPrefix(key, "draft-") {
		t.Errorf("the form lost its draft's key: %q", key)
	}
	run(t, ctx, chromedp.Click(`#error-summary a[href="#f-child-sex"]`), chromedp.Click("#f-child-sex-male"))
	eval[bool](t, ctx, `(document.getElementById("referral-form").requestSubmit(), true)`)
	run(t, ctx, chromedp.WaitVisible(`#referral[data-referral-id]`), chromedp.WaitVisible(`.notice`))
	if n := s.referrals(); n != 1 {
		t.Fatalf("%d referrals filed, want 1", n)
	}

	// A draft not sent yet: signing out warns, and wipes it only if confirmed.
	run(t, ctx, chromedp.Navigate(s.srv.URL+filing.PathNew), chromedp.WaitReady(`html[data-filing="ready"]`))
	fill(t, ctx, url.Values{"reason": {"Another child"}})
	eval[bool](t, ctx, `window.corridorFiling.save("draft").then(() => true)`)
	eval[bool](t, ctx, `(window.confirm = () => (window.asked = (window.asked || 0) + 1, false), document.querySelector("form.logout").requestSubmit(), true)`)
	run(t, ctx, chromedp.Poll[chromedp.Void](`window.asked === 1`))
	if path := eval[string](t, ctx, `location.pathname`); path != filing.PathNew {
		t.Fatalf("signed out without confirming: at %s", path)
	}
	states := eval[string](t, ctx, `new Promise(res => indexedDB.open("corridor-filing").onsuccess = e => e.target.result.transaction("drafts").objectStore("drafts").getAll().onsuccess = g => res(g.target.result.map(d => d.state).sort().join(",")))`)
	if states != "draft,sent" {
		t.Errorf("drafts after the warning was declined: %s, want the draft and the sent one", states)
	}
	eval[bool](t, ctx, `(window.confirm = () => true, setTimeout(() => document.querySelector("form.logout").requestSubmit()), true)`)
	waitForPath(t, ctx, "/logout")
	if names := eval[string](t, ctx, `indexedDB.databases().then(ds => ds.map(d => d.name).join(","))`); strings.Contains(names, "corridor-filing") {
		t.Errorf("the drafts survived signing out: %s", names)
	}
}

// waitForPath polls until the tab shows path, across the navigation that
// gets it there (which aborts any script evaluated in the old page).
func waitForPath(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === "complete" ? location.pathname : ""`))
		if err == nil && got == path {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tab did not reach %s (at %q, %v)", path, got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
