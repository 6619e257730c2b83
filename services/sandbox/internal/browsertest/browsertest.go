// Package browsertest drives Debian's Chromium through chromedp for tests
// of Corridor's pages as people use them: a phone-sized screen in a given
// language, sign-in at a country's identity provider, axe-core's
// accessibility audit, the weight of a page's critical resources over the
// wire, the signal cut and restored, and screenshots.
//
// Chromium (/usr/bin/chromium, Debian's chromium package) and axe-core
// (installed by `make browser-deps` with npm ci from testdata/package.json
// and its lock file) are looked for when a test starts a browser: when
// either is missing the test is skipped with a message saying how to
// install it, unless the environment variable CI is set, where it fails.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/corridor-org/corridor/pkg/webui/webuitest"
)

// Phone's screen: a common mid-range phone held upright, in CSS pixels.
const (
	PhoneWidth  = 390
	PhoneHeight = 844
)

// Budget is the most a page's critical resources (its HTML, style sheets
// and scripts) may weigh over the wire, compressed: the web UI's.
const Budget = webuitest.Budget

// wait bounds each wait for a page's condition.
const wait = 30 * time.Second

// Browser is one headless Chromium process. Each Phone it opens is a
// separate browser context: its own cookies, storage and service workers.
type Browser struct {
	ctx         context.Context
	axeSource   string
	screenshots string
}

// Start launches headless Chromium for the test and closes it when the
// test ends. It skips the test when Chromium or axe-core is missing,
// unless CI is set, where it fails.
func Start(t testing.TB) *Browser {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		missing(t, "Chromium is not installed: install Debian's chromium package (apt-get install chromium)")
	}
	axe, err := os.ReadFile(AxePath())
	if err != nil {
		missing(t, "axe-core is not installed: run make browser-deps (npm ci in "+filepath.Dir(filepath.Dir(filepath.Dir(AxePath())))+")")
	}
	shots := t.TempDir()
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		shots = ScreenshotDir()
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		// Running as root (CI, containers) needs no-sandbox; the
		// background services would reach for hosts this machine cannot
		// reach.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
	}
	// The defaults: headless, no first run, no background networking, no
	// sync, and the rest of chromedp's list.
	opts = append(chromedp.DefaultExecAllocatorOptions[:], opts...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Run starts the browser; it must not carry a timeout.
	if _, err := chromedp.CallBrowser(ctx, browser.GetVersion, struct{}{}); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &Browser{ctx: ctx, axeSource: string(axe), screenshots: shots}
}

// missing skips the test, or fails it in CI, where nothing may be missing.
func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg + "; skipping the browser test")
}

// packageDir is this package's source directory, where testdata/ holds
// the npm packages the tests use.
func packageDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// AxePath is where npm ci puts axe-core's script.
func AxePath() string {
	return filepath.Join(packageDir(), "testdata", "node_modules", "axe-core", "axe.min.js")
}

// ScreenshotDir is the repository's docs/screenshots, where
// UPDATE_SCREENSHOTS=1 writes the phone-size screenshots.
func ScreenshotDir() string {
	return filepath.Join(packageDir(), "..", "..", "..", "..", "docs", "screenshots")
}

// Phone is one tab in its own browser context, at a phone's size, with
// the HTTP cache off so that every page is weighed as on a first visit.
type Phone struct {
	t       testing.TB
	b       *Browser
	ctx     context.Context
	link    *link
	network *requests
}

// Phone opens a phone whose browser asks for pages in languages, most
// preferred first ("fr-FR,fr"; the browser adds the q values).
func (b *Browser) Phone(t testing.TB, languages string) *Phone {
	t.Helper()
	l := newLink(t)
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(func(p *target.CreateBrowserContextParams) {
		p.ProxyServer = "http://" + l.addr
		p.ProxyBypassList = "<-loopback>" // loopback too: the servers are on this machine
	}))
	t.Cleanup(cancel)
	p := &Phone{t: t, b: b, ctx: ctx, link: l, network: &requests{byID: map[network.RequestID]*request{}}}
	// Listen before the first page, so that no response is missed.
	if err := chromedp.Listen(ctx, p.network.record); err != nil {
		t.Fatalf("listen to the phone's network: %v", err)
	}
	version, err := chromedp.CallBrowser(ctx, browser.GetVersion, struct{}{})
	if err != nil {
		t.Fatalf("read the browser's version: %v", err)
	}
	// A phone's user agent: pages may choose their layout by it.
	ua := strings.Replace(version.UserAgent, "X11; Linux x86_64", "Linux; Android 14; Pixel 7", 1)
	ua = strings.Replace(ua, "HeadlessChrome", "Chrome", 1) + " Mobile"
	locale, _, _ := strings.Cut(languages, ",")
	p.Do(
		chromedp.EmulateViewport(PhoneWidth, PhoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)),
		call(emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: languages, Platform: "Linux armv8l"}),
		call(emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: strings.ReplaceAll(locale, "-", "_")}),
		call(network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}),
	)
	return p
}

// call makes an action of a protocol command whose result is not needed.
func call[P, R any](cmd cdp.Command[P, R], params P) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, cmd, params); err != nil {
			return fmt.Errorf("%s: %w", cmd.Method, err)
		}
		return nil
	})
}

// In returns the phone for use in test t (a subtest of the one that
// opened it), so that its failures are t's.
func (p *Phone) In(t testing.TB) *Phone {
	q := *p
	q.t = t
	return &q
}

// Context is the phone's chromedp context, for what this package does
// not offer.
func (p *Phone) Context() context.Context { return p.ctx }

// Do runs the actions on the phone's tab, each wait bounded, and fails the
// test on the first error.
func (p *Phone) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("in the browser: %v", err)
	}
}

// Eval evaluates a JavaScript expression on the phone's page, awaiting it
// if it is a promise, and returns its value as a T.
func Eval[T any](p *Phone, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// WaitFor polls the JavaScript condition on the phone's page until it is
// true, across navigations, and fails the test after the wait's bound.
// what names the condition in the failure.
func (p *Phone) WaitFor(what, condition string) {
	p.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		// A navigation under way aborts an evaluation: that is not an
		// answer, so ask again.
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !!(`+condition+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("waited %s for %s (at %s): %v", wait, what, p.URL(), err)
		}
		select {
		case <-p.ctx.Done():
			p.t.Fatalf("waiting for %s: %v", what, p.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// URL is the address of the phone's page, or "" while there is none.
func (p *Phone) URL() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	if err != nil {
		return ""
	}
	return u
}

// Navigate opens url and waits for the page to load. With no signal, the
// page is told so once loaded (Chromium forgets it on a navigation).
func (p *Phone) Navigate(url string) {
	p.t.Helper()
	p.Do(chromedp.Navigate(url))
	if !p.online() {
		p.setPageSignal(false)
	}
}

// SignIn fills the identity provider's sign-in page the phone is on
// (pkg/oidcdev's login page: #username, #password) and waits until the
// provider has sent the phone back to another site.
func (p *Phone) SignIn(username, password string) {
	p.t.Helper()
	p.WaitFor("the identity provider's sign-in page", `document.getElementById("username") && document.getElementById("password")`)
	provider := Eval[string](p, `location.origin`)
	p.Do(
		chromedp.SetValue(chromedp.ID("username"), username),
		chromedp.SetValue(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("password")),
	)
	p.WaitFor("the way back from the identity provider", `location.origin !== `+jsString(provider))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
