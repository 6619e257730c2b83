package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ShutdownTimeout bounds how long Serve lets requests in flight finish once
// it stops.
const ShutdownTimeout = 20 * time.Second

// NewServer returns the http.Server every service runs handler with. Its
// timeouts keep a slow or stalled client from holding a connection for
// ever; the server's own complaints go to logger.
func NewServer(handler http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Serve serves srv on ln and runs work beside it until ctx ends, the server
// fails or work returns: a service whose background work stopped is not
// serving. Then it cancels work's context, shuts the server down (requests
// in flight may finish within ShutdownTimeout) and waits for work. It
// returns what went wrong, joined: nil after ctx ended and both stopped
// cleanly.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, work func(context.Context) error) error {
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	workDone := make(chan error, 1)
	go func() { workDone <- work(workCtx) }()
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(ln) }()

	var errs []error
	workEnded, serveEnded := false, false
	select {
	case <-ctx.Done():
	case err := <-serveDone:
		serveEnded = true
		errs = append(errs, fmt.Errorf("serve HTTP: %w", err))
	case err := <-workDone:
		workEnded = true
		if err == nil && ctx.Err() == nil {
			err = errors.New("stopped before the service did")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("run service: %w", err))
		}
	}
	stopWork()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("shut down HTTP: %w", err))
	}
	if !serveEnded {
		if err := <-serveDone; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve HTTP: %w", err))
		}
	}
	if !workEnded {
		if err := <-workDone; err != nil {
			errs = append(errs, fmt.Errorf("run service: %w", err))
		}
	}
	return errors.Join(errs...)
}
