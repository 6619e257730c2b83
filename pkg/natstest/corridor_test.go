package natstest_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
	"github.com/corridor-org/corridor/pkg/streams"
)

// deliveryTimeout bounds how long a message may take to reach a peer's INBOX
// over a healthy link. Sourcing normally takes milliseconds; the margin is
// for a loaded machine running tests with -race.
const deliveryTimeout = 30 * time.Second

// testHeader is a header the relay might set; it must survive sourcing.
const testHeader = "Corridor-Test"

// sent is one message as published and as expected in the recipient's INBOX.
type sent struct {
	from, to, typ, id string
	data              []byte
}

func (s sent) inSubject(t *testing.T) string {
	t.Helper()
	subj, err := streams.InSubject(s.to, s.from, s.typ)
	if err != nil {
		t.Fatal(err)
	}
	return subj
}

func (s sent) msgID(t *testing.T) string {
	t.Helper()
	id, err := streams.MsgID(s.from, s.id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func publish(ctx context.Context, js jetstream.JetStream, s sent) error {
	subj, err := streams.OutSubject(s.from, s.to, s.typ)
	if err != nil {
		return err
	}
	id, err := streams.MsgID(s.from, s.id)
	if err != nil {
		return err
	}
	m := nats.NewMsg(subj)
	m.Header.Set(nats.MsgIdHdr, id)
	m.Header.Set(testHeader, s.typ+"/"+s.id)
	m.Data = s.data
	ack, err := js.PublishMsg(ctx, m)
	if err != nil {
		return fmt.Errorf("publish %s: %w", subj, err)
	}
	if ack.Stream != streams.Outbox {
		return fmt.Errorf("publish %s: stored in %s, want %s", subj, ack.Stream, streams.Outbox)
	}
	return nil
}

// inbox reads every message of a member's INBOX, in order.
func inbox(ctx context.Context, t *testing.T, js jetstream.JetStream) []*jetstream.RawStreamMsg {
	t.Helper()
	s, err := js.Stream(ctx, streams.Inbox)
	if err != nil {
		t.Fatalf("look up inbox: %v", err)
	}
	state := s.CachedInfo().State
	var out []*jetstream.RawStreamMsg
	for seq := state.FirstSeq; state.Msgs > 0 && seq <= state.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get inbox message %d: %v", seq, err)
		}
		out = append(out, m)
	}
	return out
}

// waitInbox waits until a member's INBOX holds n messages.
func waitInbox(ctx context.Context, t *testing.T, js jetstream.JetStream, n uint64, timeout time.Duration) {
	t.Helper()
	var have uint64
	natstest.WaitFor(t, timeout, fmt.Sprintf("inbox holds %d messages", n), func() bool {
		s, err := js.Stream(ctx, streams.Inbox)
		if err != nil {
			t.Fatalf("look up inbox: %v", err)
		}
		have = s.CachedInfo().State.Msgs
		if have > n {
			t.Fatalf("inbox holds %d messages, want %d", have, n)
		}
		return have == n
	})
}

// checkInbox asserts that msgs are exactly want, as sourced: subject renamed,
// message id, headers and data kept. Order is kept per source only, so msgs
// are compared as a set.
func checkInbox(t *testing.T, msgs []*jetstream.RawStreamMsg, want []sent) {
	t.Helper()
	if len(msgs) != len(want) {
		t.Fatalf("inbox holds %d messages, want %d", len(msgs), len(want))
	}
	for _, w := range want {
		i := slices.IndexFunc(msgs, func(m *jetstream.RawStreamMsg) bool {
			return m.Header.Get(nats.MsgIdHdr) == w.msgID(t)
		})
		if i < 0 {
			t.Errorf("inbox lacks %s", w.msgID(t))
			continue
		}
		m := msgs[i]
		if got := w.inSubject(t); m.Subject != got {
			t.Errorf("%s: subject %q, want %q", w.msgID(t), m.Subject, got)
		}
		if got, want := m.Header.Get(testHeader), w.typ+"/"+w.id; got != want {
			t.Errorf("%s: header %s = %q, want %q", w.msgID(t), testHeader, got, want)
		}
		if string(m.Data) != string(w.data) {
			t.Errorf("%s: data differs", w.msgID(t))
		}
	}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestSourcingAcrossTheHub sends in every demo direction at once and checks
// that each message lands, once, in its recipient's INBOX only.
func TestSourcingAcrossTheHub(t *testing.T) {
	t.Parallel()
	c := natstest.StartCorridor(t, "ci", "bf", "coord")
	c.EnsureStreams(t)
	ctx := ctxFor(t, 2*deliveryTimeout)

	byOrigin := map[string][]sent{
		"ci": {
			{from: "ci", to: "bf", typ: "referral", id: corridor.NewID("m_"), data: []byte("sealed referral")},
			{from: "ci", to: "coord", typ: "tracking", id: corridor.NewID("m_"), data: []byte("milestone sent")},
		},
		"bf": {
			{from: "bf", to: "ci", typ: "receipt", id: corridor.NewID("m_"), data: []byte("signed receipt")},
			{from: "bf", to: "coord", typ: "tracking", id: corridor.NewID("m_"), data: []byte("milestone delivered")},
		},
	}
	// Both origins publish concurrently, so that both directions of the
	// CI-BF link carry traffic at the same time.
	var wg sync.WaitGroup
	errs := make(chan error, len(byOrigin))
	for origin, msgs := range byOrigin {
		js := c.Members[origin].JetStream(t, natsconf.UserRelay)
		wg.Go(func() {
			for _, m := range msgs {
				if err := publish(ctx, js, m); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	want := map[string][]sent{}
	for _, msgs := range byOrigin {
		for _, m := range msgs {
			want[m.to] = append(want[m.to], m)
		}
	}
	for _, member := range c.Names() {
		t.Run(member, func(t *testing.T) {
			js := c.Members[member].JetStream(t, natsconf.UserOperator)
			waitInbox(ctx, t, js, uint64(len(want[member])), deliveryTimeout)
			checkInbox(t, inbox(ctx, t, js), want[member])
		})
	}
}

// TestFlowControlBothDirections pushes more than a source consumer's
// flow-control window (2 MiB) each way between CI and BF at once. A source
// consumer stops delivering past that window until the recipient's
// flow-control reply reaches it, so this passes only if replies route back
// across the hub in both directions.
func TestFlowControlBothDirections(t *testing.T) {
	t.Parallel()
	c := natstest.StartCorridor(t, "ci", "bf")
	c.EnsureStreams(t)
	ctx := ctxFor(t, 3*deliveryTimeout)

	const n = 48 // 48 × 64 KiB = 3 MiB
	payload := make([]byte, 64<<10)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, pair := range [][2]string{{"ci", "bf"}, {"bf", "ci"}} {
		js := c.Members[pair[0]].JetStream(t, natsconf.UserRelay)
		wg.Go(func() {
			for i := range n {
				m := sent{from: pair[0], to: pair[1], typ: "bulk", id: fmt.Sprintf("bulk-%03d", i), data: payload}
				if err := publish(ctx, js, m); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, member := range []string{"ci", "bf"} {
		js := c.Members[member].JetStream(t, natsconf.UserOperator)
		waitInbox(ctx, t, js, n, 2*deliveryTimeout)
		msgs := inbox(ctx, t, js)
		// One source, so order is kept.
		for i, m := range msgs {
			peer := map[string]string{"ci": "bf", "bf": "ci"}[member]
			if got, want := m.Header.Get(nats.MsgIdHdr), fmt.Sprintf("%s:bulk-%03d", peer, i); got != want {
				t.Fatalf("%s inbox message %d is %s, want %s", member, i, got, want)
			}
		}
	}
}
