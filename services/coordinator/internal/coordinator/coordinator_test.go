package coordinator_test

import (
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"errors"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
	"github.com/corridor-org/corridor/pkg/pgtest"
	"github.com/corridor-org/corridor/pkg/signing"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

var schema = pgtest.Template{Name: "coordinator", Migrate: coordinator.Migrate}

const waitTimeout = 30 * time.Second

// maxDeliver is the test coordinator's MaxDeliver: few deliveries, so that
// giving up happens within a test.
const maxDeliver = 3

const (
	ci    corridor.MemberCode = "CI"
	bf    corridor.MemberCode = "BF"
	coord                     = corridor.Coordinator
)

// signer is a member's signing key, as its relay holds it.
type signer struct {
	member corridor.MemberCode
	keyID  string
	priv   ed25519.PrivateKey
}

func newSigner(t *testing.T, member corridor.MemberCode) signer {
	t.Helper()
	_, priv, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return signer{member: member, keyID: corridor.NewID(member.Domain() + "-sig-"), priv: priv}
}

// sign serializes ev and signs it as s's relay does.
func (s signer) sign(t *testing.T, ev *trackingv1.TrackingEvent) []byte {
	t.Helper()
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := signing.Sign(s.priv, signing.PurposeTracking, body)
	if err != nil {
		t.Fatal(err)
	}
	data, err := proto.Marshal(&trackingv1.SignedTrackingEvent{Event: body, Member: string(s.member), KeyId: s.keyID, Signature: sig})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// issuers are the identity providers the test directory lists, by member.
type issuers map[corridor.MemberCode]string

// buildDirectory lists CI, BF and COORD with the signers' public keys and
// the given identity providers.
func buildDirectory(t *testing.T, signers map[corridor.MemberCode]signer, idps issuers) *directory.Directory {
	t.Helper()
	now := time.Now().UTC()
	d := &directory.Directory{
		Corridor: "ci-bf", Version: 1, IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour),
		TimeLimits: directory.TimeLimits{RespondWithinHours: 72, InformationResponseWithinHours: 72, HandoverWithinDays: 30, FollowUpEveryDays: 180},
	}
	for _, code := range []corridor.MemberCode{ci, bf, coord} {
		s := signers[code]
		m := directory.Member{
			Code: code, Name: "Member " + string(code), JetStreamDomain: code.Domain(),
			SigningKeys: []directory.Key{{
				ID: s.keyID, Algorithm: directory.SigningAlgorithm, PublicKey: s.priv.Public().(ed25519.PublicKey),
				NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			}},
		}
		if url, ok := idps[code]; ok {
			m.OIDC = &directory.OIDC{Issuer: url, Audience: "corridor-" + code.Domain()}
		}
		if code == coord {
			m.Agencies = []directory.Agency{{ID: "ECOWAS-CLU", Name: "Child labour unit"}}
		} else {
			priv, err := hpke.MLKEM768X25519().GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			m.EncryptionKeys = []directory.Key{{
				ID: corridor.NewID(code.Domain() + "-enc-"), Algorithm: directory.EncryptionAlgorithm,
				PublicKey: priv.PublicKey().Bytes(), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			}}
			m.Agencies = []directory.Agency{
				{ID: string(code) + "-DGT", Name: "Labour inspection"},
				{ID: string(code) + "-DPE", Name: "Child protection"},
				{ID: string(code) + "-SHELTER", Name: "Shelter", Services: []string{"shelter"}},
			}
		}
		d.Members = append(d.Members, m)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("test directory: %v", err)
	}
	return d
}

// switchSource is a directory source a test can make fail, or panic as a
// bug that some event triggers would.
type switchSource struct {
	inner  directory.Source
	fail   atomic.Bool
	panics atomic.Bool
}

func (s *switchSource) Current(ctx context.Context) (*directory.Directory, error) {
	if s.panics.Load() {
		panic("directory source panicked (test)")
	}
	if s.fail.Load() {
		return nil, errors.New("directory unavailable (test)")
	}
	return s.inner.Current(ctx)
}

// world is a corridor for one test: a hub with CI, BF and COORD member
// servers, their streams, and a directory.
type world struct {
	nats    *natstest.Corridor
	signers map[corridor.MemberCode]signer
	dir     *directory.Directory
}

func newWorld(t *testing.T, idps issuers) *world {
	t.Helper()
	w := &world{nats: natstest.StartCorridor(t, "ci", "bf", "coord"), signers: map[corridor.MemberCode]signer{}}
	for _, m := range []corridor.MemberCode{ci, bf, coord} {
		w.signers[m] = newSigner(t, m)
	}
	w.dir = buildDirectory(t, w.signers, idps)
	// The members' NATS operators make the streams; every INBOX sources
	// the other two members, as the coordinator expects from the directory.
	w.nats.EnsureStreams(t)
	return w
}

// node is a running coordinator.
type node struct {
	c        *coordinator.Coordinator
	pool     *pgxpool.Pool
	source   *switchSource
	registry *prometheus.Registry
}

// startCoordinator starts the coordinator on COORD's server with a fresh
// database; run false creates it without consuming the INBOX. opts change
// the configuration before it is used.
func (w *world) startCoordinator(t *testing.T, run bool, opts ...func(*coordinator.Config)) *node {
	t.Helper()
	n := &node{pool: pg.NewPool(t, schema), source: &switchSource{inner: directory.Static(w.dir)}, registry: httpapi.NewRegistry()}
	nc := w.nats.Members["coord"].Connect(t, natsconf.UserRelay)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	level := slog.LevelError
	if testing.Verbose() {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	issuerList := coordinator.IssuersFrom(w.dir)
	if len(issuerList) == 0 {
		issuerList = []auth.Issuer{{URL: "http://127.0.0.1:9/unused", Audience: "corridor-coord", Member: coord}}
	}
	verifier, err := auth.NewVerifier(auth.Config{Issuers: issuerList}, logger)
	if err != nil {
		t.Fatal(err)
	}
	cfg := coordinator.Config{
		Pool: n.pool, Conn: nc, JetStream: js, Directory: n.source, Verifier: verifier,
		Logger: logger, Registry: n.registry,
		SetSigner:   coordinator.SetSigner{KeyID: w.signers[coord].keyID, Private: w.signers[coord].priv},
		Timeout:     15 * time.Second, // generous: a loaded machine running with -race
		MaxDeliver:  maxDeliver,
		AckWaits:    []time.Duration{20 * time.Second},
		RetryDelays: []time.Duration{20 * time.Millisecond, 40 * time.Millisecond},
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	n.c, err = coordinator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- n.c.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("coordinator: %v", err)
			}
		})
	}
	return n
}

// event returns a valid referral_sent event of a new case, reported by CI.
func event(at time.Time) *trackingv1.TrackingEvent {
	return &trackingv1.TrackingEvent{
		EventId:         "ci-trk-" + corridor.NewID("ci-"),
		Corridor:        "ci-bf",
		CaseRef:         corridor.NewID("case-"),
		ReferralId:      corridor.NewID("ref-"),
		Milestone:       "referral_sent",
		Member:          "CI",
		SenderMember:    "CI",
		SenderAgency:    "CI-DGT",
		RecipientMember: "BF",
		RecipientAgency: "BF-DPE",
		At:              at.UnixMicro(),
		Sector:          "A",
		AgeBand:         "12-14",
		Sex:             "female",
	}
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

func publish(t *testing.T, w *world, member, subject string, data []byte) {
	t.Helper()
	js := w.nats.Members[member].JetStream(t, natsconf.UserRelay)
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: data},
		jetstream.WithMsgID(corridor.NewID("test-"))); err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	natstest.WaitFor(t, waitTimeout, what, cond)
}
