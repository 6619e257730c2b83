package relay_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/natsconf"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
	"github.com/corridor-org/corridor/services/relay/internal/relay"
)

// withSigningKey returns w's directory with one more CI signing key: the
// directory after CI published a new key.
func (w *world) withSigningKey(t *testing.T, f *keyfile.File) *directory.Directory {
	t.Helper()
	d := buildDirectory(t, w.keys, time.Now().UTC())
	_, sig, err := f.PublicKeys()
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.Members {
		if d.Members[i].Code == ci {
			d.Members[i].SigningKeys = append(d.Members[i].SigningKeys, sig...)
		}
	}
	d.Version++
	if err := d.Validate(); err != nil {
		t.Fatalf("directory with the new key: %v", err)
	}
	return d
}

// quarantineID returns the id of the quarantine row of messageID.
func quarantineID(t *testing.T, pool *pgxpool.Pool, messageID string) int64 {
	t.Helper()
	var id int64
	if err := pool.QueryRow(t.Context(), `SELECT id FROM relay_quarantine WHERE message_id = $1`, messageID).Scan(&id); err != nil {
		t.Fatalf("quarantine row of %s: %v", messageID, err)
	}
	return id
}

// TestRelease: a country administrator's release runs a quarantined message
// through every check again; one that now passes (the directory gained the
// key it was signed with) is stored in the inbox and answered once, however
// often it is released; one that still fails stays quarantined with the
// new reason and one more attempt. A dismissal closes a message without
// applying it, and keeps it.
func TestRelease(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	bfNode := w.startRelay(t, bf, nil)
	s := sealer{t: t, w: w, now: time.Now()}
	ciJS := w.nats.Members["ci"].JetStream(t, natsconf.UserOperator)
	now := time.Now()
	newCI, err := keyfile.Generate(ci, now.Add(-time.Hour), now.Add(time.Hour)) // CI's next key, not yet published
	if err != nil {
		t.Fatal(err)
	}
	receipts := func(messageID string) int {
		n := 0
		for _, msg := range w.streamMessages(t, "bf", "OUTBOX") {
			var rc corridorv1.Receipt
			if msg.Subject == "corr.bf.out.ci.receipt" && proto.Unmarshal(msg.Data, &rc) == nil && rc.GetMessageId() == messageID {
				n++
			}
		}
		return n
	}
	inboxCount := func(messageID string) int {
		return count(t, bfNode.pool, `SELECT count(*) FROM exchange_inbox WHERE message_id = $1`, messageID)
	}
	// quarantine publishes data as CI and returns its quarantine row.
	quarantine := func(t *testing.T, data []byte) relay.Quarantined {
		t.Helper()
		_, before := newestQuarantined(t, bfNode.pool)
		publish(t, ciJS, "corr.ci.out.bf.referral", data)
		waitQuarantined(t, bfNode.pool, before)
		items, err := bfNode.relay.ListQuarantine(t.Context(), "", 0, 1)
		if err != nil || len(items) != 1 {
			t.Fatalf("newest quarantined: %v %v", items, err)
		}
		return items[0]
	}
	childName := "Mariam Ouedraogo " + corridor.NewID("")
	payload, err := proto.Marshal(&corridorv1.Referral{ReferralId: corridor.NewID("ref-"), BaseStatus: "draft",
		Child: &corridorv1.Child{Name: &corridorv1.PersonName{FullName: childName}}})
	if err != nil {
		t.Fatal(err)
	}

	type message struct {
		name    string
		build   func(h envelope.Header) []byte
		arrived relay.Reason // why it was quarantined on arrival
		// after is the state a release leaves it in once the directory
		// has CI's new key, and the reason when it stays quarantined.
		after       relay.State
		afterReason relay.Reason
	}
	newKey := func(h envelope.Header) []byte {
		return s.sealPayload(h, payload, s.encryptionKey(bf), s.signingKey(newCI))
	}
	tests := []message{
		{name: "signed with a key the directory gains later", build: newKey,
			arrived: relay.ReasonUnknownKey, after: relay.StateReleased},
		{name: "same key, but for an agency the directory does not list", arrived: relay.ReasonUnknownKey,
			build: func(h envelope.Header) []byte {
				h.RecipientAgency = "BF-NOPE"
				return newKey(h)
			},
			after: relay.StateQuarantined, afterReason: relay.ReasonUnknownAgency},
		{name: "signature byte flipped", arrived: relay.ReasonBadSignature,
			build: func(h envelope.Header) []byte {
				return s.edit(s.valid(h), func(e *corridorv1.Envelope) { e.Signature[10] ^= 0x01 })
			},
			after: relay.StateQuarantined, afterReason: relay.ReasonBadSignature},
	}
	rows := make([]relay.Quarantined, len(tests))
	headers := make([]envelope.Header, len(tests))
	for i, tc := range tests {
		headers[i] = s.header()
		rows[i] = quarantine(t, tc.build(headers[i]))
		if rows[i].Reason != tc.arrived || rows[i].State != relay.StateQuarantined || rows[i].Attempts != 1 {
			t.Fatalf("%s: quarantined as %s (%s), %s, attempts %d; want %s, quarantined, 1",
				tc.name, rows[i].Reason, rows[i].Error, rows[i].State, rows[i].Attempts, tc.arrived)
		}
	}
	// Two more for the subtests below, quarantined before the key is known.
	concurrentH, unreadableH := s.header(), s.header()
	concurrentQ, unreadableQ := quarantine(t, newKey(concurrentH)), quarantine(t, newKey(unreadableH))
	bfNode.source.replaced.Store(w.withSigningKey(t, newCI))

	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := headers[i]
			q, err := bfNode.relay.Release(t.Context(), rows[i].ID, "bf-admin", "CI published its new signing key")
			if err != nil {
				t.Fatalf("release: %v", err)
			}
			if q.State != tc.after || q.LastAction != relay.ActionRelease || q.LastActionBy != "bf-admin" ||
				q.LastActionNote != "CI published its new signing key" || q.LastActionAt == nil {
				t.Errorf("after release: state %s, last action %s by %q (%q) at %v", q.State, q.LastAction,
					q.LastActionBy, q.LastActionNote, q.LastActionAt)
			}
			if tc.after == relay.StateQuarantined {
				if q.Reason != tc.afterReason || q.Attempts != 2 || q.ResolvedAt != nil {
					t.Errorf("still quarantined as %s (%s), attempts %d, resolved %v; want %s, 2, never",
						q.Reason, q.Error, q.Attempts, q.ResolvedAt, tc.afterReason)
				}
				if n := inboxCount(h.MessageID); n != 0 {
					t.Errorf("a message that still fails is in the inbox %d times", n)
				}
				return
			}
			if q.ResolvedAt == nil || q.Attempts != 1 {
				t.Errorf("released: resolved at %v, attempts %d", q.ResolvedAt, q.Attempts)
			}
			stored := inboxRow(t, bfNode.pool, h.MessageID)
			if stored == nil || string(stored.Payload) != string(payload) || stored.SenderMember != ci {
				t.Fatalf("inbox row = %+v, want the released message", stored)
			}
			waitFor(t, "the sender gets a receipt", func() (bool, error) { return receipts(h.MessageID) == 1, nil })

			// Released again: refused, and nothing is stored or answered twice.
			_, err = bfNode.relay.Release(t.Context(), rows[i].ID, "bf-admin", "again")
			if corridor.KindOf(err) != corridor.KindConflict {
				t.Errorf("second release: %v, want a conflict", err)
			}
			if _, err := bfNode.relay.Dismiss(t.Context(), rows[i].ID, "bf-admin", "too late"); corridor.KindOf(err) != corridor.KindConflict {
				t.Errorf("dismissal of a released message: %v, want a conflict", err)
			}
			waitFor(t, "BF has handled every message", func() (bool, error) { return w.consumerCaughtUp(t, "bf"), nil })
			if n, r := inboxCount(h.MessageID), receipts(h.MessageID); n != 1 || r != 1 {
				t.Errorf("after a second release: %d inbox rows, %d receipts; want 1 and 1", n, r)
			}
		})
	}

	// Within one relay, settlements take turns; across relays on one
	// database, the row lock orders them.
	t.Run("two administrators release at once", func(t *testing.T) {
		h, q := concurrentH, concurrentQ
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for k := range errs {
			wg.Go(func() { _, errs[k] = bfNode.relay.Release(t.Context(), q.ID, "bf-admin", "key published") })
		}
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case corridor.KindOf(err) == corridor.KindConflict:
				conflicts++
			default:
				t.Errorf("release: %v", err)
			}
		}
		if ok != 1 || conflicts != 1 {
			t.Errorf("%d releases succeeded and %d conflicted, want 1 and 1", ok, conflicts)
		}
		if n := inboxCount(h.MessageID); n != 1 {
			t.Errorf("inbox holds the message %d times, want 1", n)
		}
	})

	t.Run("released while the directory cannot be read", func(t *testing.T) {
		q := unreadableQ
		bfNode.source.fail.Store(true)
		_, err := bfNode.relay.Release(t.Context(), q.ID, "bf-admin", "key published")
		bfNode.source.fail.Store(false)
		if corridor.KindOf(err) != corridor.KindUnavailable {
			t.Fatalf("release without a directory: %v, want unavailable", err)
		}
		after, err := bfNode.relay.Quarantined(t.Context(), q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.State != relay.StateQuarantined || after.Attempts != 1 || after.LastAction != "" || after.Reason != q.Reason {
			t.Errorf("a release that could not check changed the row: %+v", after)
		}
		if q, err := bfNode.relay.Release(t.Context(), q.ID, "bf-admin", "key published"); err != nil || q.State != relay.StateReleased {
			t.Errorf("release once the directory is back: %s, %v", q.State, err)
		}
		if n := inboxCount(unreadableH.MessageID); n != 1 {
			t.Errorf("inbox holds the message %d times, want 1", n)
		}
	})

	t.Run("dismissed", func(t *testing.T) {
		q := quarantine(t, []byte("\xff\xff not an envelope"))
		total := count(t, bfNode.pool, `SELECT count(*) FROM relay_quarantine`)
		d, err := bfNode.relay.Dismiss(t.Context(), q.ID, "bf-admin", "garbage from a test tool, CI told")
		if err != nil {
			t.Fatal(err)
		}
		if d.State != relay.StateDismissed || d.LastAction != relay.ActionDismiss || d.LastActionBy != "bf-admin" ||
			d.LastActionNote != "garbage from a test tool, CI told" || d.ResolvedAt == nil || d.Reason != relay.ReasonMalformed {
			t.Errorf("dismissed row = %+v", d)
		}
		if _, err := bfNode.relay.Release(t.Context(), q.ID, "bf-admin", "changed my mind"); corridor.KindOf(err) != corridor.KindConflict {
			t.Errorf("release of a dismissed message: %v, want a conflict", err)
		}
		if n := count(t, bfNode.pool, `SELECT count(*) FROM relay_quarantine`); n != total {
			t.Errorf("the quarantine holds %d rows after the dismissal, want %d: rows are kept", n, total)
		}
		dismissed, err := bfNode.relay.ListQuarantine(t.Context(), relay.StateDismissed, 0, 10)
		if err != nil || len(dismissed) != 1 || dismissed[0].ID != q.ID {
			t.Errorf("dismissed list = %v, %v", dismissed, err)
		}
	})

	t.Run("in the audit trail", func(t *testing.T) {
		// Released once each (three, one at once, one after the
		// directory came back), dismissed once; a release that could
		// not check and refused ones leave no settlement entry.
		for action, want := range map[string]int{"quarantine.release": 5, "quarantine.dismiss": 1} {
			if n := count(t, bfNode.pool, `SELECT count(*) FROM audit_entries WHERE action = $1 AND object_type = 'quarantine'`, action); n != want {
				t.Errorf("%d audit entries %s, want %d", n, action, want)
			}
		}
		if n := count(t, bfNode.pool, `SELECT count(*) FROM audit_entries WHERE detail::text LIKE '%garbage from a test tool%'`); n != 0 {
			t.Errorf("the dismissal's free-text note is in the audit trail")
		}
	})

	t.Run("unknown id", func(t *testing.T) {
		if _, err := bfNode.relay.Release(t.Context(), 1<<40, "bf-admin", "x"); corridor.KindOf(err) != corridor.KindNotFound {
			t.Errorf("release of no row: %v", err)
		}
	})

	t.Run("nothing personal in the list", func(t *testing.T) {
		items, err := bfNode.relay.ListQuarantine(context.WithoutCancel(t.Context()), "", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(items)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), childName) || strings.Contains(string(out), "raw") {
			t.Errorf("the list's JSON carries the payload or the raw bytes: %s", out)
		}
		if strings.Contains(bfNode.logs.String(), childName) {
			t.Error("the logs carry the child's name")
		}
	})
}
