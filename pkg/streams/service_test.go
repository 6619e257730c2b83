package streams_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
	"github.com/corridor-org/corridor/pkg/streams"
)

var testConsumer = streams.InboxConsumer{Name: "relay", Description: "test", AckWaits: []time.Duration{time.Minute}}

// TestCheckStreams: a service only checks the streams the member's
// operator made; a missing or different one is the operator's to fix.
func TestCheckStreams(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	hub := natstest.StartHub(t)
	ci := natstest.StartMember(t, hub, "ci")
	relay := ci.JetStream(t, natsconf.UserRelay)
	op := ci.JetStream(t, natsconf.UserOperator)

	if err := streams.CheckStreams(ctx, relay, "ci", []string{"bf"}); corridor.KindOf(err) != corridor.KindUnavailable {
		t.Fatalf("CheckStreams before the operator made the streams = %v, want unavailable", err)
	}
	ci.EnsureStreams(t, []string{"bf"})
	for range 2 {
		if _, err := streams.EnsureMember(ctx, relay, "ci", []string{"bf"}, testConsumer); err != nil {
			t.Fatalf("EnsureMember as the relay: %v", err)
		}
	}

	// A peer joins: the INBOX the relay finds lacks its source.
	err := streams.CheckStreams(ctx, relay, "ci", []string{"bf", "coord"})
	if corridor.KindOf(err) != corridor.KindConflict || !strings.Contains(err.Error(), "sources") {
		t.Fatalf("CheckStreams with a new peer = %v, want a conflict on the sources, for the operator", err)
	}
	if err := streams.EnsureInbox(ctx, op, "ci", []string{"bf", "coord"}); err != nil {
		t.Fatalf("the operator updates INBOX: %v", err)
	}
	if err := streams.CheckStreams(ctx, relay, "ci", []string{"bf", "coord"}); err != nil {
		t.Fatalf("CheckStreams after the operator's update: %v", err)
	}
}

// TestRelayReadsItsInbox: the relay's narrow permissions are enough to
// publish, read its INBOX consumer and acknowledge (in the ack form of
// js_ack_fc_v2).
func TestRelayReadsItsInbox(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	c := natstest.StartCorridor(t, "ci", "bf")
	c.EnsureStreams(t)
	ciRelay := c.Members["ci"].JetStream(t, natsconf.UserRelay)
	bfRelay := c.Members["bf"].JetStream(t, natsconf.UserRelay)
	if _, err := ciRelay.Publish(ctx, "corr.ci.out.bf.referral", []byte("x")); err != nil {
		t.Fatalf("relay publishes to its OUTBOX: %v", err)
	}
	cons, err := streams.EnsureMember(ctx, bfRelay, "bf", []string{"ci"}, testConsumer)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := cons.Fetch(1, jetstream.FetchMaxWait(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got int
	for msg := range msgs.Messages() {
		got++
		if err := msg.DoubleAck(ctx); err != nil {
			t.Fatalf("relay acknowledges: %v", err)
		}
	}
	if got != 1 {
		t.Fatalf("fetched %d messages (%v), want 1", got, msgs.Error())
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ci.NumAckPending != 0 || ci.AckFloor.Stream != 1 {
		t.Errorf("after the ack: %d pending, ack floor %d", ci.NumAckPending, ci.AckFloor.Stream)
	}
}

// TestServiceRefusesUnsuitableServer: a service checks the server before
// anything else and refuses one without js_ack_fc_v2 or of another member.
func TestServiceRefusesUnsuitableServer(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	hub := natstest.StartHub(t)
	good := natstest.StartMember(t, hub, "ci")
	if err := streams.CheckServer(ctx, good.Connect(t, natsconf.UserRelay), "ci"); err != nil {
		t.Fatalf("the shipped configuration: %v", err)
	}
	if err := streams.CheckServer(ctx, good.Connect(t, natsconf.UserRelay), "bf"); !errors.Is(err, streams.ErrServerUnsuitable) {
		t.Errorf("CI's server checked as BF's = %v, want ErrServerUnsuitable", err)
	}

	flagOff := natstest.StartMember(t, hub, "bf", func(o *server.Options) {
		o.FeatureFlags[streams.FeatureAckFlowControlV2] = false
	})
	js := flagOff.JetStream(t, natsconf.UserRelay)
	if _, err := streams.EnsureMember(ctx, js, "bf", nil, testConsumer); !errors.Is(err, streams.ErrServerUnsuitable) {
		t.Fatalf("EnsureMember without %s = %v, want ErrServerUnsuitable", streams.FeatureAckFlowControlV2, err)
	}
}

func TestSuitableServer(t *testing.T) {
	t.Parallel()
	flags := map[string]bool{streams.FeatureAckFlowControlV2: true}
	for _, tc := range []struct {
		name string
		info streams.ServerInfo
		ok   bool
	}{
		{"pinned version", streams.ServerInfo{Version: streams.MinServerVersion, Domain: "ci", FeatureFlags: flags}, true},
		{"newer patch", streams.ServerInfo{Version: "2.15.10", Domain: "ci", FeatureFlags: flags}, true},
		{"newer major", streams.ServerInfo{Version: "3.0.0", Domain: "ci", FeatureFlags: flags}, true},
		{"older patch", streams.ServerInfo{Version: "2.15.1", Domain: "ci", FeatureFlags: flags}, false},
		{"older minor with higher patch", streams.ServerInfo{Version: "2.14.9", Domain: "ci", FeatureFlags: flags}, false},
		{"pre-release of the pinned one", streams.ServerInfo{Version: streams.MinServerVersion + "-RC.1", Domain: "ci", FeatureFlags: flags}, false},
		{"no version", streams.ServerInfo{Domain: "ci", FeatureFlags: flags}, false},
		{"garbled version", streams.ServerInfo{Version: "2.x.1", Domain: "ci", FeatureFlags: flags}, false},
		{"flag off", streams.ServerInfo{Version: streams.MinServerVersion, Domain: "ci", FeatureFlags: map[string]bool{streams.FeatureAckFlowControlV2: false}}, false},
		{"flag unknown", streams.ServerInfo{Version: streams.MinServerVersion, Domain: "ci"}, false},
		{"another member's", streams.ServerInfo{Version: streams.MinServerVersion, Domain: "bf", FeatureFlags: flags}, false},
	} {
		err := streams.SuitableServer(tc.info, "ci")
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.ok && !errors.Is(err, streams.ErrServerUnsuitable) {
			t.Errorf("%s: %v, want ErrServerUnsuitable", tc.name, err)
		}
	}
}
