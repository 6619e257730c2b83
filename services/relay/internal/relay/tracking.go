package relay

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/signing"
	"github.com/corridor-org/corridor/pkg/streams"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

// TrackingType is the message type token of tracking events on subjects.
const TrackingType = "tracking"

// trackingEventID is the id of the tracking event that member reports for
// message messageID. It is derived, not random, so that publishing the
// event again (after a failure, or a redelivery) is deduplicated by JetStream
// and by the coordinator.
func trackingEventID(domain, messageID string) string {
	return domain + "-trk-" + messageID
}

// trackingEvent is the milestone an outbox message marks, for the
// coordinator, or nil when its row carries none.
func (r *Relay) trackingEvent(m exchange.OutboxMessage) *trackingv1.TrackingEvent {
	if m.Tracking == nil || m.Tracking.Milestone == "" {
		return nil
	}
	ev := &trackingv1.TrackingEvent{
		EventId:    trackingEventID(r.domain, m.MessageID),
		CaseRef:    m.CaseRef,
		ReferralId: m.ReferralID,
		Milestone:  m.Tracking.Milestone,
		Member:     string(r.me),
		At:         m.CreatedAt.UnixMicro(),
		Sector:     m.Tracking.Sector,
		AgeBand:    m.Tracking.AgeBand,
		Sex:        m.Tracking.Sex,
		// What joint monitoring measures: codes and one time, nothing that
		// names or places the child.
		ServiceType:        m.Tracking.ServiceType,
		AtHome:             answer(m.Tracking.AtHome),
		InSchool:           answer(m.Tracking.InSchool),
		StillWorking:       answer(m.Tracking.StillWorking),
		AtRisk:             answer(m.Tracking.AtRisk),
		ClosureReason:      m.Tracking.ClosureReason,
		PreviousReferralId: m.Tracking.PreviousReferralID,
	}
	if !m.Tracking.IdentifiedAt.IsZero() {
		ev.IdentifiedAt = m.Tracking.IdentifiedAt.UnixMicro()
	}
	// Events name the referral's sender and recipient, whichever end
	// reports them; the row says which end this is.
	p := m.ReferralParties(r.me)
	ev.SenderMember, ev.SenderAgency = string(p.SenderMember), p.SenderAgency
	ev.RecipientMember, ev.RecipientAgency = string(p.RecipientMember), p.RecipientAgency
	return ev
}

// answer maps a tracking row's "yes", "no" or "unknown" (pkg/exchange
// validated it) to the event's enum; "" is unspecified.
func answer(s string) trackingv1.Answer {
	switch s {
	case "yes":
		return trackingv1.Answer_ANSWER_YES
	case "no":
		return trackingv1.Answer_ANSWER_NO
	case "unknown":
		return trackingv1.Answer_ANSWER_UNKNOWN
	}
	return trackingv1.Answer_ANSWER_UNSPECIFIED
}

// deliveredEvent reports that a referral reached this member: the
// recipient's end of referral_sent. at is when it was stored.
func (r *Relay) deliveredEvent(in exchange.InboxMessage, at time.Time) *trackingv1.TrackingEvent {
	return &trackingv1.TrackingEvent{
		EventId:         trackingEventID(r.domain, in.MessageID),
		CaseRef:         in.CaseRef,
		ReferralId:      in.ReferralID,
		Milestone:       string(cases.MilestoneReferralDelivered),
		Member:          string(r.me),
		SenderMember:    string(in.SenderMember),
		SenderAgency:    in.SenderAgency,
		RecipientMember: string(r.me),
		RecipientAgency: in.RecipientAgency,
		At:              at.UnixMicro(),
	}
}

// sendTrackingBatch signs the non-nil events and publishes them together to
// the coordinator's slice of our OUTBOX, and returns each one's error. A
// corridor without a coordinator gets no events.
func (r *Relay) sendTrackingBatch(ctx context.Context, events []*trackingv1.TrackingEvent) []error {
	errs := make([]error, len(events))
	if r.me == corridor.Coordinator || !slices.ContainsFunc(events, func(ev *trackingv1.TrackingEvent) bool { return ev != nil }) {
		return errs
	}
	dir, err := r.cfg.Directory.Current(ctx)
	if err != nil {
		return errorsFor(len(events), err)
	}
	if _, err := dir.Member(corridor.Coordinator); err != nil {
		return errs
	}
	subject, err := streams.OutSubject(r.domain, corridor.Coordinator.Domain(), TrackingType)
	if err != nil {
		return errorsFor(len(events), fmt.Errorf("build tracking subject: %w", err))
	}
	now := time.Now()
	outs := make([]*outgoing, len(events))
	for i, ev := range events {
		if ev == nil {
			continue
		}
		ev.Corridor = dir.Corridor
		data, err := r.signTracking(dir, ev, now)
		if err != nil {
			errs[i] = err
			continue
		}
		msgID, err := derivedMsgID(r.domain, "", ev.GetEventId())
		if err != nil {
			errs[i] = fmt.Errorf("build tracking message id: %w", err)
			continue
		}
		outs[i] = &outgoing{subject: subject, msgID: msgID, data: data}
	}
	for i, err := range r.publishAll(ctx, outs) {
		switch {
		case outs[i] == nil:
		case err != nil:
			errs[i] = fmt.Errorf("publish tracking event: %w", err)
		default:
			r.metrics.tracking.WithLabelValues(milestoneLabel(events[i].GetMilestone())).Inc()
		}
	}
	return errs
}

// signTracking serializes ev and signs the bytes as carried.
func (r *Relay) signTracking(dir *directory.Directory, ev *trackingv1.TrackingEvent, now time.Time) ([]byte, error) {
	signer, err := r.signer(dir, now)
	if err != nil {
		return nil, err
	}
	return SignTracking(ev, r.me, signer.ID, signer.Private)
}

// SignTracking serializes ev, signs it for member with the key keyID, and
// returns the serialized SignedTrackingEvent.
func SignTracking(ev *trackingv1.TrackingEvent, member corridor.MemberCode, keyID string, priv ed25519.PrivateKey) ([]byte, error) {
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("marshal tracking event: %w", err)
	}
	sig, err := signing.Sign(priv, signing.PurposeTracking, body)
	if err != nil {
		return nil, fmt.Errorf("sign tracking event: %w", err)
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(&trackingv1.SignedTrackingEvent{
		Event:     body,
		Member:    string(member),
		KeyId:     keyID,
		Signature: sig,
	})
	if err != nil {
		return nil, fmt.Errorf("marshal signed tracking event: %w", err)
	}
	return data, nil
}

// milestoneLabel bounds the metric label to the known milestones.
func milestoneLabel(m string) string {
	if slices.Contains(cases.Milestones(), cases.Milestone(m)) {
		return m
	}
	return "other"
}
