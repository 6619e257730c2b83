// Package tracking builds the tracking events a member reports to the
// coordinator from the member's own exchange rows: the relay builds them
// to sign and publish, and a member's statistician rebuilds them to check
// the coordinator's published indicator sets (corridorctl indicators
// verify). One builder, so both give the same event, byte for byte.
package tracking

import (
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/exchange"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

// EventID is the id of the tracking event that member reports for message
// messageID. It is derived, not random, so that publishing the event again
// (after a failure, or a redelivery) is deduplicated by JetStream and by
// the coordinator.
func EventID(member corridor.MemberCode, messageID string) string {
	return member.Domain() + "-trk-" + messageID
}

// FromOutbox is the milestone an outbox row of member marks, for the
// coordinator, or nil when the row carries none. The corridor is left for
// the caller to set from the directory.
func FromOutbox(member corridor.MemberCode, m exchange.OutboxMessage) *trackingv1.TrackingEvent {
	if m.Tracking == nil || m.Tracking.Milestone == "" {
		return nil
	}
	ev := &trackingv1.TrackingEvent{
		EventId:    EventID(member, m.MessageID),
		CaseRef:    m.CaseRef,
		ReferralId: m.ReferralID,
		Milestone:  m.Tracking.Milestone,
		Member:     string(member),
		At:         m.CreatedAt.UnixMicro(),
		Sector:     m.Tracking.Sector,
		AgeBand:    m.Tracking.AgeBand,
		Sex:        m.Tracking.Sex,
		// What joint monitoring measures: codes and one time, nothing that
		// names or places the child.
		ServiceType:        m.Tracking.ServiceType,
		AtHome:             Answer(m.Tracking.AtHome),
		InSchool:           Answer(m.Tracking.InSchool),
		StillWorking:       Answer(m.Tracking.StillWorking),
		AtRisk:             Answer(m.Tracking.AtRisk),
		ClosureReason:      m.Tracking.ClosureReason,
		PreviousReferralId: m.Tracking.PreviousReferralID,
	}
	if !m.Tracking.IdentifiedAt.IsZero() {
		ev.IdentifiedAt = m.Tracking.IdentifiedAt.UnixMicro()
	}
	// Events name the referral's sender and recipient, whichever end
	// reports them; the row says which end this is.
	p := m.ReferralParties(member)
	ev.SenderMember, ev.SenderAgency = string(p.SenderMember), p.SenderAgency
	ev.RecipientMember, ev.RecipientAgency = string(p.RecipientMember), p.RecipientAgency
	return ev
}

// Delivered reports that a referral reached member: the recipient's end of
// referral_sent. at is when it was stored.
func Delivered(member corridor.MemberCode, in exchange.InboxMessage, at time.Time) *trackingv1.TrackingEvent {
	return &trackingv1.TrackingEvent{
		EventId:         EventID(member, in.MessageID),
		CaseRef:         in.CaseRef,
		ReferralId:      in.ReferralID,
		Milestone:       string(cases.MilestoneReferralDelivered),
		Member:          string(member),
		SenderMember:    string(in.SenderMember),
		SenderAgency:    in.SenderAgency,
		RecipientMember: string(member),
		RecipientAgency: in.RecipientAgency,
		At:              at.UnixMicro(),
	}
}

// Reported rebuilds every tracking event of rep, what member reported, in
// corridor corridorID: the events the coordinator holds of member's, as
// member signed them.
func Reported(member corridor.MemberCode, corridorID string, rep exchange.Reported) []*trackingv1.TrackingEvent {
	var out []*trackingv1.TrackingEvent
	for _, m := range rep.Outbox {
		if ev := FromOutbox(member, m); ev != nil {
			ev.Corridor = corridorID
			out = append(out, ev)
		}
	}
	for _, in := range rep.Inbox {
		ev := Delivered(member, in, in.ReceivedAt)
		ev.Corridor = corridorID
		out = append(out, ev)
	}
	return out
}

// Answer maps a tracking row's "yes", "no" or "unknown" (pkg/exchange
// validated it) to the event's enum; "" is unspecified.
func Answer(s string) trackingv1.Answer {
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
