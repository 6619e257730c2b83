package relay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/corridor-org/corridor/pkg/logtest"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
	"github.com/corridor-org/corridor/pkg/pgtest"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
	"github.com/corridor-org/corridor/services/relay/internal/relay"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

var schema = pgtest.Template{Name: "relay", Migrate: relay.Migrate}

// waitTimeout bounds every wait for something to happen across the
// corridor: sourcing across the hub can take a few seconds on a busy
// machine.
const waitTimeout = 30 * time.Second

const (
	ci    corridor.MemberCode = "CI"
	bf    corridor.MemberCode = "BF"
	coord                     = corridor.Coordinator
)

// world is one corridor for one test: a hub and the CI, BF and COORD member
// servers loaded from deploy/nats, a directory listing the three members
// with fresh keys, and COORD's INBOX (the coordinator is not started here).
type world struct {
	nats *natstest.Corridor
	dir  *directory.Directory
	keys map[corridor.MemberCode]*keyfile.File
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		nats: natstest.StartCorridor(t, "ci", "bf", "coord"),
		keys: map[corridor.MemberCode]*keyfile.File{},
	}
	now := time.Now().UTC()
	for _, m := range []corridor.MemberCode{ci, bf, coord} {
		f, err := keyfile.Generate(m, now.Add(-time.Hour), now.Add(365*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		w.keys[m] = f
	}
	w.dir = buildDirectory(t, w.keys, now)
	w.ensureStreams(t)
	return w
}

// ensureStreams makes every member's streams as its NATS operator does:
// every INBOX sources the other two members, as the relays expect from the
// directory.
func (w *world) ensureStreams(t *testing.T) {
	t.Helper()
	w.nats.EnsureStreams(t)
}

func buildDirectory(t *testing.T, keys map[corridor.MemberCode]*keyfile.File, now time.Time) *directory.Directory {
	t.Helper()
	d := &directory.Directory{
		Corridor:  "ci-bf",
		Version:   1,
		IssuedAt:  now.Add(-time.Hour),
		ExpiresAt: now.Add(24 * time.Hour),
		TimeLimits: directory.TimeLimits{
			RespondWithinHours: 72, InformationResponseWithinHours: 72, HandoverWithinDays: 30, FollowUpEveryDays: 180,
		},
	}
	for _, code := range []corridor.MemberCode{ci, bf, coord} {
		enc, sig, err := keys[code].PublicKeys()
		if err != nil {
			t.Fatal(err)
		}
		m := directory.Member{
			Code: code, Name: "Member " + string(code), JetStreamDomain: code.Domain(),
			EncryptionKeys: enc, SigningKeys: sig,
		}
		if code == coord {
			m.Agencies = []directory.Agency{{ID: "ECOWAS-CLU", Name: "Child labour unit"}}
		} else {
			m.Agencies = []directory.Agency{
				{ID: string(code) + "-DGT", Name: "Labour inspection"},
				{ID: string(code) + "-DPE", Name: "Child protection"},
			}
		}
		d.Members = append(d.Members, m)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("test directory: %v", err)
	}
	return d
}

// switchSource is a directory source a test can make fail, as a relay's
// would while its directory file is unreadable and expired: a transient
// failure from the relay's point of view. It can also panic, standing for a
// bug that some message triggers.
type switchSource struct {
	inner  directory.Source
	fail   atomic.Bool
	panics atomic.Bool
	// expired makes it fail as a source whose directory in force has
	// expired does.
	expired atomic.Bool
	// replaced, when set, is served instead of inner: a new directory
	// published while the relay runs.
	replaced atomic.Pointer[directory.Directory]
}

func (s *switchSource) Current(ctx context.Context) (*directory.Directory, error) {
	if s.panics.Load() {
		panic("directory source panicked (test)")
	}
	if s.fail.Load() {
		return nil, errors.New("directory unavailable (test)")
	}
	if s.expired.Load() {
		return nil, fmt.Errorf("get current corridor directory (test): %w", directory.ErrExpired)
	}
	if d := s.replaced.Load(); d != nil {
		return d, nil
	}
	return s.inner.Current(ctx)
}

// node is one member's running relay with its own database.
type node struct {
	member   corridor.MemberCode
	pool     *pgxpool.Pool
	relay    *relay.Relay
	source   *switchSource
	logs     *logtest.Buffer
	registry *prometheus.Registry
}

// startRelay starts member's relay on a fresh database. The timings are
// short so that retries happen within a test; adjust changes the
// configuration before the relay is created.
func (w *world) startRelay(t *testing.T, member corridor.MemberCode, adjust func(*relay.Config)) *node {
	t.Helper()
	n := &node{member: member, pool: pg.NewPool(t, schema), logs: &logtest.Buffer{}, registry: httpapi.NewRegistry()}
	n.source = &switchSource{inner: directory.Static(w.dir)}
	nc := w.nats.Members[member.Domain()].Connect(t, natsconf.UserRelay)
	js, err := jetstream.New(nc, relay.JetStreamOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(io.MultiWriter(n.logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	verifier, err := auth.NewVerifier(auth.Config{Issuers: []auth.Issuer{{
		URL: "http://127.0.0.1:9/unused", Audience: "corridor-" + member.Domain(), Member: member,
	}}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	cfg := relay.Config{
		Member:         member,
		Pool:           n.pool,
		Conn:           nc,
		JetStream:      js,
		Directory:      n.source,
		Keys:           relay.KeysFromFile(w.keys[member]),
		Verifier:       verifier,
		Logger:         logger,
		Registry:       n.registry,
		PollInterval:   100 * time.Millisecond,
		PublishTimeout: 15 * time.Second, // generous: a loaded machine running with -race
		RetryBase:      50 * time.Millisecond,
		RetryMax:       time.Second,
		ResendAfter:    time.Hour,
		MaxDeliver:     4,
		AckWaits:       []time.Duration{20 * time.Second},
		RetryDelays:    []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond},
	}
	if adjust != nil {
		adjust(&cfg)
	}
	n.relay, err = relay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.relay.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("relay %s: %v", member, err)
		}
	})
	return n
}

// testWriter sends log lines to the test's output, shown on failure.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	if testing.Verbose() || os.Getenv("RELAY_TEST_LOG") != "" {
		w.t.Log(string(bytes.TrimRight(p, "\n")))
	}
	return len(p), nil
}

// referral is a message as casework would enqueue it: a referral of a child
// whose name is unique to the test, so that a leak can be searched for.
type referral struct {
	msg       exchange.OutboxMessage
	childName string
}

func newReferral(t *testing.T) referral {
	t.Helper()
	name := "Awa Zongo " + corridor.NewID("")
	refID := corridor.NewID("ref-")
	caseRef := corridor.NewID("case-")
	payload, err := proto.Marshal(&corridorv1.Referral{
		ReferralId: refID,
		BaseStatus: "draft",
		Routing: &corridorv1.Routing{
			CaseRef: caseRef, SenderMember: "CI", SenderAgency: "CI-DGT",
			RecipientMember: "BF", RecipientAgency: "BF-DPE", Reason: "Found working on a cocoa farm",
		},
		Child: &corridorv1.Child{Name: &corridorv1.PersonName{FullName: name}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return referral{
		childName: name,
		msg: exchange.OutboxMessage{
			MessageID:       corridor.NewID("ci-"),
			Corridor:        "ci-bf",
			MessageType:     exchange.TypeReferral,
			CaseRef:         caseRef,
			ReferralID:      refID,
			SenderAgency:    "CI-DGT",
			RecipientMember: bf,
			RecipientAgency: "BF-DPE",
			Side:            exchange.SideSender,
			Payload:         payload,
			Tracking: &exchange.Tracking{Milestone: "referral_sent", Sector: "A", AgeBand: "12-14", Sex: "female",
				IdentifiedAt: identifiedAt, PreviousReferralID: "ref-earlier"},
		},
	}
}

// identifiedAt is when the test referrals' children were found.
var identifiedAt = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// enqueue writes m to the outbox in a transaction, as casework does.
func enqueue(t *testing.T, pool *pgxpool.Pool, m exchange.OutboxMessage) {
	t.Helper()
	err := pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error {
		return exchange.Enqueue(t.Context(), tx, m)
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
}

// waitFor polls cond until it holds or waitTimeout passes.
func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	var lastErr error
	natstest.WaitFor(t, waitTimeout, what, func() bool {
		ok, err := cond()
		lastErr = err
		return err == nil && ok
	})
	if lastErr != nil {
		t.Fatalf("%s: %v", what, lastErr)
	}
}

// inboxRow returns the inbox row with id, or nil.
func inboxRow(t *testing.T, pool *pgxpool.Pool, id string) *exchange.InboxMessage {
	t.Helper()
	m, err := exchange.GetInbox(t.Context(), pool, id)
	if corridor.KindOf(err) == corridor.KindNotFound {
		return nil
	}
	if err != nil {
		t.Fatalf("get inbox %s: %v", id, err)
	}
	return &m
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

// streamMessages returns every message of stream on member's server, read
// as the operator.
func (w *world) streamMessages(t *testing.T, member, stream string) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := t.Context()
	js := w.nats.Members[member].JetStream(t, natsconf.UserOperator)
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s on %s: %v", stream, member, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s on %s: %v", stream, member, err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("get %s/%d on %s: %v", stream, seq, member, err)
		}
		out = append(out, m)
	}
	return out
}

// subjectCount counts the messages of stream on member whose subject is
// subject.
func (w *world) subjectCount(t *testing.T, member, stream, subject string) int {
	t.Helper()
	n := 0
	for _, m := range w.streamMessages(t, member, stream) {
		if m.Subject == subject {
			n++
		}
	}
	return n
}

func describe(m *jetstream.RawStreamMsg) string {
	return fmt.Sprintf("%s #%d", m.Subject, m.Sequence)
}
