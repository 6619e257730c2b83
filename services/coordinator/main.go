// Command coordinator is the corridor coordinator's service: it verifies
// and stores the PII-free tracking events members' relays send, and serves
// each cross-border case's timeline to coordinators from any member.
//
// Configuration is read from the environment only: COORDINATOR_HTTP_ADDR,
// DATABASE_URL, CORRIDOR_DIRECTORY, CORRIDOR_DIRECTORY_ANCHOR,
// CORRIDOR_DIRECTORY_CACHE, NATS_URL, NATS_NKEY_SEED_FILE, LOG_LEVEL;
// for overdue notices, member freshness and signed indicator sets
// COORDINATOR_KEYS_FILE,
// COORDINATOR_SMTP_ADDR, COORDINATOR_SMTP_FROM, COORDINATOR_SMTP_USER,
// COORDINATOR_SMTP_PASSWORD, COORDINATOR_NOTIFY_INTERVAL and
// COORDINATOR_OUT_OF_CONTACT_AFTER (docs/coordinator.md), and
// COORDINATOR_PUBLISH_PERIOD and COORDINATOR_PUBLISH_INTERVAL for the sets
// it publishes (docs/indicators.md); for the login of
// people to its pages COORDINATOR_PUBLIC_URL, OIDC_CLIENT_ID,
// SESSION_COOKIE_SECURE, SESSION_IDLE_TIMEOUT and SESSION_ABSOLUTE_TIMEOUT.
// The identity providers it trusts are those of the members in
// the directory; a change to them takes effect at the next start.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/pgdb"
	"github.com/corridor-org/corridor/pkg/streams"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "coordinator:", err)
		os.Exit(1)
	}
}

// startTimeout bounds waiting for the database at start-up.
const startTimeout = 2 * time.Minute

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: coordinator (configured by environment variables; see the package documentation)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel})).
		With("service", "coordinator")

	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	pool, err := pgdb.Open(startCtx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := coordinator.Migrate(startCtx, cfg.DatabaseURL); err != nil {
		return err
	}
	src, err := directory.OpenFileSource(cfg.DirectoryPath, cfg.AnchorPath, cfg.CachePath, logger)
	if err != nil {
		return err
	}
	dir, err := src.Current(startCtx)
	if err != nil {
		return err
	}
	verifier, err := auth.NewVerifier(auth.Config{Issuers: coordinator.IssuersFrom(dir)}, logger)
	if err != nil {
		return err
	}

	nc, err := streams.Connect(cfg.NATSURL, "coordinator", cfg.NATSSeedFile, logger)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("connect to JetStream: %w", err)
	}

	notify := coordinator.NotifyConfig{SMTPAddr: cfg.SMTPAddr, SMTPFrom: cfg.SMTPFrom, Interval: cfg.NotifyInterval}
	if cfg.KeysPath != "" {
		notify.SigningKeyID, notify.SigningKey, err = loadSigningKey(cfg.KeysPath, dir, time.Now())
		if err != nil {
			return err
		}
	} else {
		logger.Warn("COORDINATOR_KEYS_FILE is not set: webhook notices cannot be signed and will fail, and no indicator set can be published")
	}
	if cfg.SMTPUser != "" {
		host, _, _ := net.SplitHostPort(cfg.SMTPAddr)
		notify.SMTPAuth = smtp.PlainAuth("", cfg.SMTPUser, cfg.SMTPPassword, host)
	}

	reg := httpapi.NewRegistry()
	c, err := coordinator.New(coordinator.Config{
		Notify:            notify,
		Publish:           coordinator.PublishConfig{Period: coordinator.Period(cfg.PublishPeriod), Interval: cfg.PublishInterval},
		OutOfContactAfter: cfg.OutOfContactAfter,
		Pool:              pool,
		Conn:              nc,
		JetStream:         js,
		Directory:         src,
		Verifier:          verifier,
		Logger:            logger,
		Registry:          reg,
		SetSigner:         coordinator.SetSigner{KeyID: notify.SigningKeyID, Private: notify.SigningKey},
	})
	if err != nil {
		return err
	}
	api, err := c.Handler()
	if err != nil {
		return err
	}
	handler, err := withLogin(cfg, api, dir, src, pool, verifier, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	logger.Info("serving HTTP", "addr", ln.Addr().String())
	runErr := httpapi.Serve(ctx, httpapi.NewServer(handler, logger), ln, c.Run)
	logger.Info("coordinator stopped")
	return runErr
}
