package coordinator

import (
	"context"
	"errors"
	"net/http"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/policy"
	"github.com/corridor-org/corridor/pkg/streams"
)

// Case list bounds.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// Handler returns the coordinator's HTTP API: the operational endpoints,
// and GET /api/v1/cases, GET /api/v1/cases/{case_ref},
// GET /api/v1/quarantine and the indicators (indicators_http.go) for
// callers with the coordinator role from any member's identity provider.
func (c *Coordinator) Handler() (http.Handler, error) {
	httpMetrics, err := httpapi.NewMetrics(c.cfg.Registry)
	if err != nil {
		return nil, err
	}
	mux := httpapi.NewMux(c.logger)
	httpapi.HandleOps(mux, c.logger, c.cfg.Registry, c.readinessChecks()...)
	mux.Handle("GET /api/v1/cases", c.coordinatorsOnly(c.handleListCases))
	mux.Handle("GET /api/v1/cases/{case_ref}", c.coordinatorsOnly(c.handleGetCase))
	mux.Handle("GET /api/v1/quarantine", c.coordinatorsOnly(c.handleListQuarantine))
	mux.Handle("GET /api/v1/overdue", c.coordinatorsOnly(c.handleListOverdue))
	mux.Handle("GET /api/v1/members/freshness", c.coordinatorsOnly(c.handleFreshness))
	mux.Handle("GET /api/v1/notifications", c.coordinatorsOnly(c.handleListNotices))
	mux.Handle("GET /api/v1/indicators", c.coordinatorsOnly(c.handleIndicators))
	mux.Handle("GET /api/v1/indicators/targets", c.coordinatorsOnly(c.handleTargets))
	mux.Handle("POST /api/v1/indicators/sets", c.coordinatorsOnly(c.handlePublishSet))
	mux.Handle("GET /api/v1/indicators/sets", c.coordinatorsOnly(c.handleListSets))
	mux.Handle("GET /api/v1/indicators/sets/{id}", c.coordinatorsOnly(c.handleGetSet))
	return httpapi.Middleware(c.logger, httpMetrics, mux), nil
}

func (c *Coordinator) coordinatorsOnly(next http.HandlerFunc) http.Handler {
	return auth.RequireAuth(c.cfg.Verifier, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		if d := policy.Check(p.Roles, policy.ViewCoordinator, policy.NoCase); !d.Allowed {
			httpapi.Error(w, r, c.logger, corridor.Errorf(corridor.KindForbidden, "The coordinator role is required: %s.", d.Reason))
			return
		}
		next(w, r)
	}))
}

func (c *Coordinator) readinessChecks() []httpapi.Check {
	return []httpapi.Check{
		{Name: "database", Check: func(ctx context.Context) error { return c.cfg.Pool.Ping(ctx) }},
		{Name: "nats", Check: func(context.Context) error {
			if !c.cfg.Conn.IsConnected() {
				return errors.New("not connected to NATS")
			}
			return nil
		}},
		{Name: "streams", Check: func(ctx context.Context) error {
			if !c.running.Load() {
				return errors.New("streams and consumer not set up yet")
			}
			_, err := c.cfg.JetStream.Stream(ctx, streams.Inbox)
			return err
		}},
		{Name: "directory", Check: func(ctx context.Context) error {
			_, err := c.cfg.Directory.Current(ctx)
			return err
		}},
	}
}

func unavailable(err error) error {
	return &corridor.Error{Kind: corridor.KindUnavailable, Message: "The coordinator's database cannot be read.", Err: err}
}
