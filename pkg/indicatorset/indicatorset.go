// Package indicatorset signs, opens and checks the coordinator's published
// indicator sets (proto/corridor/indicators/v1): the figures, and per
// member the digests of the tracking events they were computed from. The
// coordinator builds each member's share from the events it stored; a
// member builds its own from its records (pkg/tracking) and compares the
// two with Compare. It links no type that carries personal data.
package indicatorset

import (
	"cmp"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/canonical"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/signing"
	indicatorsv1 "github.com/corridor-org/corridor/proto/corridor/indicators/v1"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

// Sign encodes set canonically and signs it as the coordinator with its
// key keyID; it returns the serialized SignedIndicatorSet.
func Sign(set *indicatorsv1.IndicatorSet, keyID string, priv ed25519.PrivateKey) ([]byte, error) {
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encode indicator set: %w", err)
	}
	sig, err := signing.Sign(priv, signing.PurposeIndicators, body)
	if err != nil {
		return nil, fmt.Errorf("sign indicator set: %w", err)
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(&indicatorsv1.SignedIndicatorSet{
		Set: body, Member: string(corridor.Coordinator), KeyId: keyID, Signature: sig,
	})
	if err != nil {
		return nil, fmt.Errorf("encode signed indicator set: %w", err)
	}
	return data, nil
}

// Open checks that data is a canonical SignedIndicatorSet signed by the
// coordinator with a key of keys (the directory), and returns the set.
func Open(keys signing.PublicKeys, data []byte) (*indicatorsv1.IndicatorSet, error) {
	var signed indicatorsv1.SignedIndicatorSet
	if err := proto.Unmarshal(data, &signed); err != nil {
		return nil, fmt.Errorf("open indicator set: parse: %w", err)
	}
	if err := canonical.Check(data, &signed); err != nil {
		return nil, fmt.Errorf("open indicator set: %w", err)
	}
	if signed.GetMember() != string(corridor.Coordinator) {
		return nil, fmt.Errorf("open indicator set: signed by %q, not the coordinator", signed.GetMember())
	}
	if err := signing.VerifyFrom(keys, corridor.Coordinator, signed.GetKeyId(), signing.PurposeIndicators,
		signed.GetSet(), signed.GetSignature()); err != nil {
		return nil, fmt.Errorf("open indicator set: %w", err)
	}
	var set indicatorsv1.IndicatorSet
	if err := proto.Unmarshal(signed.GetSet(), &set); err != nil {
		return nil, fmt.Errorf("open indicator set: parse set: %w", err)
	}
	if err := canonical.Check(signed.GetSet(), &set); err != nil {
		return nil, fmt.Errorf("open indicator set: %w", err)
	}
	return &set, nil
}

// Share is member's share of a set: its events, each by id with the digest
// of its canonical encoding, ordered by id, and how many mark each
// milestone.
func Share(member corridor.MemberCode, events []*trackingv1.TrackingEvent) (*indicatorsv1.MemberShare, error) {
	share := &indicatorsv1.MemberShare{Member: string(member)}
	milestones := map[string]int64{}
	for _, ev := range events {
		sum, err := canonical.Digest(ev)
		if err != nil {
			return nil, fmt.Errorf("digest event %s: %w", ev.GetEventId(), err)
		}
		share.Events = append(share.Events, &indicatorsv1.CoveredEvent{EventId: ev.GetEventId(), Digest: sum[:]})
		milestones[ev.GetMilestone()]++
	}
	slices.SortFunc(share.Events, func(a, b *indicatorsv1.CoveredEvent) int { return cmp.Compare(a.GetEventId(), b.GetEventId()) })
	for _, m := range slices.Sorted(maps.Keys(milestones)) {
		share.Milestones = append(share.Milestones, &indicatorsv1.MilestoneCount{Milestone: m, Events: milestones[m]})
	}
	return share, nil
}

// ShareOf returns member's share in set; a member without events in the
// set has an empty share.
func ShareOf(set *indicatorsv1.IndicatorSet, member corridor.MemberCode) *indicatorsv1.MemberShare {
	for _, s := range set.GetMembers() {
		if s.GetMember() == string(member) {
			return s
		}
	}
	return &indicatorsv1.MemberShare{Member: string(member)}
}

// Compare returns "" when published, a member's share as the set lists
// it, agrees with own, the share the member computed from its records;
// otherwise the first difference, in event id order, in words.
func Compare(published, own *indicatorsv1.MemberShare) string {
	p, o := published.GetEvents(), own.GetEvents()
	i, j := 0, 0
	for i < len(p) || j < len(o) {
		switch {
		case j == len(o) || i < len(p) && p[i].GetEventId() < o[j].GetEventId():
			return fmt.Sprintf("event %s is in the published set but not in this member's records", p[i].GetEventId())
		case i == len(p) || o[j].GetEventId() < p[i].GetEventId():
			return fmt.Sprintf("event %s of this member's records is missing from the published set", o[j].GetEventId())
		case !slices.Equal(p[i].GetDigest(), o[j].GetDigest()):
			return fmt.Sprintf("event %s differs: published digest %s, this member's %s", p[i].GetEventId(),
				hex.EncodeToString(p[i].GetDigest()), hex.EncodeToString(o[j].GetDigest()))
		}
		i++
		j++
	}
	pm, om := published.GetMilestones(), own.GetMilestones()
	for k := range max(len(pm), len(om)) {
		if k >= len(pm) || k >= len(om) || !proto.Equal(pm[k], om[k]) {
			return fmt.Sprintf("milestone counts differ: published %v, this member's %v", pm, om)
		}
	}
	return ""
}
