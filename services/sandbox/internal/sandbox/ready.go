package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

// pollInterval is how often readiness is checked: the condition decides
// when waiting ends, the interval only how soon it is noticed.
const pollInterval = 100 * time.Millisecond

// poll calls check until it succeeds, ctx is done or timeout passes. The
// error names what was awaited and check's last complaint.
func poll(ctx context.Context, timeout time.Duration, what string, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
				return fmt.Errorf("wait for %s: not ready after %s: %w", what, timeout, err)
			}
			return fmt.Errorf("wait for %s: %w", what, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// httpGet fetches url and returns its body when the status is 200.
func httpGet(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s: status %d: %.200s", url, resp.StatusCode, body)
	}
	return body, nil
}

// httpOK is a readiness check: url answers 200.
func httpOK(client *http.Client, url string) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := httpGet(ctx, client, url)
		return err
	}
}

// leafz is the part of nats-server's /leafz this package reads.
type leafz struct {
	Leafs []struct {
		Account string `json:"account"`
	} `json:"leafs"`
}

// leafAccounts returns the accounts of the leaf connections a NATS server
// with monitoring at monitorURL has.
func leafAccounts(ctx context.Context, client *http.Client, monitorURL string) ([]string, error) {
	body, err := httpGet(ctx, client, monitorURL+"/leafz")
	if err != nil {
		return nil, err
	}
	var l leafz
	if err := json.Unmarshal(body, &l); err != nil {
		return nil, fmt.Errorf("parse leafz: %w", err)
	}
	var out []string
	for _, lf := range l.Leafs {
		out = append(out, lf.Account)
	}
	return out, nil
}

// leafsConnected is a readiness check: the server at monitorURL has a leaf
// connection bound to each of accounts.
func leafsConnected(client *http.Client, monitorURL string, accounts ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		have, err := leafAccounts(ctx, client, monitorURL)
		if err != nil {
			return err
		}
		for _, a := range accounts {
			if !slices.Contains(have, a) {
				return fmt.Errorf("no leaf connection for account %s (have %v)", a, have)
			}
		}
		return nil
	}
}

// jsz is the part of nats-server's /jsz?accounts=true&streams=true this
// package reads: each stream's sources and whether they are flowing.
type jsz struct {
	Accounts []struct {
		Name    string `json:"name"`
		Streams []struct {
			Name    string `json:"name"`
			Sources []struct {
				Name     string `json:"name"`
				External *struct {
					API string `json:"api"`
				} `json:"external"`
				// Active is the time since the source last heard from its
				// upstream, in nanoseconds; -1 when it is not connected.
				Active int64 `json:"active"`
				Error  *struct {
					Description string `json:"description"`
				} `json:"error"`
			} `json:"sources"`
		} `json:"stream_detail"`
	} `json:"account_details"`
}

// inboxSourcesActive is a readiness check: the member's INBOX exists and
// its sources from each of peers' OUTBOX are connected. After
// a restart, nats-server retries a stream source only every 30 seconds or
// so; until then a referral sits in the sender's OUTBOX, and a demo that
// starts at once would look broken.
func inboxSourcesActive(client *http.Client, monitorURL string, peers ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		body, err := httpGet(ctx, client, monitorURL+"/jsz?accounts=true&streams=true")
		if err != nil {
			return err
		}
		var j jsz
		if err := json.Unmarshal(body, &j); err != nil {
			return fmt.Errorf("parse jsz: %w", err)
		}
		for _, a := range j.Accounts {
			for _, st := range a.Streams {
				if st.Name != "INBOX" {
					continue
				}
				for _, peer := range peers {
					api := "$JS." + peer + ".API"
					found := false
					for _, src := range st.Sources {
						if src.External == nil || src.External.API != api {
							continue
						}
						found = true
						if src.Error != nil {
							return fmt.Errorf("INBOX source from %s: %s", peer, src.Error.Description)
						}
						if src.Active < 0 {
							return fmt.Errorf("INBOX source from %s is not connected yet (nats-server retries about every 30s after a restart)", peer)
						}
					}
					if !found {
						return fmt.Errorf("INBOX has no source from %s", peer)
					}
				}
				return nil
			}
		}
		return errors.New("no INBOX stream yet")
	}
}
