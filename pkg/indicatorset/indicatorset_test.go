package indicatorset_test

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/indicatorset"
	"github.com/corridor-org/corridor/pkg/signing"
	indicatorsv1 "github.com/corridor-org/corridor/proto/corridor/indicators/v1"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

type keys map[string]ed25519.PublicKey

func (k keys) SigningKey(member corridor.MemberCode, keyID string) (ed25519.PublicKey, error) {
	if pub, ok := k[string(member)+"/"+keyID]; ok {
		return pub, nil
	}
	return nil, fmt.Errorf("no key: %w", signing.ErrUnknownKey)
}

func events(ids ...string) []*trackingv1.TrackingEvent {
	var out []*trackingv1.TrackingEvent
	for _, id := range ids {
		out = append(out, &trackingv1.TrackingEvent{EventId: id, Milestone: "referral_sent", Member: "CI", At: 1})
	}
	return out
}

func TestCompare(t *testing.T) {
	t.Parallel()
	altered := events("b")
	altered[0].Sector = "C"
	other := events("b")
	other[0].Milestone = "handed_over"
	for _, tc := range []struct {
		name           string
		published, own []*trackingv1.TrackingEvent
		want           string
	}{
		{"the same, in another order", events("b", "a", "c"), events("c", "b", "a"), ""},
		{"both empty", nil, nil, ""},
		{"one the member does not have", events("a", "b"), events("b"), "event a is in the published set but not in this member's records"},
		{"one the set lacks", events("a"), events("a", "b"), "event b of this member's records is missing from the published set"},
		{"one altered", append(events("a"), altered...), events("a", "b"), "event b differs"},
		{"first difference first", append(events("a"), altered...), events("b"), "event a is in the published set"},
		{"another milestone", other, events("b"), "event b differs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := indicatorset.Share("CI", tc.published)
			if err != nil {
				t.Fatal(err)
			}
			o, err := indicatorset.Share("CI", tc.own)
			if err != nil {
				t.Fatal(err)
			}
			got := indicatorset.Compare(p, o)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("Compare = %q, want %q", got, tc.want)
			}
		})
	}
	// Counts that disagree with the same events (a set built wrongly) are
	// a difference too.
	p, _ := indicatorset.Share("CI", events("a"))
	o := proto.CloneOf(p)
	o.Milestones[0].Events = 2
	if got := indicatorset.Compare(p, o); !strings.Contains(got, "milestone counts differ") {
		t.Errorf("Compare with other counts = %q", got)
	}
}

func TestSignOpen(t *testing.T) {
	t.Parallel()
	pub, priv, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	_, strangerPriv, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ks := keys{"COORD/coord-sig-1": pub, "CI/coord-sig-1": pub}
	share, err := indicatorset.Share("CI", events("a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	set := &indicatorsv1.IndicatorSet{SetId: "coord-set-1", Corridor: "ci-bf", From: "2026-01-01", To: "2026-04-01", Members: []*indicatorsv1.MemberShare{share}}
	data, err := indicatorset.Sign(set, "coord-sig-1", priv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := indicatorset.Open(ks, data)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, set) || len(indicatorset.ShareOf(got, "CI").GetEvents()) != 2 || len(indicatorset.ShareOf(got, "BF").GetEvents()) != 0 {
		t.Errorf("Open = %v", got)
	}
	forged, err := indicatorset.Sign(set, "coord-sig-1", strangerPriv)
	if err != nil {
		t.Fatal(err)
	}
	var asMember indicatorsv1.SignedIndicatorSet
	if err := proto.Unmarshal(data, &asMember); err != nil {
		t.Fatal(err)
	}
	asMember.Member = "CI"
	byMember, err := proto.MarshalOptions{Deterministic: true}.Marshal(&asMember)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)-70] ^= 1
	for name, bad := range map[string][]byte{
		"forged":             forged,
		"signed by a member": byMember,
		"altered":            flipped,
		"not a set":          []byte("not a set"),
		"not canonical":      append(append([]byte(nil), data...), data[:2]...),
	} {
		if _, err := indicatorset.Open(ks, bad); err == nil {
			t.Errorf("Open(%s) succeeded", name)
		}
	}
}
