package natstest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
	"github.com/corridor-org/corridor/pkg/streams"
)

// Timeouts of the partition test. A source notices a silent upstream after
// 10 s without heartbeats; from then on it retries creating its consumer,
// waiting 30 s for each answer and backing off 10 s more per failure (the
// server's constants, not configurable). After a cut of this test's length
// it catches up within about 40 s of the heal; 90 s leaves a margin for a
// loaded machine. A cut of days would take up to about 2.5 min.
const (
	stallTimeout = 30 * time.Second
	healTimeout  = 90 * time.Second
	// sourceStalled is how long a source's last activity must lie behind it
	// before the test counts the cut as noticed (the server's health check
	// runs every 10 s).
	sourceStalled = 11 * time.Second
)

// TestPartition cuts the hub while CI keeps publishing, then heals it: BF's
// INBOX must catch up with every message, in order, once each.
func TestPartition(t *testing.T) {
	t.Parallel()
	c := natstest.StartCorridor(t, "ci", "bf")
	c.EnsureStreams(t)
	ctx := ctxFor(t, deliveryTimeout+stallTimeout+healTimeout+deliveryTimeout)
	ci := c.Members["ci"].JetStream(t, natsconf.UserRelay)
	bf := c.Members["bf"].JetStream(t, natsconf.UserOperator)

	msg := func(i int) sent {
		return sent{from: "ci", to: "bf", typ: "referral", id: fmt.Sprintf("part-%02d", i), data: fmt.Appendf(nil, "message %d", i)}
	}
	var want []sent
	send := func(i int) {
		t.Helper()
		if err := publish(ctx, ci, msg(i)); err != nil {
			t.Fatal(err)
		}
	}

	// The link carries traffic before the cut, so BF's source is running.
	send(0)
	want = append(want, msg(0))
	waitInbox(ctx, t, bf, 1, deliveryTimeout)

	c.Hub.Stop()
	natstest.WaitFor(t, deliveryTimeout, "ci notices the cut", func() bool {
		return c.Members["ci"].Server().NumLeafNodes() == 0
	})
	// CI keeps accepting publishes while cut off; a message published
	// twice (the relay resending after a lost ack) is stored once.
	for i := 1; i <= 5; i++ {
		send(i)
		want = append(want, msg(i))
	}
	send(3)
	if s, err := ci.Stream(ctx, streams.Outbox); err != nil {
		t.Fatal(err)
	} else if got := s.CachedInfo().State.Msgs; got != 6 {
		t.Fatalf("ci's OUTBOX holds %d messages, want 6", got)
	}

	// Keep the cut until BF's source has noticed it, so that the heal goes
	// through the source's consumer re-creation and not just a resumed
	// consumer.
	natstest.WaitFor(t, stallTimeout, "bf's source notices the cut", func() bool {
		s, err := bf.Stream(ctx, streams.Inbox)
		if err != nil {
			t.Fatal(err)
		}
		src := s.CachedInfo().Sources
		return len(src) == 1 && src[0].Active > sourceStalled
	})

	c.Hub.Restart(t)
	healed := time.Now()
	waitInbox(ctx, t, bf, uint64(len(want)), healTimeout)
	t.Logf("bf's INBOX caught up %s after the heal", time.Since(healed).Round(time.Millisecond))

	// Resending after the heal changes nothing either.
	send(4)
	send(6)
	want = append(want, msg(6))
	waitInbox(ctx, t, bf, uint64(len(want)), deliveryTimeout)

	msgs := inbox(ctx, t, bf)
	checkInbox(t, msgs, want)
	for i, m := range msgs {
		if got, want := m.Header.Get(nats.MsgIdHdr), want[i].msgID(t); got != want {
			t.Errorf("message %d is %s, want %s (order lost)", i, got, want)
		}
	}
}
