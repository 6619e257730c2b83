package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/indicatorset"
	"github.com/corridor-org/corridor/pkg/pgtest"
	indicatorsv1 "github.com/corridor-org/corridor/proto/corridor/indicators/v1"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

var exchangeSchema = pgtest.Template{Name: "exchange", Migrate: exchange.Migrate}

// ctlEnv runs corridorctl in-process with environment env.
func ctlEnv(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), append([]string{"corridorctl"}, args...), func(k string) string { return env[k] }, &out)
	return out.String(), err
}

// TestIndicatorsVerify checks published sets against a member's exchange
// tables: a set listing what the member reported agrees; a set in which
// the coordinator's copy of one event was altered, or that misses one,
// differs and names the event; a set altered after signing is refused.
func TestIndicatorsVerify(t *testing.T) {
	t.Parallel()
	c := newCorridor(t)
	v1 := c.path("v1.json")
	mustCtl(t, "directory", "propose", "-draft", c.draft, "-out", v1)
	mustCtl(t, "directory", "sign", "-in", v1, "-key", c.gov["CI"])
	mustCtl(t, "directory", "sign", "-in", v1, "-key", c.gov["BF"])
	coordKeys, err := keyfile.Load(c.keys[corridor.Coordinator])
	if err != nil {
		t.Fatal(err)
	}
	coordKey := coordKeys.SigningKeys[0]

	// CI's database: a referral it sent and its acceptance, published; a
	// closure not yet published (the coordinator cannot have it); a
	// referral it received from BF.
	dsn := pg.NewDatabase(t, exchangeSchema)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	identified := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	rows := []exchange.OutboxMessage{
		{MessageID: "ci-msg-1", MessageType: exchange.TypeReferral, ReferralID: "ci-ref-1",
			Tracking: &exchange.Tracking{Milestone: "referral_sent", Sector: "A", AgeBand: "15-17", Sex: "female", IdentifiedAt: identified}},
		{MessageID: "ci-msg-2", MessageType: exchange.TypeMilestone, ReferralID: "ci-ref-1",
			Tracking: &exchange.Tracking{Milestone: "handed_over", Sector: "A", AgeBand: "15-17", Sex: "female"}},
		{MessageID: "ci-msg-3", MessageType: exchange.TypeClosure, ReferralID: "ci-ref-1",
			Tracking: &exchange.Tracking{Milestone: "case_closed", ClosureReason: "reunified"}},
	}
	for i, m := range rows {
		m.Corridor, m.CaseRef, m.SenderAgency, m.RecipientMember, m.RecipientAgency, m.Side = "ci-bf", "ci-case-1", "ci-dpe", "BF", "bf-dpe", exchange.SideSender
		if m.MessageType != exchange.TypeMilestone {
			m.Payload = []byte("payload")
		}
		if err := pgx.BeginFunc(t.Context(), conn, func(tx pgx.Tx) error { return exchange.Enqueue(t.Context(), tx, m) }); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			if err := exchange.MarkPublished(t.Context(), conn, m.MessageID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := exchange.InsertInbox(t.Context(), conn, exchange.InboxMessage{
		MessageID: "bf-msg-9", Corridor: "ci-bf", MessageType: exchange.TypeReferral, CaseRef: "bf-case-9", ReferralID: "bf-ref-9",
		SenderMember: "BF", SenderAgency: "bf-dpe", RecipientAgency: "ci-dpe", SentAt: time.Now().Add(-time.Minute), Payload: []byte("payload"),
	}); err != nil {
		t.Fatal(err)
	}
	at := func(query, id string) int64 {
		var ts time.Time
		if err := conn.QueryRow(t.Context(), query, id).Scan(&ts); err != nil {
			t.Fatal(err)
		}
		return ts.UnixMicro()
	}
	outboxAt := `SELECT created_at FROM exchange_outbox WHERE message_id = $1`
	// The events as CI's relay signed them, written out field by field.
	sent := &trackingv1.TrackingEvent{
		EventId: "ci-trk-ci-msg-1", Corridor: "ci-bf", CaseRef: "ci-case-1", ReferralId: "ci-ref-1", Milestone: "referral_sent",
		Member: "CI", SenderMember: "CI", SenderAgency: "ci-dpe", RecipientMember: "BF", RecipientAgency: "bf-dpe",
		At: at(outboxAt, "ci-msg-1"), Sector: "A", AgeBand: "15-17", Sex: "female", IdentifiedAt: identified.UnixMicro(),
	}
	handed := &trackingv1.TrackingEvent{
		EventId: "ci-trk-ci-msg-2", Corridor: "ci-bf", CaseRef: "ci-case-1", ReferralId: "ci-ref-1", Milestone: "handed_over",
		Member: "CI", SenderMember: "CI", SenderAgency: "ci-dpe", RecipientMember: "BF", RecipientAgency: "bf-dpe",
		At: at(outboxAt, "ci-msg-2"), Sector: "A", AgeBand: "15-17", Sex: "female",
	}
	delivered := &trackingv1.TrackingEvent{
		EventId: "ci-trk-bf-msg-9", Corridor: "ci-bf", CaseRef: "bf-case-9", ReferralId: "bf-ref-9", Milestone: "referral_delivered",
		Member: "CI", SenderMember: "BF", SenderAgency: "bf-dpe", RecipientMember: "CI", RecipientAgency: "ci-dpe",
		At: at(`SELECT received_at FROM exchange_inbox WHERE message_id = $1`, "bf-msg-9"),
	}
	now := time.Now().UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)

	// publish writes a set covering events, as the coordinator signs it.
	publish := func(name string, events ...*trackingv1.TrackingEvent) string {
		t.Helper()
		share, err := indicatorset.Share("CI", events)
		if err != nil {
			t.Fatal(err)
		}
		set := &indicatorsv1.IndicatorSet{
			SetId: "coord-set-" + name, Corridor: "ci-bf", IssuedAt: now.UnixMicro(), Period: "month",
			From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), DirectoryVersion: 1,
			Figures: []byte(`{}`), Members: []*indicatorsv1.MemberShare{share},
		}
		signed, err := indicatorset.Sign(set, coordKey.ID, ed25519.NewKeyFromSeed(coordKey.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		path := c.path(name + ".set")
		if err := os.WriteFile(path, signed, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	env := map[string]string{"DATABASE_URL": dsn}
	verify := func(path string) (string, error) {
		return ctlEnv(t, env, "indicators", "verify", "-member", "CI", "-directory", v1, "-set", path)
	}

	out, err := verify(publish("good", sent, handed, delivered))
	if err != nil || !strings.Contains(out, "agrees") || !strings.Contains(out, "3 events") {
		t.Errorf("verify a faithful set = %v\n%s", err, out)
	}

	alteredSent := proto.CloneOf(sent)
	alteredSent.Sector = "C"
	out, err = verify(publish("altered", alteredSent, handed, delivered))
	if !errors.Is(err, ErrSetDiffers) || !strings.Contains(out, "event ci-trk-ci-msg-1 differs") {
		t.Errorf("verify a set with an altered event = %v\n%s", err, out)
	}
	out, err = verify(publish("missing", sent, delivered))
	if !errors.Is(err, ErrSetDiffers) || !strings.Contains(out, "ci-trk-ci-msg-2 of this member's records is missing") {
		t.Errorf("verify a set missing an event = %v\n%s", err, out)
	}

	// A set altered after signing, or signed by someone else, is refused.
	good, err := os.ReadFile(c.path("good.set"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(good)
	tampered[len(tampered)/3] ^= 0x01
	tamperedPath := c.path("tampered.set")
	if err := os.WriteFile(tamperedPath, tampered, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(tamperedPath); err == nil || strings.Contains(out, "agrees") {
		t.Errorf("verify a tampered set = %v\n%s", err, out)
	}

	// From the coordinator's URL, with the member's token.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "coord-set-good", "signed": good})
	}))
	t.Cleanup(srv.Close)
	env["CORRIDOR_TOKEN"] = "tok"
	out, err = ctlEnv(t, env, "indicators", "verify", "-member", "CI", "-directory", v1, "-url", srv.URL+"/api/v1/indicators/sets/coord-set-good")
	if err != nil || !strings.Contains(out, "agrees") {
		t.Errorf("verify from the URL = %v\n%s", err, out)
	}
	delete(env, "CORRIDOR_TOKEN")
	if _, err := ctlEnv(t, env, "indicators", "verify", "-member", "CI", "-directory", v1, "-url", srv.URL); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("verify without a token = %v", err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-member", "CI", "-directory", v1}, "exactly one of -set and -url"},
		{[]string{"-member", "ML", "-directory", v1, "-set", c.path("good.set")}, "not a country"},
		{[]string{"-member", "CI", "-set", c.path("good.set")}, "missing -directory"},
	} {
		if _, err := ctlEnv(t, env, append([]string{"indicators", "verify"}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("verify %v = %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := ctlEnv(t, nil, "indicators", "verify", "-member", "CI", "-directory", v1, "-set", c.path("good.set")); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("verify without DATABASE_URL = %v", err)
	}
}
