package sandbox

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/signing"
	"github.com/corridor-org/corridor/pkg/streams"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

// noticesLog is where the sandbox's webhook receiver writes the overdue
// notices the coordinator posts, under logs/.
const noticesLog = "notices.log"

// noticeWebhook is the demo webhook every country agency's notices go to:
// the sandbox's own receiver, one path per agency.
func noticeWebhook(ports map[string]int, agency string) *directory.Notify {
	return &directory.Notify{WebhookURL: httpURL(ports["notices"]) + "/notices/" + agency}
}

// startNoticeReceiver serves the agencies' demo webhook until ctx ends: it
// verifies each notice's signature with the coordinator's key in the
// directory, as an agency's receiver would, and appends the notice and the
// verdict to logs/notices.log. Stop, or the end of ctx, stops it.
func (s *Sandbox) startNoticeReceiver(ctx context.Context, port int, trust trustFiles) error {
	src, err := directory.OpenFileSource(trust.Directory, trust.Anchor, "", s.logger)
	if err != nil {
		return fmt.Errorf("start notice receiver: %w", err)
	}
	f, err := os.OpenFile(s.path(logsDir, noticesLog), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("start notice receiver: %w", err)
	}
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("POST /notices/{agency}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<10))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		dir, err := src.Current(r.Context())
		if err != nil {
			http.Error(w, "directory unavailable", http.StatusServiceUnavailable)
			return
		}
		// What an agency's receiver does: the signature, by the key the
		// header names, over the purpose and the body as received.
		sig, err := base64.StdEncoding.DecodeString(r.Header.Get("Corridor-Signature"))
		if err == nil {
			err = signing.VerifyFrom(dir, corridor.Coordinator, r.Header.Get("Corridor-Signature-Key"),
				signing.PurposeNotice, body, sig)
		}
		line, _ := json.Marshal(map[string]any{
			"received_at": time.Now().UTC(), "agency": r.PathValue("agency"),
			"notice_id": r.Header.Get("Corridor-Notice-Id"), "verified": err == nil,
			"notice": json.RawMessage(validJSONOr(body)),
		})
		mu.Lock()
		_, werr := f.Write(append(line, '\n'))
		mu.Unlock()
		switch {
		case werr != nil:
			http.Error(w, "cannot record", http.StatusInternalServerError)
		case err != nil:
			http.Error(w, "bad signature", http.StatusUnauthorized)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	ln, err := net.Listen("tcp", hostPort(port))
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("start notice receiver: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("notice receiver stopped", "error", err.Error())
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = srv.Close()
			_ = f.Close()
		})
	}
	s.mu.Lock()
	s.stopNotices = stop
	s.mu.Unlock()
	context.AfterFunc(ctx, stop)
	return nil
}

// validJSONOr returns b if it is JSON, else a JSON string saying it is not.
func validJSONOr(b []byte) []byte {
	if json.Valid(b) {
		return b
	}
	return []byte(`"(not JSON)"`)
}

// seedOverdue gives the demo an overdue case: the coordinator's record of a
// synthetic referral from CI's labour inspection to BF's child protection,
// sent and delivered at least five days ago, still undecided, so at least
// two days past the corridor's 72-hour limit. No casework holds it:
// casework stamps every step with the time it happens, so a case that is
// overdue on the first start can only be a history written for the demo.
// Its two tracking events are signed with CI's and BF's own keys, as their
// relays sign theirs, and published to their OUTBOX streams; the
// coordinator verifies them like any other, finds the decision overdue and
// notifies BF-DPE. Both events are dated in the month before this one: no
// member's records hold this history, so the indicator sets of the month
// in progress, which the demo's members verify against their records, must
// not cover it.
func (s *Sandbox) seedOverdue(ctx context.Context, natsEnv map[string]natsconf.MemberEnv, trust trustFiles) (string, error) {
	now := time.Now().UTC()
	sent := now.Add(-5 * 24 * time.Hour)
	if lastMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Add(-2 * time.Hour); lastMonth.Before(sent) {
		sent = lastMonth
	}
	caseRef, referral := corridor.NewID("case-"), corridor.NewID("ref-")
	base := trackingv1.TrackingEvent{
		Corridor: corridorID, CaseRef: caseRef, ReferralId: referral,
		SenderMember: "CI", SenderAgency: "CI-DGT", RecipientMember: "BF", RecipientAgency: "BF-DPE",
	}
	sentEv := proto.Clone(&base).(*trackingv1.TrackingEvent)
	sentEv.EventId, sentEv.Milestone, sentEv.Member = corridor.NewID("ci-trk-demo-"), "referral_sent", "CI"
	sentEv.At, sentEv.IdentifiedAt = sent.UnixMicro(), sent.Add(-24*time.Hour).UnixMicro()
	sentEv.Sector, sentEv.AgeBand, sentEv.Sex = "A", "12-14", "male"
	delivered := proto.Clone(&base).(*trackingv1.TrackingEvent)
	delivered.EventId, delivered.Milestone, delivered.Member = corridor.NewID("bf-trk-demo-"), "referral_delivered", "BF"
	delivered.At = sent.Add(time.Hour).UnixMicro()
	for _, ev := range []*trackingv1.TrackingEvent{sentEv, delivered} {
		if err := s.publishTracking(ctx, natsEnv, trust, ev); err != nil {
			return "", fmt.Errorf("seed an overdue case: %w", err)
		}
	}
	return caseRef, nil
}

// publishTracking signs ev with its reporting member's key and publishes
// it to that member's OUTBOX for the coordinator, as the member's relay
// does.
func (s *Sandbox) publishTracking(ctx context.Context, natsEnv map[string]natsconf.MemberEnv, trust trustFiles, ev *trackingv1.TrackingEvent) error {
	member := corridor.MemberCode(ev.Member)
	f, err := keyfile.Load(trust.Keys[member])
	if err != nil {
		return err
	}
	key := f.SigningKeys[len(f.SigningKeys)-1]
	priv := ed25519.NewKeyFromSeed(key.PrivateKey)
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
	if err != nil {
		return err
	}
	sig, err := signing.Sign(priv, signing.PurposeTracking, body)
	if err != nil {
		return err
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(&trackingv1.SignedTrackingEvent{
		Event: body, Member: string(member), KeyId: key.ID, Signature: sig})
	if err != nil {
		return err
	}
	env := natsEnv[member.Domain()]
	nkey, err := streams.NkeyOption(s.natsSeedFile(member.Domain(), natsconf.UserRelay))
	if err != nil {
		return err
	}
	nc, err := nats.Connect(natsURL(env.Port), nats.Name("sandbox demo history"), nkey, nats.Timeout(10*time.Second))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	subject, err := streams.OutSubject(member.Domain(), corridor.Coordinator.Domain(), "tracking")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: data}, jetstream.WithMsgID(ev.EventId))
	return err
}
