package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// AxeTags are the rule sets the audit runs: WCAG 2.0, 2.1 and 2.2, levels
// A and AA.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// Violation is one of axe-core's findings: a rule the page breaks, how
// badly, and where.
type Violation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// Audit runs axe-core on the page the phone shows and returns its
// violations. The script is evaluated through the DevTools protocol, which
// the page's Content-Security-Policy does not govern, so the page is
// audited as served.
func (p *Phone) Audit() []Violation {
	p.t.Helper()
	if !Eval[bool](p, `typeof axe === "object"`) {
		// The script, as a script: its value is of no use.
		p.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[*runtime.RemoteObject](p.b.axeSource)(ctx, t)
			return err
		}))
	}
	type result struct {
		Violations []Violation `json:"violations"`
	}
	r := Eval[result](p, `axe.run(document, {runOnly: {type: "tag", values: `+jsList(AxeTags)+`}, resultTypes: ["violations"]})`)
	return r.Violations
}

// CheckAccessibility fails the test when axe-core finds a serious or
// critical violation on the page the phone shows, naming each rule and
// where it fails; minor and moderate ones are logged. name says which page
// it is.
func (p *Phone) CheckAccessibility(name string) {
	p.t.Helper()
	var serious, other []string
	for _, v := range p.Audit() {
		line := fmt.Sprintf("%s (%s): %s [%s]", v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			line += fmt.Sprintf("\n    at %v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", "; "))
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			serious = append(serious, line)
		} else {
			other = append(other, line)
		}
	}
	if len(other) > 0 {
		p.t.Logf("%s: axe-core's lesser findings:\n  %s", name, strings.Join(other, "\n  "))
	}
	if len(serious) > 0 {
		p.t.Errorf("%s (%s): axe-core finds %d serious or critical violations:\n  %s", name, p.URL(), len(serious), strings.Join(serious, "\n  "))
	}
}

// Screenshot captures the phone's screen as name.png: into docs/screenshots
// when UPDATE_SCREENSHOTS=1, else into the test's temporary directory.
func (p *Phone) Screenshot(name string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	png, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng})
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.b.screenshots, name+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, png.Data, 0o644); err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	return path
}

// CheckPage audits the page the phone shows, checks its weight and takes
// its screenshot (named shot, if not empty): what every visited page gets.
func (p *Phone) CheckPage(name, shot string) {
	p.t.Helper()
	p.CheckAccessibility(name)
	total, list := p.CheckBudget(name)
	worker := 0
	for _, r := range list {
		if r.FromServiceWorker {
			worker++
		}
	}
	if worker > 0 {
		p.t.Logf("%s: %d bytes over the wire; %d of its %d critical resources from the service worker", name, total, worker, len(list))
	} else {
		p.t.Logf("%s: %d bytes over the wire", name, total)
	}
	if shot != "" {
		p.Screenshot(shot)
	}
}

func jsList(ss []string) string {
	quoted := make([]string, len(ss))
	for i, s := range ss {
		quoted[i] = jsString(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
