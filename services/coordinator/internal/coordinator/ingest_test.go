package coordinator_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/signing"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// TestIngest hands events straight to the coordinator's handler: a valid
// event is stored once; each broken, forged or personal-data-bearing one is
// refused with its reason and stores nothing.
func TestIngest(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	n := w.startCoordinator(t, false)
	now := time.Now()
	rogue := newSigner(t, ci) // a CI key the directory does not list
	rogue.keyID = w.signers[ci].keyID
	stranger := newSigner(t, "GH") // not a member

	tests := []struct {
		name   string
		from   string
		data   func() []byte
		reason coordinator.Reason // "" means stored
	}{
		{"valid", "ci", func() []byte { return w.signers[ci].sign(t, event(now)) }, ""},
		{"valid, reported by the recipient", "bf", func() []byte {
			ev := event(now)
			ev.Member, ev.Milestone, ev.EventId = "BF", "referral_delivered", "bf-trk-x"+corridor.NewID("")
			return w.signers[bf].sign(t, ev)
		}, ""},
		{"valid without coarse attributes", "ci", func() []byte {
			ev := event(now)
			ev.Sector, ev.AgeBand, ev.Sex = "", "", ""
			return w.signers[ci].sign(t, ev)
		}, ""},
		{"signature by another key under the listed id", "ci", func() []byte { return rogue.sign(t, event(now)) }, coordinator.ReasonBadSignature},
		{"signature byte flipped", "ci", func() []byte {
			return editSigned(t, w.signers[ci].sign(t, event(now)), func(s *trackingv1.SignedTrackingEvent) { s.Signature[3] ^= 1 })
		}, coordinator.ReasonBadSignature},
		{"event altered after signing", "ci", func() []byte {
			return editSigned(t, w.signers[ci].sign(t, event(now)), func(s *trackingv1.SignedTrackingEvent) {
				var ev trackingv1.TrackingEvent
				if err := proto.Unmarshal(s.Event, &ev); err != nil {
					t.Fatal(err)
				}
				ev.Milestone = "case_closed"
				s.Event, _ = proto.Marshal(&ev)
			})
		}, coordinator.ReasonBadSignature},
		{"key id the directory does not list", "ci", func() []byte {
			return editSigned(t, w.signers[ci].sign(t, event(now)), func(s *trackingv1.SignedTrackingEvent) { s.KeyId = "ci-sig-unknown" })
		}, coordinator.ReasonUnknownKey},
		{"signer not a member", "ci", func() []byte {
			ev := event(now)
			ev.Member = "GH"
			return stranger.sign(t, ev)
		}, coordinator.ReasonUnknownSender},
		{"signed by CI, arrived from BF", "bf", func() []byte { return w.signers[ci].sign(t, event(now)) }, coordinator.ReasonRouteMismatch},
		{"signed by CI, reported as BF's", "ci", func() []byte {
			ev := event(now)
			ev.Member = "BF"
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonRouteMismatch},
		{"unknown milestone", "ci", func() []byte {
			ev := event(now)
			ev.Milestone = "rescued"
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"a name where a case reference goes", "ci", func() []byte {
			ev := event(now)
			ev.CaseRef = "Awa Zongo"
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"sector that is not an ISIC section", "ci", func() []byte {
			ev := event(now)
			ev.Sector = "cocoa farm near Soubré"
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"exact age instead of a band", "ci", func() []byte {
			ev := event(now)
			ev.AgeBand = "12"
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"unknown sex code", "ci", func() []byte {
			ev := event(now)
			ev.Sex = "F"
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"agency not in the directory", "ci", func() []byte {
			ev := event(now)
			ev.RecipientAgency = "BF-NOPE"
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"reporter neither sender nor recipient", "coord", func() []byte {
			ev := event(now)
			ev.Member = "COORD"
			return w.signers[coord].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"another corridor", "ci", func() []byte {
			ev := event(now)
			ev.Corridor = "mm-th"
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"in the future", "ci", func() []byte { return w.signers[ci].sign(t, event(now.Add(48*time.Hour))) }, coordinator.ReasonInvalid},
		{"no time", "ci", func() []byte {
			ev := event(now)
			ev.At = 0
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"valid with every monitoring attribute", "ci", func() []byte {
			ev := event(now)
			ev.IdentifiedAt = now.Add(-72 * time.Hour).UnixMicro()
			ev.ServiceType, ev.ClosureReason, ev.PreviousReferralId = "education", "reunified", "ref-earlier"
			ev.AtHome, ev.InSchool = trackingv1.Answer_ANSWER_YES, trackingv1.Answer_ANSWER_NO
			ev.StillWorking, ev.AtRisk = trackingv1.Answer_ANSWER_UNKNOWN, trackingv1.Answer_ANSWER_NO
			return w.signers[ci].sign(t, ev)
		}, ""},
		{"service described instead of its type", "ci", func() []byte {
			ev := event(now)
			ev.ServiceType = "tutoring with Awa's teacher"
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"service type not on the list", "ci", func() []byte {
			ev := event(now)
			ev.ServiceType = "counselling"
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"closure reason in words", "ci", func() []byte {
			ev := event(now)
			ev.ClosureReason = "Back with Awa's aunt in Soubré"
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"follow-up flag outside the enum", "ci", func() []byte {
			ev := event(now)
			ev.InSchool = trackingv1.Answer(7)
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"previous referral a name", "ci", func() []byte {
			ev := event(now)
			ev.PreviousReferralId = "Awa Zongo"
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"previous referral itself", "ci", func() []byte {
			ev := event(now)
			ev.PreviousReferralId = ev.ReferralId
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"identified after the referral", "ci", func() []byte {
			ev := event(now)
			ev.IdentifiedAt = now.Add(time.Hour).UnixMicro()
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"identified before 1970", "ci", func() []byte {
			ev := event(now)
			ev.IdentifiedAt = -5
			return w.signers[ci].sign(t, ev)
		}, coordinator.ReasonInvalid},
		{"garbage", "ci", func() []byte { return []byte{0xff, 0xff, 0xff} }, coordinator.ReasonMalformed},
		{"signed garbage", "ci", func() []byte {
			return editSigned(t, w.signers[ci].sign(t, event(now)), func(s *trackingv1.SignedTrackingEvent) {
				s.Event = []byte{0xff, 0xff}
				s.Signature, _ = signingSign(w.signers[ci], s.Event)
			})
		}, coordinator.ReasonMalformed},
		{"too large", "ci", func() []byte { return make([]byte, coordinator.MaxEventSize+1) }, coordinator.ReasonTooLarge},
		{"signed event not canonical", "ci", func() []byte {
			// The key id once more at the end: the same signed event, other bytes.
			data := w.signers[ci].sign(t, event(now))
			var s trackingv1.SignedTrackingEvent
			if err := proto.Unmarshal(data, &s); err != nil {
				t.Fatal(err)
			}
			return protowire.AppendString(protowire.AppendTag(data, 3, protowire.BytesType), s.GetKeyId())
		}, coordinator.ReasonMalformed},
		{"event not canonical", "ci", func() []byte {
			return editSigned(t, w.signers[ci].sign(t, event(now)), func(s *trackingv1.SignedTrackingEvent) {
				s.Event = protowire.AppendString(protowire.AppendTag(s.Event, 5, protowire.BytesType), "referral_sent")
				s.Signature, _ = signingSign(w.signers[ci], s.Event)
			})
		}, coordinator.ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := count(t, n.pool, `SELECT count(*) FROM tracking_events`)
			inserted, err := n.c.Ingest(t.Context(), tc.from, tc.data())
			after := count(t, n.pool, `SELECT count(*) FROM tracking_events`)
			if tc.reason == "" {
				if err != nil || !inserted || after != before+1 {
					t.Fatalf("Ingest = %v, %v; rows %d -> %d", inserted, err, before, after)
				}
				return
			}
			var rej *coordinator.Rejection
			if !errors.As(err, &rej) {
				t.Fatalf("Ingest error = %v, want a rejection (%s)", err, tc.reason)
			}
			if rej.Reason != tc.reason {
				t.Errorf("reason = %s (%v), want %s", rej.Reason, rej.Err, tc.reason)
			}
			if after != before {
				t.Errorf("a refused event was stored")
			}
			for _, personal := range []string{"Awa", "Soubré"} {
				if strings.Contains(rej.Error(), personal) {
					t.Errorf("the error repeats the refused value: %v", rej)
				}
			}
		})
	}

	t.Run("duplicate", func(t *testing.T) {
		data := w.signers[ci].sign(t, event(now))
		for i, want := range []bool{true, false} {
			inserted, err := n.c.Ingest(t.Context(), "ci", data)
			if err != nil || inserted != want {
				t.Fatalf("delivery %d: Ingest = %v, %v; want %v", i+1, inserted, err, want)
			}
		}
	})

	t.Run("directory unavailable", func(t *testing.T) {
		n.source.fail.Store(true)
		defer n.source.fail.Store(false)
		_, err := n.c.Ingest(t.Context(), "ci", w.signers[ci].sign(t, event(now)))
		var rej *coordinator.Rejection
		if err == nil || errors.As(err, &rej) {
			t.Errorf("Ingest = %v, want a transient error", err)
		}
	})
}

func signingSign(s signer, body []byte) ([]byte, error) {
	return signing.Sign(s.priv, signing.PurposeTracking, body)
}

func editSigned(t *testing.T, data []byte, change func(*trackingv1.SignedTrackingEvent)) []byte {
	t.Helper()
	var s trackingv1.SignedTrackingEvent
	if err := proto.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	change(&s)
	out, err := proto.Marshal(&s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
