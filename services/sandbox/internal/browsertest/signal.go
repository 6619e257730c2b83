package browsertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
)

// link is a phone's way to the servers: a forward proxy, which its
// browser context sends every request through (loopback ones included),
// and which can be cut. Emulating a page offline through the DevTools
// protocol leaves out a service worker's own requests; a cut link fails
// them all, as a phone with no signal would.
type link struct {
	addr  string
	srv   *http.Server
	proxy *httputil.ReverseProxy
	down  atomic.Bool

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func newLink(t testing.TB) *link {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen for the phone's link: %v", err)
	}
	transport := &http.Transport{Proxy: nil, DisableCompression: true}
	l := &link{addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	l.proxy = &httputil.ReverseProxy{
		// A proxy request carries the absolute URL it is for.
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL = r.In.URL
			r.Out.Host = r.In.Host
		},
		Transport: transport,
		// A server that is down is a failed request for the phone too.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { l.drop(w) },
	}
	l.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if l.down.Load() || r.URL.Host == "" {
				l.drop(w)
				return
			}
			l.proxy.ServeHTTP(w, r)
		}),
		ConnState: l.track,
	}
	go func() {
		if err := l.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("the phone's link: %v", err)
		}
	}()
	t.Cleanup(func() {
		l.srv.Close()
		transport.CloseIdleConnections()
	})
	return l
}

// track keeps the open connections, to close them when the link is cut,
// and closes any opened while it is.
func (l *link) track(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch state {
	case http.StateNew:
		if l.down.Load() {
			c.Close()
			return
		}
		l.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, c)
	}
}

// drop ends the request with no answer: the browser sees the connection
// closed, a network error.
func (l *link) drop(w http.ResponseWriter) {
	if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
		c.Close()
	}
}

// set cuts or restores the link; a cut also closes the connections the
// browser keeps open.
func (l *link) set(on bool) {
	l.down.Store(!on)
	if on {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.Close()
	}
}

// SetSignal cuts the phone's network (on false) or restores it (on true):
// every request fails, its service worker's included, and the page sees
// navigator.onLine and its online and offline events as on a phone losing
// and finding its signal.
func (p *Phone) SetSignal(on bool) {
	p.t.Helper()
	if on {
		// Chromium forgets the page's offline state on a navigation:
		// saying it again first makes the page see the signal come back
		// (the online event), whatever it was told since.
		p.setPageSignal(false)
	}
	p.link.set(on)
	p.setPageSignal(on)
}

// setPageSignal tells the page whether it has signal.
// Network.emulateNetworkConditionsByRule takes other parameters in each
// Chromium release, so they are written out here as Debian's Chromium
// takes them.
func (p *Phone) setPageSignal(on bool) {
	p.t.Helper()
	rule := map[string]any{"offline": !on, "matchedNetworkConditions": []any{map[string]any{
		"urlPattern": "", "offline": !on, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}}}
	state := map[string]any{"offline": !on, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
	p.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if err := t.Call(ctx, "Network.emulateNetworkConditionsByRule", rule, nil); err != nil {
			return fmt.Errorf("set the page's signal: %w", err)
		}
		if err := t.Call(ctx, "Network.overrideNetworkState", state, nil); err != nil {
			return fmt.Errorf("set the page's signal: %w", err)
		}
		return nil
	}))
}

// online says whether the phone has signal.
func (p *Phone) online() bool { return !p.link.down.Load() }
