package relay

import (
	"context"
	"errors"
	"net/http"

	"github.com/corridor-org/corridor/pkg/audit/audithttp"
	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/streams"
)

// Quarantine listing bounds.
const (
	defaultListLimit = 100
	maxListLimit     = 500
)

// Handler returns the relay's HTTP API: the operational endpoints,
// GET /api/v1/status, and the quarantine: GET /api/v1/quarantine, one
// message, its release and its dismissal.
func (r *Relay) Handler() (http.Handler, error) {
	httpMetrics, err := httpapi.NewMetrics(r.cfg.Registry)
	if err != nil {
		return nil, err
	}
	mux := httpapi.NewMux(r.logger)
	httpapi.HandleOps(mux, r.logger, r.cfg.Registry, r.readinessChecks()...)
	// Counts carry no data, so the status needs no token: monitoring can
	// read it as it reads /metrics.
	mux.HandleFunc("GET /api/v1/status", r.handleStatus)
	// Who looked at the quarantine, or tried to, is in the audit trail.
	audited := audithttp.Middleware(audithttp.Config{DB: r.cfg.Pool, Logger: r.logger})
	mux.Handle("GET /api/v1/quarantine", audited(auth.RequireAuth(r.cfg.Verifier, audithttp.Identify(http.HandlerFunc(r.handleQuarantine)))))
	r.quarantineRoutes(mux, audited)
	return httpapi.Middleware(r.logger, httpMetrics, mux), nil
}

func (r *Relay) readinessChecks() []httpapi.Check {
	return []httpapi.Check{
		{Name: "database", Check: func(ctx context.Context) error { return r.cfg.Pool.Ping(ctx) }},
		{Name: "nats", Check: func(context.Context) error {
			if !r.cfg.Conn.IsConnected() {
				return errors.New("not connected to NATS")
			}
			return nil
		}},
		{Name: "streams", Check: func(ctx context.Context) error {
			if !r.running.Load() {
				return errors.New("streams and consumer not set up yet")
			}
			for _, name := range []string{streams.Outbox, streams.Inbox} {
				if _, err := r.cfg.JetStream.Stream(ctx, name); err != nil {
					return err
				}
			}
			return nil
		}},
		{Name: "directory", Check: func(ctx context.Context) error {
			_, err := r.cfg.Directory.Current(ctx)
			return err
		}},
	}
}

func (r *Relay) handleStatus(w http.ResponseWriter, req *http.Request) {
	s, err := readStatus(req.Context(), r.cfg.Pool)
	if err != nil {
		httpapi.Error(w, req, r.logger, &corridor.Error{Kind: corridor.KindUnavailable, Message: "The relay's database cannot be read.", Err: err})
		return
	}
	body := statusBody{Status: s}
	// The directory in force and why the last file was refused, if the
	// source can tell: what an operator looks at when /readyz says
	// directory failed.
	if src, ok := r.cfg.Directory.(interface{ Status() directory.SourceStatus }); ok {
		ds := src.Status()
		body.Directory = &ds
	}
	_ = httpapi.WriteJSON(w, http.StatusOK, body)
}

// statusBody is GET /api/v1/status: the exchange counts and the directory.
type statusBody struct {
	Status
	Directory *directory.SourceStatus `json:"directory,omitempty"`
}

type quarantineList struct {
	Items []Quarantined `json:"items"`
	// NextBefore, when set, is the before= value of the next page.
	NextBefore int64 `json:"next_before,omitempty"`
}

// handleQuarantine lists quarantined messages, newest first, for the
// country's administrators and machine clients. Raw bytes are never
// served: only what a person needs to find the message and ask its sender
// about it.
func (r *Relay) handleQuarantine(w http.ResponseWriter, req *http.Request) {
	p, _ := auth.FromContext(req.Context())
	if !r.MayView(p) {
		httpapi.Error(w, req, r.logger, r.forbiddenView())
		return
	}
	limit, before, state, err := listParams(req)
	if err != nil {
		httpapi.Error(w, req, r.logger, err)
		return
	}
	items, err := r.ListQuarantine(req.Context(), state, before, limit)
	if err != nil {
		httpapi.Error(w, req, r.logger, err)
		return
	}
	out := quarantineList{Items: items}
	if out.Items == nil {
		out.Items = []Quarantined{}
	}
	if len(items) == limit {
		out.NextBefore = items[len(items)-1].ID
	}
	_ = httpapi.WriteJSON(w, http.StatusOK, out)
}
