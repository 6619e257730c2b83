package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/streams"
	"github.com/corridor-org/corridor/pkg/validation"
)

// ConsumerName is the durable consumer the coordinator reads its INBOX with.
const ConsumerName = "coordinator"

// Config configures a Coordinator. The connections are made by the caller;
// zero tuning values take the defaults in the comments.
type Config struct {
	Pool      *pgxpool.Pool
	Conn      *nats.Conn
	JetStream jetstream.JetStream
	Directory directory.Source
	// Verifier checks the bearer tokens of the API; it trusts every
	// member's identity provider (IssuersFrom).
	Verifier *auth.Verifier
	Logger   *slog.Logger
	// Registry receives the coordinator's metrics and is served on /metrics.
	Registry *prometheus.Registry
	// SetSigner signs published indicator sets; without it none can be
	// published (the indicators are still served).
	SetSigner SetSigner
	// Now is the clock events are checked against; time.Now when nil.
	Now func() time.Time

	// OutOfContactAfter is how long without an event from a member before
	// it is flagged out of contact (72 h).
	OutOfContactAfter time.Duration
	// Notify configures overdue notices (notify.go).
	Notify NotifyConfig
	// Publish configures the publisher of indicator sets (publisher.go).
	Publish PublishConfig

	// Timeout bounds one database or NATS call made outside a request (5 s).
	Timeout time.Duration
	// MaxDeliver is the delivery of one INBOX message from which a failure
	// quarantines it as gave_up (8). The coordinator counts, not the
	// server: an event whose quarantine cannot be stored yet keeps coming
	// back until it can.
	MaxDeliver int
	// AckWaits are JetStream's BackOff for the consumer: how long it waits
	// for an acknowledgement before redelivering, by delivery (30 s, 1 min,
	// 2 min, 5 min, 10 min, 15 min, 30 min; the last repeats).
	AckWaits []time.Duration
	// RetryDelays are the waits before an event that failed for a transient
	// reason is delivered again (1 s, 5 s, 15 s, 30 s, 1 min, 2 min, 5 min).
	RetryDelays []time.Duration
}

func (c *Config) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.OutOfContactAfter <= 0 {
		c.OutOfContactAfter = 72 * time.Hour
	}
	c.Notify.setDefaults()
	c.Publish.setDefaults()
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 8
	}
	if len(c.AckWaits) == 0 {
		c.AckWaits = []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute,
			10 * time.Minute, 15 * time.Minute, 30 * time.Minute}
	}
	if len(c.RetryDelays) == 0 {
		c.RetryDelays = []time.Duration{time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second,
			time.Minute, 2 * time.Minute, 5 * time.Minute}
	}
}

func (c *Config) validate() error {
	var errs []error
	if c.Pool == nil {
		errs = append(errs, errors.New("no database pool"))
	}
	if c.Conn == nil || c.JetStream == nil {
		errs = append(errs, errors.New("no NATS connection"))
	}
	if c.Directory == nil {
		errs = append(errs, errors.New("no directory"))
	}
	if c.Verifier == nil {
		errs = append(errs, errors.New("no token verifier"))
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("no logger"))
	}
	if c.Registry == nil {
		errs = append(errs, errors.New("no metrics registry"))
	}
	return errors.Join(errs...)
}

// Coordinator is the coordinator's service. Create it with New, start it
// with Run, serve Handler.
type Coordinator struct {
	cfg      Config
	domain   string
	logger   *slog.Logger
	metrics  *metrics
	verifier *verifier
	running  atomic.Bool
}

// New checks cfg and returns a Coordinator; it contacts nothing.
func New(cfg Config) (*Coordinator, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("new coordinator: %w", err)
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("new coordinator: %w", err)
	}
	val, err := validation.Default()
	if err != nil {
		return nil, fmt.Errorf("new coordinator: %w", err)
	}
	return &Coordinator{
		cfg:      cfg,
		domain:   corridor.Coordinator.Domain(),
		logger:   cfg.Logger.With("member", string(corridor.Coordinator)),
		metrics:  m,
		verifier: &verifier{validate: val, now: cfg.Now},
	}, nil
}

// IssuersFrom returns an issuer for every member of dir with an identity
// provider, reading its claims where the directory says it puts them:
// coordinators log in with their own country's provider, and each provider
// may vouch only for its own member.
func IssuersFrom(dir *directory.Directory) []auth.Issuer {
	var out []auth.Issuer
	for _, m := range dir.Members {
		if m.OIDC == nil {
			continue
		}
		is := auth.Issuer{URL: m.OIDC.Issuer, Audience: m.OIDC.Audience, Member: m.Code, Claims: auth.Claims{
			Roles: m.OIDC.RolesClaim, Country: m.OIDC.CountryClaim, Agency: m.OIDC.AgencyClaim,
		}}
		if m.OIDC.RoleValues != nil {
			is.Claims.RoleValues = make(map[string]corridor.Role, len(m.OIDC.RoleValues))
			for v, r := range m.OIDC.RoleValues {
				is.Claims.RoleValues[v] = corridor.Role(r)
			}
		}
		out = append(out, is)
	}
	return out
}

// EnsureStreams creates or updates the coordinator's OUTBOX and its INBOX,
// which sources every country member of the directory, and the consumer.
func (c *Coordinator) EnsureStreams(ctx context.Context) (jetstream.Consumer, error) {
	dir, err := c.cfg.Directory.Current(ctx)
	if err != nil {
		return nil, fmt.Errorf("ensure streams: %w", err)
	}
	cons, err := streams.EnsureMember(ctx, c.cfg.JetStream, c.domain, dir.PeerDomains(corridor.Coordinator), streams.InboxConsumer{
		Name:        ConsumerName,
		Description: "the coordinator: verifies and stores tracking events",
		AckWaits:    c.cfg.AckWaits,
	})
	if err != nil {
		return nil, fmt.Errorf("ensure streams: %w", err)
	}
	return cons, nil
}

// Run sets up the streams and consumes the INBOX until ctx ends, and
// meanwhile notifies overdue steps (runNotifier) and publishes indicator
// sets (runPublisher). While NATS
// cannot be reached it keeps trying (and /readyz says so); on a server it
// must not run on (streams.ErrServerUnsuitable) it returns the error, and
// the service stops.
func (c *Coordinator) Run(ctx context.Context) error {
	// The overdue notifier needs the database and the directory, not NATS.
	notifierDone := make(chan struct{})
	defer func() { <-notifierDone }()
	notifierCtx, stopNotifier := context.WithCancel(ctx)
	defer stopNotifier()
	go func() { defer close(notifierDone); c.runNotifier(notifierCtx) }()
	// So does the publisher of indicator sets.
	publisherDone := make(chan struct{})
	defer func() { <-publisherDone }()
	publisherCtx, stopPublisher := context.WithCancel(ctx)
	defer stopPublisher()
	go func() { defer close(publisherDone); c.runPublisher(publisherCtx) }()

	inbox := streams.InboxReader{
		SetUp:          c.EnsureStreams,
		Handler:        inboxHandler{c},
		Logger:         c.logger,
		AttemptTimeout: 10 * c.cfg.Timeout,
		RetryBase:      c.cfg.RetryDelays[0],
		MaxDeliver:     c.cfg.MaxDeliver,
		RetryDelays:    c.cfg.RetryDelays,
		AckTimeout:     c.cfg.Timeout,
	}
	cons, err := inbox.WaitSetUp(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err // a NATS server it must not run on
	}
	c.logger.InfoContext(ctx, "coordinator running")
	c.running.Store(true)
	defer c.running.Store(false)
	return inbox.Run(ctx, cons)
}
