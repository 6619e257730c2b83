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
	"github.com/corridor-org/corridor/pkg/tracking"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

// TrackingType is the message type token of tracking events on subjects.
const TrackingType = "tracking"

// trackingEvent is the milestone an outbox message marks, for the
// coordinator, or nil when its row carries none.
func (r *Relay) trackingEvent(m exchange.OutboxMessage) *trackingv1.TrackingEvent {
	return tracking.FromOutbox(r.me, m)
}

// deliveredEvent reports that a referral reached this member: the
// recipient's end of referral_sent. at is when it was stored.
func (r *Relay) deliveredEvent(in exchange.InboxMessage, at time.Time) *trackingv1.TrackingEvent {
	return tracking.Delivered(r.me, in, at)
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
