package relay

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/streams"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

// publishLoop drains the outbox: woken by the outbox notification, and by
// a poll, since notifications are lost while the listener reconnects.
func (r *Relay) publishLoop(ctx context.Context) {
	wake := exchange.Listen(ctx, r.cfg.Pool, exchange.ChannelOutbox, r.logger)
	poll := time.NewTicker(r.cfg.PollInterval)
	defer poll.Stop()
	for {
		for {
			n, err := r.PublishPending(ctx)
			if err != nil && ctx.Err() == nil {
				r.logger.WarnContext(ctx, "publishing the outbox failed", "error", err)
			}
			// A full batch means there may be more right now.
			if err != nil || n < r.cfg.BatchSize {
				break
			}
		}
		select {
		case <-ctx.Done():
			<-wake.Done()
			return
		case <-wake.C:
		case <-poll.C:
		}
	}
}

// PublishPending claims one batch of due outbox messages and publishes
// them together; it returns how many it claimed. The batch is sealed in
// parallel, published without waiting for each acknowledgement in turn,
// and marked published in one statement once every acknowledgement is in.
// Messages that fail are scheduled again with a growing delay, each on its
// own, not reported as an error: the error is the claim's own.
func (r *Relay) PublishPending(ctx context.Context) (int, error) {
	msgs, err := exchange.ClaimUnpublished(ctx, r.cfg.Pool, r.cfg.BatchSize, r.cfg.ClaimLease)
	if err != nil {
		return 0, fmt.Errorf("publish pending: %w", err)
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	// A milestone row is for the coordinator only: its tracking event is
	// all there is to publish.
	var toSend []int
	for i, m := range msgs {
		if m.MessageType != exchange.TypeMilestone {
			toSend = append(toSend, i)
		}
	}
	errs := make([]error, len(msgs))
	sendErrs := r.sendBatch(ctx, pick(msgs, toSend))
	for k, i := range toSend {
		errs[i] = sendErrs[k]
	}
	// The tracking events go after their messages are in the stream and
	// before the rows are marked published: if one fails, its whole
	// message is published again, and both publishes are deduplicated by
	// their message ids.
	events := make([]*trackingv1.TrackingEvent, len(msgs))
	for i, m := range msgs {
		if errs[i] == nil {
			events[i] = r.trackingEvent(m)
		}
	}
	for i, err := range r.sendTrackingBatch(ctx, events) {
		if errs[i] == nil {
			errs[i] = err
		}
	}
	var published []string
	for i, m := range msgs {
		if errs[i] == nil {
			published = append(published, m.MessageID)
		}
	}
	if _, err := exchange.MarkPublishedBatch(ctx, r.cfg.Pool, published); err != nil {
		for i := range msgs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	for i, m := range msgs {
		log := r.logger.With("message_id", m.MessageID, "message_type", string(m.MessageType),
			"recipient_member", string(m.RecipientMember), "attempt", m.PublishAttempts)
		if errs[i] == nil {
			r.metrics.published.WithLabelValues(string(m.MessageType)).Inc()
			log.InfoContext(ctx, "message published")
			continue
		}
		r.publishFailed(ctx, log, m, errs[i])
	}
	return len(msgs), nil
}

// publishFailed schedules m to be published again after a growing delay.
func (r *Relay) publishFailed(ctx context.Context, log *slog.Logger, m exchange.OutboxMessage, err error) {
	if ctx.Err() != nil {
		// The lease lets another relay, or this one restarted, take it.
		return
	}
	retry := backoff(r.cfg.RetryBase, r.cfg.RetryMax, m.PublishAttempts)
	r.metrics.publishFailures.Inc()
	log.WarnContext(ctx, "publishing a message failed", "retry_in", retry, "error", err)
	markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.PublishTimeout)
	defer cancel()
	// Every error on the publishing path names ids, codes and subjects
	// only, never payload, so operators may read it.
	if err := exchange.MarkPublishFailed(markCtx, r.cfg.Pool, m.MessageID, err.Error(), time.Now().Add(retry)); err != nil {
		// The claim's lease runs out and the message is claimed again.
		log.ErrorContext(ctx, "recording a publish failure failed", "error", err)
	}
}

// resendLoop re-sends messages that have no receipt yet.
func (r *Relay) resendLoop(ctx context.Context) {
	tick := time.NewTicker(r.cfg.ResendInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for {
			n, err := r.ResendDue(ctx)
			if err != nil && ctx.Err() == nil {
				r.logger.WarnContext(ctx, "re-sending failed", "error", err)
			}
			if err != nil || n < r.cfg.BatchSize {
				break
			}
		}
	}
}

// ResendDue re-seals and re-publishes one batch of messages whose receipt
// is overdue, and returns how many it claimed. A re-send is the same
// message: the same envelope message id, which the recipient's inbox
// recognises and answers with the same receipt, and the same Nats-Msg-Id
// as the first sending, so that while OUTBOX still holds a copy for the
// peer to source (its dedupe window) the re-send adds none: a long outage
// leaves at most one copy per window, not one per attempt. It is sealed
// afresh (the recipient's current key, a sent_at inside the recipient's
// window).
func (r *Relay) ResendDue(ctx context.Context) (int, error) {
	msgs, err := exchange.DueForResend(ctx, r.cfg.Pool, r.cfg.ResendAfter, r.cfg.ResendMax, r.cfg.BatchSize)
	if err != nil {
		return 0, fmt.Errorf("resend due messages: %w", err)
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	for i, err := range r.sendBatch(ctx, msgs) {
		m := msgs[i]
		log := r.logger.With("message_id", m.MessageID, "message_type", string(m.MessageType),
			"recipient_member", string(m.RecipientMember), "attempt", m.PublishAttempts)
		if err != nil {
			// The message stays published without a receipt, so it is due
			// again after the next, longer wait.
			log.WarnContext(ctx, "re-sending a message failed", "error", err)
			continue
		}
		r.metrics.resent.Inc()
		log.InfoContext(ctx, "message re-sent: no receipt yet")
	}
	return len(msgs), nil
}

// sendBatch seals msgs for their recipients, in parallel, records the
// digests of the envelopes in one statement, and publishes them, each with
// the Nats-Msg-Id of its message id. It returns each message's error.
func (r *Relay) sendBatch(ctx context.Context, msgs []exchange.OutboxMessage) []error {
	if len(msgs) == 0 {
		return nil
	}
	dir, err := r.cfg.Directory.Current(ctx)
	if err != nil {
		return errorsFor(len(msgs), err)
	}
	now := time.Now()
	outs := make([]*outgoing, len(msgs))
	errs := make([]error, len(msgs))
	parallel(len(msgs), func(i int) {
		outs[i], errs[i] = r.sealOutgoing(dir, msgs[i], now)
	})
	var ids []string
	var digests [][]byte
	for i, o := range outs {
		if errs[i] == nil {
			sum := sha256.Sum256(o.data)
			ids, digests = append(ids, msgs[i].MessageID), append(digests, sum[:])
		}
	}
	// Recorded before publishing: a receipt names the digest it answers.
	if err := recordSent(ctx, r.cfg.Pool, ids, digests); err != nil {
		return errorsFor(len(msgs), err)
	}
	for i, err := range r.publishAll(ctx, outs) {
		if errs[i] == nil {
			errs[i] = err
		}
	}
	return errs
}

// pick returns msgs[i] for i in which.
func pick(msgs []exchange.OutboxMessage, which []int) []exchange.OutboxMessage {
	out := make([]exchange.OutboxMessage, len(which))
	for k, i := range which {
		out[k] = msgs[i]
	}
	return out
}

// sealOutgoing seals m and addresses it; nil with the error when it cannot.
func (r *Relay) sealOutgoing(dir *directory.Directory, m exchange.OutboxMessage, now time.Time) (*outgoing, error) {
	msgID, err := streams.MsgID(r.domain, m.MessageID)
	if err != nil {
		return nil, err
	}
	subject, err := streams.OutSubject(r.domain, m.RecipientMember.Domain(), string(m.MessageType))
	if err != nil {
		return nil, fmt.Errorf("build subject: %w", err)
	}
	data, err := r.seal(dir, m, now)
	if err != nil {
		return nil, err
	}
	return &outgoing{subject: subject, msgID: msgID, data: data}, nil
}

// seal builds m's envelope: the header from the row and the directory, the
// recipient's current encryption key, our current signing key.
func (r *Relay) seal(dir *directory.Directory, m exchange.OutboxMessage, now time.Time) ([]byte, error) {
	encKey, err := dir.CurrentEncryptionKey(m.RecipientMember, now)
	if err != nil {
		return nil, fmt.Errorf("find recipient key: %w", err)
	}
	signer, err := r.signer(dir, now)
	if err != nil {
		return nil, err
	}
	h := envelope.Header{
		MessageID:       m.MessageID,
		Corridor:        dir.Corridor,
		SenderMember:    r.me,
		SenderAgency:    m.SenderAgency,
		RecipientMember: m.RecipientMember,
		RecipientAgency: m.RecipientAgency,
		MessageType:     string(m.MessageType),
		CaseRef:         m.CaseRef,
		ReferralID:      m.ReferralID,
		SentAt:          now,
	}
	data, err := envelope.Seal(h, m.Payload, envelope.EncryptionKey{ID: encKey.ID, Public: encKey.PublicKey}, signer)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return data, nil
}

// signer returns the private half of the signing key the directory lists
// as ours now: a key peers cannot look up would make every message fail.
func (r *Relay) signer(dir *directory.Directory, now time.Time) (envelope.SigningKey, error) {
	cur, err := dir.CurrentSigningKey(r.me, now)
	if err != nil {
		return envelope.SigningKey{}, fmt.Errorf("find own signing key: %w", err)
	}
	for _, k := range r.cfg.Keys.Signing {
		if k.ID == cur.ID {
			return k, nil
		}
	}
	return envelope.SigningKey{}, corridor.Errorf(corridor.KindUnavailable,
		"the directory's current signing key %q of %s is not in the relay's key file", cur.ID, r.me)
}
