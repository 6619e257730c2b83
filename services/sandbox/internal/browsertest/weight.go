package browsertest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// request is what the phone's network events say of one request.
type request struct {
	loader   cdp.LoaderID
	url      string
	kind     network.ResourceType
	status   int64
	worker   bool // answered by a service worker: nothing crossed the network
	bytes    float64
	finished bool
}

// requests records the phone's requests from its network events; the
// listener runs on chromedp's reading goroutine, so it only appends under
// the lock.
type requests struct {
	mu   sync.Mutex
	byID map[network.RequestID]*request
}

func (r *requests) record(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		// A redirect reuses the id: what counts is the request that
		// loads, and the redirects' bytes are left out (they are small
		// and belong to the previous page's action).
		r.byID[ev.RequestID] = &request{loader: ev.LoaderID, url: ev.Request.URL, kind: ev.Type}
	case *network.EventResponseReceived:
		if q := r.byID[ev.RequestID]; q != nil {
			q.kind, q.status, q.worker = ev.Type, ev.Response.Status, ev.Response.FromServiceWorker
		}
	case *network.EventLoadingFinished:
		if q := r.byID[ev.RequestID]; q != nil {
			q.bytes, q.finished = ev.EncodedDataLength, true
		}
	case *network.EventLoadingFailed:
		if q := r.byID[ev.RequestID]; q != nil {
			q.finished = true
		}
	}
}

// critical says whether a resource of this kind is needed to show the
// page: its HTML, style sheets, scripts and fonts.
func critical(kind network.ResourceType) bool {
	switch kind {
	case network.ResourceTypeDocument, network.ResourceTypeStylesheet, network.ResourceTypeScript, network.ResourceTypeFont:
		return true
	}
	return false
}

// Resource is one critical resource of a page and its bytes over the wire.
type Resource struct {
	URL   string
	Kind  string
	Bytes int
	// FromServiceWorker says a service worker answered it: its bytes, if
	// any, are the worker's fetch, not counted here.
	FromServiceWorker bool
}

// currentLoader is the loader of the page the phone shows now, and its
// address.
func (p *Phone) currentLoader() (cdp.LoaderID, string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		p.t.Fatalf("read the page's frame: %v", err)
	}
	return tree.FrameTree.Frame.LoaderID, tree.FrameTree.Frame.URL
}

// Status is the HTTP status of the page the phone shows now (0 if it came
// from no response the phone saw).
func (p *Phone) Status() int {
	p.t.Helper()
	loader, _ := p.currentLoader()
	p.network.mu.Lock()
	defer p.network.mu.Unlock()
	for _, q := range p.network.byID {
		if q.loader == loader && q.kind == network.ResourceTypeDocument {
			return int(q.status)
		}
	}
	return 0
}

// Weight is the bytes over the wire (compressed bodies and headers, as
// the network events' encodedDataLength counts them) of the critical
// resources of the page the phone shows now: the requests of its
// document's loader, once each has finished.
func (p *Phone) Weight() (int, []Resource) {
	p.t.Helper()
	loader, url := p.currentLoader()
	deadline := time.Now().Add(wait)
	for {
		total, list, pending := p.network.weigh(loader)
		if pending == "" && len(list) > 0 {
			return total, list
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("weigh %s: still loading %s after %s (%d requests seen)", url, pending, wait, len(list))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *requests) weigh(loader cdp.LoaderID) (total int, list []Resource, pending string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.byID {
		if q.loader != loader || !critical(q.kind) {
			continue
		}
		if !q.finished {
			pending = q.url
			continue
		}
		list = append(list, Resource{URL: q.url, Kind: string(q.kind), Bytes: int(q.bytes), FromServiceWorker: q.worker})
		total += int(q.bytes)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].URL < list[j].URL })
	return total, list, pending
}

// CheckBudget fails the test when the page the phone shows weighs more
// than Budget, listing what it loaded; name says which page it is.
func (p *Phone) CheckBudget(name string) (int, []Resource) {
	p.t.Helper()
	total, list := p.Weight()
	if total > Budget {
		var b strings.Builder
		for _, r := range list {
			fmt.Fprintf(&b, "\n  %7d  %-10s %s", r.Bytes, r.Kind, r.URL)
		}
		p.t.Errorf("%s weighs %d bytes over the wire, over the budget of %d:%s", name, total, Budget, b.String())
	}
	return total, list
}
