package relay

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/streams"
)

// ConsumerName is the durable consumer the relay reads its INBOX with.
const ConsumerName = "relay"

// Keys are the member's private keys (KeysFromFile reads them from the key
// file): every signing key and decryption key it may need. The relay signs with the one the directory names as current
// and opens with whichever an envelope names, so keys can be rotated by
// adding the new one here before publishing it in the directory.
type Keys struct {
	Signing    []envelope.SigningKey
	Decryption []envelope.DecryptionKey
}

// Config configures a Relay. The connections are made by the caller, so
// tests can hand in their own servers; zero tuning values take the
// defaults in the comments.
type Config struct {
	Member corridor.MemberCode
	Pool   *pgxpool.Pool
	Conn   *nats.Conn
	// JetStream is made with JetStreamOptions.
	JetStream jetstream.JetStream
	Directory directory.Source
	Keys      Keys
	// Verifier checks bearer tokens for the quarantine API.
	Verifier *auth.Verifier
	Logger   *slog.Logger
	// Registry receives the relay's metrics and is served on /metrics.
	Registry *prometheus.Registry

	// PollInterval is how often the outbox is looked at without a
	// notification (5 s).
	PollInterval time.Duration
	// PublishTimeout bounds one publish and its acknowledgement (5 s). A
	// publish the server refuses for lack of permission never fails on its
	// own: only this deadline ends it.
	PublishTimeout time.Duration
	// ClaimLease is how long a claimed outbox row is ours before another
	// relay may claim it (1 min).
	ClaimLease time.Duration
	// BatchSize is how many outbox rows are claimed and published at once,
	// and how many INBOX messages at most are handled together (50).
	BatchSize int
	// RetryBase and RetryMax bound the wait before a failed publish is
	// tried again: it doubles from RetryBase up to RetryMax (1 s, 5 min).
	RetryBase, RetryMax time.Duration
	// ResendAfter and ResendMax bound the wait for a receipt before a
	// message is sent again: it doubles from ResendAfter up to ResendMax
	// (2 min, 6 h).
	ResendAfter, ResendMax time.Duration
	// ResendInterval is how often the relay looks for messages to re-send
	// (ResendAfter / 4, at most 30 s).
	ResendInterval time.Duration
	// MaxDeliver is the delivery of one INBOX message from which a failure
	// quarantines it as gave_up (8). The relay counts, not the server: a
	// message whose quarantine cannot be stored yet keeps coming back until
	// it can.
	MaxDeliver int
	// AckWaits are how long the INBOX consumer waits for an acknowledgement
	// before redelivering, by delivery (30 s, 1 min, 2 min, 5 min, 10 min,
	// 15 min, 30 min; the last repeats): JetStream's BackOff, whose first
	// value is the consumer's AckWait. They cover a relay that stopped
	// mid-message.
	AckWaits []time.Duration
	// RetryDelays are the waits before a message that failed for a
	// transient reason (database down, publish timeout) is delivered again,
	// by delivery (1 s, 5 s, 15 s, 30 s, 1 min, 2 min, 5 min).
	RetryDelays []time.Duration
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PollInterval, 5*time.Second)
	def(&c.PublishTimeout, 5*time.Second)
	def(&c.ClaimLease, time.Minute)
	def(&c.RetryBase, time.Second)
	def(&c.RetryMax, 5*time.Minute)
	def(&c.ResendAfter, 2*time.Minute)
	def(&c.ResendMax, 6*time.Hour)
	def(&c.ResendInterval, min(c.ResendAfter/4, 30*time.Second))
	if c.BatchSize <= 0 {
		c.BatchSize = 50
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
	if c.Member == "" {
		errs = append(errs, errors.New("no member"))
	}
	if c.Pool == nil {
		errs = append(errs, errors.New("no database pool"))
	}
	if c.Conn == nil || c.JetStream == nil {
		errs = append(errs, errors.New("no NATS connection"))
	}
	if c.Directory == nil {
		errs = append(errs, errors.New("no directory"))
	}
	if len(c.Keys.Signing) == 0 || len(c.Keys.Decryption) == 0 {
		errs = append(errs, errors.New("no signing or decryption key"))
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

// JetStreamOptions are the options of the JetStream context a relay is given
// (Config.JetStream). The relay publishes asynchronously and awaits the
// acknowledgements itself, within PublishTimeout; a publish the server never
// answers (one denied for lack of permission) is forgotten after
// asyncForget, so that such publishes cannot pile up in the client.
func JetStreamOptions() []jetstream.JetStreamOpt {
	return []jetstream.JetStreamOpt{jetstream.WithPublishAsyncTimeout(asyncForget)}
}

// asyncForget is longer than any PublishTimeout worth setting.
const asyncForget = 5 * time.Minute

// Relay is a member's access point. Create it with New, start it with Run.
type Relay struct {
	cfg     Config
	me      corridor.MemberCode
	domain  string
	logger  *slog.Logger
	metrics *metrics
	// running is set once the streams and the consumer are set up.
	running atomic.Bool
	// settling admits one release or dismissal at a time.
	settling chan struct{}
}

// New checks cfg and returns a Relay; it contacts nothing.
func New(cfg Config) (*Relay, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("new relay: %w", err)
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("new relay: %w", err)
	}
	return &Relay{
		cfg:      cfg,
		me:       cfg.Member,
		domain:   cfg.Member.Domain(),
		logger:   cfg.Logger.With("member", string(cfg.Member)),
		metrics:  m,
		settling: make(chan struct{}, 1),
	}, nil
}

// EnsureStreams creates or updates the member's OUTBOX and its INBOX, which
// sources every other member of the directory, and the INBOX consumer.
func (r *Relay) EnsureStreams(ctx context.Context) (jetstream.Consumer, error) {
	dir, err := r.cfg.Directory.Current(ctx)
	if err != nil {
		return nil, fmt.Errorf("ensure streams: %w", err)
	}
	if _, err := dir.Member(r.me); err != nil {
		return nil, fmt.Errorf("ensure streams: %w", err)
	}
	cons, err := streams.EnsureMember(ctx, r.cfg.JetStream, r.domain, dir.PeerDomains(r.me), streams.InboxConsumer{
		Name:        ConsumerName,
		Description: "the relay: opens, stores and answers what peers sent",
		AckWaits:    r.cfg.AckWaits,
	})
	if err != nil {
		return nil, fmt.Errorf("ensure streams: %w", err)
	}
	return cons, nil
}

// Run sets up the streams and runs the publisher, the re-sender and the
// INBOX consumer until ctx ends. Services start in any order, so while NATS
// cannot be reached it keeps trying (and /readyz says so); on a server it
// must not run on (streams.ErrServerUnsuitable) it returns the error, and
// the service stops.
func (r *Relay) Run(ctx context.Context) error {
	// What the relay does is recorded in the audit trail under its name.
	ctx = audit.WithActor(ctx, auditActor)
	inbox := streams.InboxReader{
		SetUp:          r.EnsureStreams,
		Handler:        inboxHandler{r},
		Logger:         r.logger,
		AttemptTimeout: 10 * r.cfg.PublishTimeout,
		RetryBase:      r.cfg.RetryBase,
		MaxDeliver:     r.cfg.MaxDeliver,
		RetryDelays:    r.cfg.RetryDelays,
		AckTimeout:     r.cfg.PublishTimeout,
		BatchSize:      r.cfg.BatchSize,
	}
	cons, err := inbox.WaitSetUp(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err // a NATS server it must not run on
	}
	r.logger.InfoContext(ctx, "relay running")
	r.running.Store(true)
	defer r.running.Store(false)
	var wg sync.WaitGroup
	wg.Go(func() { r.publishLoop(ctx) })
	wg.Go(func() { r.resendLoop(ctx) })
	wg.Go(func() {
		if err := inbox.Run(ctx, cons); err != nil {
			r.logger.ErrorContext(ctx, "the inbox is not read", "error", err)
		}
	})
	wg.Go(func() { r.gaugeLoop(ctx) })
	wg.Wait()
	return nil
}

// backoff returns base × 2^(attempt-1), capped at max.
func backoff(base, max time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// KeysFromFile returns the keys of a member's key file.
func KeysFromFile(f *keyfile.File) Keys {
	k := Keys{Decryption: f.EnvelopeKeys()}
	for _, sk := range f.SigningKeys {
		if len(sk.PrivateKey) != ed25519.SeedSize {
			continue // Validate refuses such a file
		}
		k.Signing = append(k.Signing, envelope.SigningKey{ID: sk.ID, Private: ed25519.NewKeyFromSeed(sk.PrivateKey)})
	}
	return k
}
