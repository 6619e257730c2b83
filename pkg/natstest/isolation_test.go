package natstest_test

import (
	"encoding/json"
	"errors"
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

// unanswered is how long a request that must reach nothing is given. A
// request that reaches a JetStream API answers in milliseconds.
const unanswered = 2 * time.Second

type apiResponse struct {
	Error *struct {
		Code        int    `json:"code"`
		ErrCode     int    `json:"err_code"`
		Description string `json:"description"`
	} `json:"error"`
}

func consumerCreate(t *testing.T, filter, deliver string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"stream_name": streams.Outbox,
		"config": map[string]any{
			"name":               "probe",
			"filter_subject":     filter,
			"deliver_subject":    deliver,
			"ack_policy":         "none",
			"deliver_policy":     "all",
			"inactive_threshold": int64(365 * 24 * time.Hour),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIsolation checks what the hub and the members' own users can reach.
func TestIsolation(t *testing.T) {
	t.Parallel()
	c := natstest.StartCorridor(t, "ci", "bf", "coord")
	c.EnsureStreams(t)
	ctx := ctxFor(t, 3*deliveryTimeout)

	toBF := sent{from: "ci", to: "bf", typ: "referral", id: corridor.NewID("m_"), data: []byte("for bf")}
	toCoord := sent{from: "ci", to: "coord", typ: "tracking", id: corridor.NewID("m_"), data: []byte("for coord")}
	toBFAgain := sent{from: "ci", to: "bf", typ: "referral", id: corridor.NewID("m_"), data: []byte("for bf, later")}
	ci := c.Members["ci"].JetStream(t, natsconf.UserRelay)
	// The message for COORD goes first: BF's source keeps CI's order, so
	// once the later message for BF is in BF's INBOX, the earlier one would
	// be there too had it leaked.
	for _, m := range []sent{toCoord, toBF} {
		if err := publish(ctx, ci, m); err != nil {
			t.Fatal(err)
		}
	}
	bf := c.Members["bf"].JetStream(t, natsconf.UserOperator)
	coord := c.Members["coord"].JetStream(t, natsconf.UserOperator)
	waitInbox(ctx, t, coord, 1, deliveryTimeout)
	waitInbox(ctx, t, bf, 1, deliveryTimeout)

	t.Run("bf's inbox holds only what ci addressed to bf", func(t *testing.T) {
		checkInbox(t, inbox(ctx, t, bf), []sent{toBF})
		checkInbox(t, inbox(ctx, t, coord), []sent{toCoord})
	})

	t.Run("bf's hub account reaches only the consumer ci made for bf", func(t *testing.T) {
		nc := c.Hub.ConnectAccount(t, "BF")
		sub, err := nc.SubscribeSync(streams.DeliverPrefix("ci", "bf") + ".>")
		if err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		api := streams.APIPrefix("ci") + ".CONSUMER."

		// Positive control: the reset that durable sourcing sends is
		// answered, and ci's consumer for bf delivers through this account,
		// so the refusals below are not a broken probe.
		resp, err := nc.Request(api+"RESET.OUTBOX."+streams.SourceConsumer("bf"), nil, deliveryTimeout)
		if err != nil {
			t.Fatalf("reset ci's consumer for bf: %v", err)
		}
		var ok apiResponse
		if err := json.Unmarshal(resp.Data, &ok); err != nil || ok.Error != nil {
			t.Fatalf("reset ci's consumer for bf: %s", resp.Data)
		}
		if err := publish(ctx, ci, toBFAgain); err != nil {
			t.Fatal(err)
		}
		out, _ := streams.OutSubject("ci", "bf", toBFAgain.typ)
		natstest.WaitFor(t, deliveryTimeout, "ci's message for bf is delivered", func() bool {
			m, err := sub.NextMsg(10 * time.Millisecond)
			// Pushed messages keep their stream subject: the hub sees it,
			// which is why subjects carry no case data.
			return err == nil && m.Subject == out && m.Header.Get(nats.MsgIdHdr) == toBFAgain.msgID(t)
		})

		// A consumer of bf's own design on ci's OUTBOX, even on bf's slice:
		// with a deliver subject inside ci's JetStream API and an inactive
		// threshold of a year, it would outlive everything and turn ci's
		// messages into API requests on ci's server. No create request
		// reaches ci, nor any other consumer.
		bfSlice := streams.OutboxSliceFor("ci", "bf")
		coordSlice := streams.OutboxSliceFor("ci", "coord")
		hostile := consumerCreate(t, bfSlice, "$JS.API.STREAM.DELETE.INBOX")
		assertUnanswered(t, nc, []request{
			{api + "CREATE.OUTBOX.probe." + bfSlice, hostile},
			{api + "CREATE.OUTBOX.probe." + coordSlice, consumerCreate(t, coordSlice, "")},
			{api + "CREATE.OUTBOX", hostile},
			{api + "DURABLE.CREATE.OUTBOX.probe", hostile},
			{api + "CREATE.OUTBOX." + streams.SourceConsumer("bf") + "." + bfSlice, hostile}, // redefine ci's own consumer
			{api + "RESET.OUTBOX." + streams.SourceConsumer("coord"), nil},                   // coord's consumer
			{api + "DELETE.OUTBOX." + streams.SourceConsumer("bf"), nil},
			{api + "INFO.OUTBOX." + streams.SourceConsumer("bf"), nil},
			{streams.APIPrefix("ci") + ".DIRECT.GET.OUTBOX", []byte(`{"seq":1}`)},
			{streams.APIPrefix("ci") + ".STREAM.MSG.GET.OUTBOX", []byte(`{"seq":1}`)},
			{streams.APIPrefix("ci") + ".STREAM.INFO.OUTBOX", nil},
			{streams.APIPrefix("bf") + ".STREAM.INFO.INBOX", nil}, // bf's own streams, from the hub
		})
		cons, err := c.Members["ci"].JetStream(t, natsconf.UserOperator).Stream(ctx, streams.Outbox)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for name := range cons.ConsumerNames(ctx).Name() {
			names = append(names, name)
		}
		slices.Sort(names)
		if want := []string{streams.SourceConsumer("bf"), streams.SourceConsumer("coord")}; !slices.Equal(names, want) {
			t.Errorf("consumers on ci's OUTBOX: %v, want only ci's own %v", names, want)
		}
	})

	t.Run("hub accounts cannot delete or purge members' streams", func(t *testing.T) {
		for account, subjects := range map[string][]string{
			"CI": {
				"$JS.ci.API.STREAM.DELETE.OUTBOX",
				"$JS.ci.API.STREAM.DELETE.INBOX",
				"$JS.ci.API.STREAM.PURGE.OUTBOX",
				"$JS.ci.API.STREAM.MSG.DELETE.OUTBOX",
				"$JS.API.STREAM.DELETE.OUTBOX",
			},
			"BF":    {"$JS.ci.API.STREAM.DELETE.OUTBOX"},
			"COORD": {"$JS.ci.API.STREAM.DELETE.OUTBOX"},
		} {
			var reqs []request
			for _, s := range subjects {
				reqs = append(reqs, request{s, []byte(`{"seq":1}`)})
			}
			assertUnanswered(t, c.Hub.ConnectAccount(t, account), reqs)
		}
	})
	t.Run("ci's streams are intact", func(t *testing.T) {
		js := c.Members["ci"].JetStream(t, natsconf.UserOperator)
		for _, name := range []string{streams.Outbox, streams.Inbox} {
			s, err := js.Stream(ctx, name)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if name == streams.Outbox && s.CachedInfo().State.Msgs != 3 {
				t.Fatalf("OUTBOX holds %d messages, want 3", s.CachedInfo().State.Msgs)
			}
		}
	})

	t.Run("the leaf link's account has no jetstream", func(t *testing.T) {
		for _, name := range c.Names() {
			srv := c.Members[name].Server()
			for acc, want := range map[string]bool{natsconf.AccountLink: false, natsconf.AccountStreams: true} {
				a, err := srv.LookupAccount(acc)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got := a.JetStreamEnabled(); got != want {
					t.Errorf("%s: account %s JetStream enabled = %v, want %v", name, acc, got, want)
				}
			}
		}
	})

	t.Run("the relay cannot update, delete or purge streams or read others' data", func(t *testing.T) {
		m := c.Members["ci"]
		op := m.JetStream(t, natsconf.UserOperator)
		before, err := op.Stream(ctx, streams.Outbox)
		if err != nil {
			t.Fatal(err)
		}
		shrunk := before.CachedInfo().Config
		shrunk.MaxMsgs = 1
		shrunk.Discard = jetstream.DiscardOld
		update, err := json.Marshal(shrunk)
		if err != nil {
			t.Fatal(err)
		}
		// The denials arrive as asynchronous permission violations; the
		// requests themselves time out.
		relay := m.Connect(t, natsconf.UserRelay, nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		reqs := []request{
			{"$JS.API.STREAM.UPDATE.OUTBOX", update},
			{"$JS.ci.API.STREAM.UPDATE.OUTBOX", update},
			{"$JS.API.STREAM.UPDATE.INBOX", nil},
			// Another consumer than its own, on either stream.
			{"$JS.API.CONSUMER.CREATE.OUTBOX.probe.corr.ci.out.>", consumerCreate(t, "corr.ci.out.>", "")},
			{"$JS.API.CONSUMER.CREATE.INBOX.probe.corr.ci.in.>", nil},
			{"$JS.API.CONSUMER.DURABLE.CREATE.INBOX.probe", nil},
			{"$JS.API.STREAM.MSG.GET.INBOX", []byte(`{"seq":1}`)},
			{"$JS.API.DIRECT.GET.OUTBOX", []byte(`{"seq":1}`)},
			{"$JS.API.STREAM.CREATE.SCRATCH", []byte(`{"name":"SCRATCH"}`)},
			// Another member's OUTBOX subjects, through the hub.
			{"corr.bf.out.ci.referral", nil},
		}
		for _, op := range []string{"STREAM.DELETE", "STREAM.PURGE", "STREAM.MSG.DELETE"} {
			for _, name := range []string{streams.Outbox, streams.Inbox} {
				for _, prefix := range []string{"$JS.API.", "$JS.ci.API."} {
					reqs = append(reqs, request{prefix + op + "." + name, []byte(`{"seq":1}`)})
				}
			}
		}
		assertUnanswered(t, relay, reqs)
		after, err := op.Stream(ctx, streams.Outbox)
		if err != nil {
			t.Fatalf("OUTBOX after the relay's attempts: %v", err)
		}
		if cfg := after.CachedInfo().Config; cfg.MaxMsgs != before.CachedInfo().Config.MaxMsgs || cfg.Discard != jetstream.DiscardNew ||
			after.CachedInfo().State.Msgs != before.CachedInfo().State.Msgs {
			t.Fatalf("OUTBOX changed by the relay: max msgs %d discard %v, %d messages", cfg.MaxMsgs, cfg.Discard, after.CachedInfo().State.Msgs)
		}
		// Positive control: the same update from the operator is answered.
		resp, err := m.Connect(t, natsconf.UserOperator).Request("$JS.API.STREAM.UPDATE.OUTBOX", update, deliveryTimeout)
		if err != nil {
			t.Fatalf("operator updates OUTBOX: %v", err)
		}
		var r apiResponse
		if err := json.Unmarshal(resp.Data, &r); err != nil || r.Error != nil {
			t.Fatalf("operator updates OUTBOX: %s", resp.Data)
		}
	})
}

type request struct {
	subject string
	body    []byte
}

// assertUnanswered sends requests that must reach no JetStream API, all at
// once: each must find no responder, be dropped on the way (timeout), or be
// denied (a permission violation, after which the request times out).
func assertUnanswered(t *testing.T, nc *nats.Conn, reqs []request) {
	t.Helper()
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() {
			resp, err := nc.Request(r.subject, r.body, unanswered)
			switch {
			case err == nil:
				errs[i] = fmt.Errorf("request on %s was answered: %s", r.subject, resp.Data)
			case errors.Is(err, nats.ErrNoResponders), errors.Is(err, nats.ErrTimeout):
			default:
				errs[i] = fmt.Errorf("request on %s: %w", r.subject, err)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
