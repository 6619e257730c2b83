package natstest_test

import (
	"encoding/json"
	"errors"
	"fmt"
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

// errFilterMismatch is the JetStream error code for a consumer whose filter
// differs from the one in its create subject.
const errFilterMismatch = 10131

type apiResponse struct {
	Error *struct {
		Code        int    `json:"code"`
		ErrCode     int    `json:"err_code"`
		Description string `json:"description"`
	} `json:"error"`
	Config *struct {
		FilterSubject string `json:"filter_subject"`
	} `json:"config"`
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
			"inactive_threshold": int64(time.Minute),
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

	t.Run("bf's hub account reads ci's slice for bf and nothing else", func(t *testing.T) {
		nc := c.Hub.ConnectAccount(t, "BF")
		deliver := streams.DeliverPrefix("ci", "bf") + ".probe"
		sub, err := nc.SubscribeSync(deliver)
		if err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		bfSlice := streams.OutboxSliceFor("ci", "bf")
		coordSlice := streams.OutboxSliceFor("ci", "coord")
		api := streams.APIPrefix("ci") + ".CONSUMER.CREATE." + streams.Outbox

		// Positive control: the granted slice answers and delivers, so the
		// refusals below are not a broken probe.
		resp, err := nc.Request(api+".probe."+bfSlice, consumerCreate(t, bfSlice, deliver), deliveryTimeout)
		if err != nil {
			t.Fatalf("create consumer on the granted slice: %v", err)
		}
		var ok apiResponse
		if err := json.Unmarshal(resp.Data, &ok); err != nil || ok.Error != nil || ok.Config == nil {
			t.Fatalf("create consumer on the granted slice: %s", resp.Data)
		}
		m, err := sub.NextMsg(deliveryTimeout)
		if err != nil {
			t.Fatalf("receive ci's message for bf: %v", err)
		}
		// Pushed messages keep their stream subject: the hub sees it, which
		// is why subjects carry no case data.
		if out, _ := streams.OutSubject("ci", "bf", toBF.typ); m.Subject != out || m.Header.Get(nats.MsgIdHdr) != toBF.msgID(t) {
			t.Fatalf("received %s %s, want ci's message for bf", m.Subject, m.Header.Get(nats.MsgIdHdr))
		}

		// The granted subject with another filter in the body: the origin's
		// server refuses it.
		resp, err = nc.Request(api+".probe2."+bfSlice, consumerCreate(t, coordSlice, deliver), deliveryTimeout)
		if err != nil {
			t.Fatalf("create consumer with a mismatched filter: %v", err)
		}
		var mismatch apiResponse
		if err := json.Unmarshal(resp.Data, &mismatch); err != nil || mismatch.Error == nil || mismatch.Error.ErrCode != errFilterMismatch {
			t.Fatalf("create consumer with a mismatched filter: %s, want error %d", resp.Data, errFilterMismatch)
		}

		// Everything else reaches nothing.
		assertUnanswered(t, nc, []request{
			{api + ".probe3." + coordSlice, consumerCreate(t, coordSlice, deliver)},                                     // ci's slice for coord
			{api + ".probe4." + streams.OutboxSubjects("ci"), consumerCreate(t, streams.OutboxSubjects("ci"), deliver)}, // all of ci's outbox
			{api, consumerCreate(t, coordSlice, deliver)},                                                               // create without a filter subject
			{streams.APIPrefix("ci") + ".CONSUMER.DURABLE.CREATE.OUTBOX.probe5", consumerCreate(t, coordSlice, deliver)},
			{streams.APIPrefix("ci") + ".DIRECT.GET.OUTBOX", []byte(`{"seq":1}`)},
			{streams.APIPrefix("ci") + ".STREAM.MSG.GET.OUTBOX", []byte(`{"seq":1}`)},
			{streams.APIPrefix("ci") + ".STREAM.INFO.OUTBOX", nil},
			{streams.APIPrefix("bf") + ".STREAM.INFO.INBOX", nil}, // bf's own streams, from the hub
		})
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
			if name == streams.Outbox && s.CachedInfo().State.Msgs != 2 {
				t.Fatalf("OUTBOX holds %d messages, want 2", s.CachedInfo().State.Msgs)
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
