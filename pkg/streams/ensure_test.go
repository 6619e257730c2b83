package streams_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
	"github.com/corridor-org/corridor/pkg/streams"
)

// member starts a hub and CI's server from deploy/nats and returns a
// JetStream context as CI's operator, the user that creates and updates
// streams (services only check them: TestCheckStreams).
func member(t *testing.T) jetstream.JetStream {
	t.Helper()
	hub := natstest.StartHub(t)
	return natstest.StartMember(t, hub, "ci").JetStream(t, natsconf.UserOperator)
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func info(ctx context.Context, t *testing.T, js jetstream.JetStream, name string) *jetstream.StreamInfo {
	t.Helper()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("look up %s: %v", name, err)
	}
	return s.CachedInfo()
}

func TestOutboxConfig(t *testing.T) {
	t.Parallel()
	cfg, err := streams.OutboxConfig("ci")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != streams.Outbox || !slices.Equal(cfg.Subjects, []string{"corr.ci.out.>"}) {
		t.Errorf("name %q subjects %v", cfg.Name, cfg.Subjects)
	}
	if cfg.Retention != jetstream.LimitsPolicy || cfg.Storage != jetstream.FileStorage {
		t.Errorf("retention %v storage %v, want limits and file", cfg.Retention, cfg.Storage)
	}
	if cfg.Duplicates <= 0 || cfg.Duplicates > cfg.MaxAge {
		t.Errorf("dedupe window %s must be positive and at most MaxAge %s", cfg.Duplicates, cfg.MaxAge)
	}
	if !cfg.DenyDelete || !cfg.DenyPurge {
		t.Error("OUTBOX allows deleting or purging messages peers may not have sourced")
	}
	if cfg.Discard != jetstream.DiscardNew || cfg.MaxBytes <= 0 {
		t.Errorf("discard %v max bytes %d: a full OUTBOX must refuse new messages, not drop old ones, at an explicit size",
			cfg.Discard, cfg.MaxBytes)
	}
	if _, err := streams.OutboxConfig("C I"); corridor.KindOf(err) != corridor.KindInvalid {
		t.Errorf("OutboxConfig of a bad member: %v", err)
	}
}

func TestInboxConfig(t *testing.T) {
	t.Parallel()
	cfg, err := streams.InboxConfig("ci", []string{"coord", "bf"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != streams.Inbox || len(cfg.Subjects) != 0 {
		t.Errorf("name %q subjects %v: INBOX takes no direct publishes", cfg.Name, cfg.Subjects)
	}
	if cfg.Retention != jetstream.LimitsPolicy || cfg.Duplicates <= 0 || cfg.Duplicates > cfg.MaxAge {
		t.Errorf("retention %v dedupe %s max age %s", cfg.Retention, cfg.Duplicates, cfg.MaxAge)
	}
	if cfg.Discard != jetstream.DiscardNew || cfg.MaxBytes <= 0 {
		t.Errorf("discard %v max bytes %d: a full INBOX must stall its sources, not drop old messages, at an explicit size",
			cfg.Discard, cfg.MaxBytes)
	}
	want := []struct{ api, deliver, src, dest string }{
		{"$JS.bf.API", "corridor.deliver.bf.ci", "corr.bf.out.ci.>", "corr.ci.in.bf.>"},
		{"$JS.coord.API", "corridor.deliver.coord.ci", "corr.coord.out.ci.>", "corr.ci.in.coord.>"},
	}
	if len(cfg.Sources) != len(want) {
		t.Fatalf("%d sources, want %d", len(cfg.Sources), len(want))
	}
	for i, w := range want {
		s := cfg.Sources[i]
		if s.Name != streams.Outbox || s.FilterSubject != "" || s.External == nil ||
			s.External.APIPrefix != w.api || s.External.DeliverPrefix != w.deliver ||
			len(s.SubjectTransforms) != 1 || s.SubjectTransforms[0].Source != w.src || s.SubjectTransforms[0].Destination != w.dest {
			t.Errorf("source %d = %+v (external %+v, transforms %+v), want %+v", i, s, s.External, s.SubjectTransforms, w)
		}
	}

	for _, tc := range []struct {
		name, member string
		peers        []string
		field        string
	}{
		{"bad member", "CI", []string{"bf"}, "member"},
		{"bad peer", "ci", []string{"bf", "B F"}, "peers[1]"},
		{"itself", "ci", []string{"bf", "ci"}, "peers[1]"},
		{"repeated peer", "ci", []string{"coord", "bf", "coord"}, "peers[2]"},
	} {
		_, err := streams.InboxConfig(tc.member, tc.peers)
		if corridor.KindOf(err) != corridor.KindInvalid {
			t.Errorf("%s: %v, want an invalid error", tc.name, err)
		} else if f := invalidFields(err); len(f) != 1 || f[0] != tc.field {
			t.Errorf("%s: fields %v, want [%s]", tc.name, f, tc.field)
		}
	}
}

func TestEnsureOutbox(t *testing.T) {
	t.Parallel()
	js := member(t)
	ctx := testCtx(t)

	// Callers race at start (several relay instances): all succeed.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = streams.EnsureOutbox(ctx, js, "ci", []string{"bf"}) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	first := info(ctx, t, js, streams.Outbox)
	if _, err := js.Publish(ctx, "corr.ci.out.bf.referral", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := streams.EnsureOutbox(ctx, js, "ci", []string{"bf"}); err != nil {
		t.Fatal(err)
	}
	again := info(ctx, t, js, streams.Outbox)
	if !again.Created.Equal(first.Created) || again.State.Msgs != 1 {
		t.Errorf("second EnsureOutbox recreated the stream or lost its message: created %v→%v, %d messages",
			first.Created, again.Created, again.State.Msgs)
	}
	cons, err := js.PushConsumer(ctx, streams.Outbox, streams.SourceConsumer("bf"))
	if err != nil {
		t.Fatalf("bf's source consumer: %v", err)
	}
	wantCons, _ := streams.SourceConsumerConfig("ci", "bf")
	if c := cons.CachedInfo().Config; c.FilterSubject != wantCons.FilterSubject || c.DeliverSubject != wantCons.DeliverSubject ||
		c.AckPolicy != jetstream.AckFlowControlPolicy {
		t.Errorf("bf's source consumer: filter %q deliver %q ack %v", c.FilterSubject, c.DeliverSubject, c.AckPolicy)
	}
	want, _ := streams.OutboxConfig("ci")
	if c := again.Config; c.MaxAge != want.MaxAge || c.Duplicates != want.Duplicates || !c.DenyDelete || !c.DenyPurge ||
		c.Discard != jetstream.DiscardNew || c.MaxBytes != streams.MaxBytes {
		t.Errorf("config %+v, want %+v", c, want)
	}
}

// TestEnsureOutboxUpdatesInPlace: an OUTBOX made with other limits is brought
// to the current ones, keeping its messages.
func TestEnsureOutboxUpdatesInPlace(t *testing.T) {
	t.Parallel()
	js := member(t)
	ctx := testCtx(t)
	old := jetstream.StreamConfig{
		Name:       streams.Outbox,
		Subjects:   []string{"corr.ci.out.bf.>"},
		Storage:    jetstream.FileStorage,
		MaxAge:     time.Hour,
		Duplicates: time.Minute,
		Metadata:   map[string]string{"owner": "ops"},
	}
	if _, err := js.CreateStream(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "corr.ci.out.bf.referral", []byte("x")); err != nil {
		t.Fatal(err)
	}
	before := info(ctx, t, js, streams.Outbox)
	if err := streams.EnsureOutbox(ctx, js, "ci", []string{"bf"}); err != nil {
		t.Fatal(err)
	}
	after := info(ctx, t, js, streams.Outbox)
	want, _ := streams.OutboxConfig("ci")
	c := after.Config
	if !after.Created.Equal(before.Created) || after.State.Msgs != 1 {
		t.Fatalf("stream recreated or message lost")
	}
	if !slices.Equal(c.Subjects, want.Subjects) || c.MaxAge != want.MaxAge || c.Duplicates != want.Duplicates || !c.DenyDelete || !c.DenyPurge ||
		c.Discard != jetstream.DiscardNew || c.MaxBytes != streams.MaxBytes {
		t.Errorf("config after update %+v, want %+v", c, want)
	}
	if c.Metadata["owner"] != "ops" {
		t.Errorf("update dropped metadata it does not manage: %v", c.Metadata)
	}
}

// TestEnsureRefusesToRecreate: a stream that can only be fixed by deleting it
// is reported, and left alone.
func TestEnsureRefusesToRecreate(t *testing.T) {
	t.Parallel()
	js := member(t)
	ctx := testCtx(t)
	for _, tc := range []struct {
		name    string
		cfg     jetstream.StreamConfig
		subject string
		ensure  func() error
	}{
		{
			name:    "outbox in memory",
			cfg:     jetstream.StreamConfig{Name: streams.Outbox, Subjects: []string{"corr.ci.out.>"}, Storage: jetstream.MemoryStorage},
			subject: "corr.ci.out.bf.referral",
			ensure:  func() error { return streams.EnsureOutbox(ctx, js, "ci", []string{"bf"}) },
		},
		{
			name:    "inbox as a work queue",
			cfg:     jetstream.StreamConfig{Name: streams.Inbox, Subjects: []string{"corr.ci.in.>"}, Retention: jetstream.WorkQueuePolicy},
			subject: "corr.ci.in.bf.referral",
			ensure:  func() error { return streams.EnsureInbox(ctx, js, "ci", []string{"bf"}) },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := js.CreateStream(ctx, tc.cfg); err != nil {
				t.Fatal(err)
			}
			if _, err := js.Publish(ctx, tc.subject, []byte("x")); err != nil {
				t.Fatal(err)
			}
			before := info(ctx, t, js, tc.cfg.Name)
			if err := tc.ensure(); corridor.KindOf(err) != corridor.KindConflict {
				t.Fatalf("ensure = %v, want a conflict", err)
			}
			after := info(ctx, t, js, tc.cfg.Name)
			if !after.Created.Equal(before.Created) || after.State.Msgs != 1 || after.Config.Storage != tc.cfg.Storage || after.Config.Retention != tc.cfg.Retention {
				t.Errorf("stream changed after a refused ensure: %+v", after.Config)
			}
		})
	}
}

// TestEnsureInboxAddsPeers: adding a peer later updates the INBOX's sources
// in place.
func TestEnsureInboxAddsPeers(t *testing.T) {
	t.Parallel()
	js := member(t)
	ctx := testCtx(t)
	if err := streams.EnsureInbox(ctx, js, "ci", []string{"bf"}); err != nil {
		t.Fatal(err)
	}
	first := info(ctx, t, js, streams.Inbox)

	// The server announces every stream update. Ensuring what is already
	// there must not update; adding a peer must.
	updates, err := js.Conn().SubscribeSync("$JS.EVENT.ADVISORY.STREAM.UPDATED." + streams.Inbox)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.Conn().Flush(); err != nil {
		t.Fatal(err)
	}
	if err := streams.EnsureInbox(ctx, js, "ci", []string{"bf"}); err != nil {
		t.Fatal(err)
	}
	// An advisory follows an update within milliseconds.
	if _, err := updates.NextMsg(time.Second); err == nil {
		t.Error("ensuring an unchanged INBOX updated it")
	}
	if err := streams.EnsureInbox(ctx, js, "ci", []string{"coord", "bf"}); err != nil {
		t.Fatal(err)
	}
	if _, err := updates.NextMsg(10 * time.Second); err != nil {
		t.Fatalf("no update advisory after adding a peer: %v", err)
	}
	after := info(ctx, t, js, streams.Inbox)
	if !after.Created.Equal(first.Created) {
		t.Fatal("adding a peer recreated INBOX")
	}
	var prefixes []string
	for _, s := range after.Config.Sources {
		if s.External != nil {
			prefixes = append(prefixes, s.External.APIPrefix)
		}
	}
	slices.Sort(prefixes)
	if want := []string{"$JS.bf.API", "$JS.coord.API"}; !slices.Equal(prefixes, want) {
		t.Errorf("sources %v, want %v", prefixes, want)
	}
	if err := streams.EnsureInbox(ctx, js, "ci", []string{"bf", "bf"}); corridor.KindOf(err) != corridor.KindInvalid {
		t.Errorf("EnsureInbox with a repeated peer: %v", err)
	}
}

func TestEnsureInboxConsumer(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	js := member(t)
	if err := streams.EnsureInbox(ctx, js, "ci", []string{"bf"}); err != nil {
		t.Fatal(err)
	}
	waits := []time.Duration{time.Minute, 2 * time.Minute}
	// A consumer as earlier versions made it, with a delivery limit.
	if _, err := js.CreateOrUpdateConsumer(ctx, streams.Inbox, jetstream.ConsumerConfig{
		Durable: "relay", FilterSubject: "corr.ci.in.>", AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: waits[0], MaxDeliver: 8, BackOff: waits,
	}); err != nil {
		t.Fatal(err)
	}
	c := streams.InboxConsumer{Name: "relay", Description: "test", AckWaits: waits}
	for range 2 { // the first call updates it, the second finds it as it wants it
		cons, err := streams.EnsureInboxConsumer(ctx, js, "ci", c)
		if err != nil {
			t.Fatal(err)
		}
		cfg := cons.CachedInfo().Config
		// No delivery limit: the service decides when to give up, after
		// its quarantine record is stored.
		if cfg.MaxDeliver != -1 {
			t.Errorf("MaxDeliver = %d, want -1", cfg.MaxDeliver)
		}
		if cfg.FilterSubject != "corr.ci.in.>" || cfg.AckWait != waits[0] || !slices.Equal(cfg.BackOff, waits) {
			t.Errorf("filter %q, ack wait %s, back-off %v", cfg.FilterSubject, cfg.AckWait, cfg.BackOff)
		}
		if cfg.AckPolicy != jetstream.AckExplicitPolicy || cfg.Durable != "relay" {
			t.Errorf("ack policy %v, durable %q", cfg.AckPolicy, cfg.Durable)
		}
	}

	for _, tc := range []struct {
		name   string
		member string
		c      streams.InboxConsumer
	}{
		{"no name", "ci", streams.InboxConsumer{AckWaits: waits}},
		{"no ack waits", "ci", streams.InboxConsumer{Name: "relay"}},
		{"bad member", "CI", c},
	} {
		if _, err := streams.EnsureInboxConsumer(ctx, js, tc.member, tc.c); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// TestEnsureMovesToDurableSourcing: an INBOX made by an earlier release,
// whose sources created their own consumers on the peers' OUTBOX, is
// brought to durable sourcing in place, and then receives what was
// published before and after the move.
func TestEnsureMovesToDurableSourcing(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	c := natstest.StartCorridor(t, "ci", "bf")
	ci := c.Members["ci"].JetStream(t, natsconf.UserOperator)
	bf := c.Members["bf"].JetStream(t, natsconf.UserOperator)
	if err := streams.EnsureOutbox(ctx, ci, "ci", []string{"bf"}); err != nil {
		t.Fatal(err)
	}
	old, err := streams.InboxConfig("bf", []string{"ci"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range old.Sources {
		s.Consumer = nil
	}
	if _, err := bf.CreateStream(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := ci.Publish(ctx, "corr.ci.out.bf.referral", []byte("before")); err != nil {
		t.Fatal(err)
	}
	// Under the old layout the source's create request needs the hub's
	// consumer-create export, which is gone: nothing arrives until the
	// operator moves the INBOX to durable sourcing.
	if err := streams.EnsureInbox(ctx, bf, "bf", []string{"ci"}); err != nil {
		t.Fatalf("move INBOX to durable sourcing: %v", err)
	}
	if _, err := ci.Publish(ctx, "corr.ci.out.bf.referral", []byte("after")); err != nil {
		t.Fatal(err)
	}
	natstest.WaitFor(t, 30*time.Second, "both messages are in BF's INBOX", func() bool {
		s, err := bf.Stream(ctx, streams.Inbox)
		return err == nil && s.CachedInfo().State.Msgs == 2
	})
	if got := info(ctx, t, bf, streams.Inbox).Config.Sources; len(got) != 1 || got[0].Consumer == nil {
		t.Errorf("sources after the move: %+v", got)
	}
}
