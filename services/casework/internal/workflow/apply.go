package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/services/casework/internal/codec"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
	"github.com/corridor-org/corridor/services/casework/internal/store"
)

// applyBatch is how many messages one transaction applies: enough to catch
// up quickly after an outage, few enough to keep locks short.
const applyBatch = 50

// rejection is why a message cannot be applied: a fault of the message (or
// of its order), not of this service. Its reason is stored with the
// message and shown to supervisors, so it names ids, types and statuses
// only, never personal data.
type rejection struct{ reason string }

func (r *rejection) Error() string { return r.reason }

func reject(format string, args ...any) error {
	return &rejection{reason: fmt.Sprintf(format, args...)}
}

// rejectRule turns an error of pkg/cases into a rejection; its messages
// name events and statuses only.
func rejectRule(err error) error {
	var ce *corridor.Error
	if errors.As(err, &ce) {
		msg := ce.Message
		if ce.Err != nil {
			msg = ce.Err.Error()
		}
		return reject("%s", msg)
	}
	return err
}

// internalReason is stored for a failure that was not the message's fault;
// the cause is in the log, under the message id.
const internalReason = "casework could not apply the message (an internal error, logged under this message id)"

// ApplyInbox applies the inbox messages that are due, one batch, and
// reports how many it handled. A message that cannot be applied is marked
// failed with its reason and stays in the inbox (exchange retries it later
// and lists it for supervisors); it never blocks the messages after it.
func (s *Service) ApplyInbox(ctx context.Context) (int, error) {
	var n int
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		n = 0
		msgs, err := exchange.ClaimInbox(ctx, tx, applyBatch)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if err := s.applyInSavepoint(ctx, tx, m); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("apply inbox: %w", err)
	}
	return n, nil
}

// applyInSavepoint applies m inside a savepoint and marks it applied, or
// rolls the savepoint back and marks it failed. Only an error of the
// transaction itself is returned.
func (s *Service) applyInSavepoint(ctx context.Context, tx pgx.Tx, m exchange.InboxMessage) error {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin savepoint: %w", err)
	}
	applyErr := s.applyRecovered(ctx, sp, m)
	if applyErr == nil {
		if err := sp.Commit(ctx); err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
		if err := exchange.MarkApplied(ctx, tx, m.MessageID); err != nil {
			return err
		}
		s.metrics.applied.WithLabelValues(string(m.MessageType)).Inc()
		return nil
	}
	if err := sp.Rollback(ctx); err != nil {
		return errors.Join(fmt.Errorf("roll back savepoint: %w", err), applyErr)
	}
	reason := internalReason
	var rej *rejection
	if errors.As(applyErr, &rej) {
		reason = rej.reason
		s.logger.LogAttrs(ctx, slog.LevelWarn, "inbox message rejected",
			slog.String("message_id", m.MessageID), slog.String("message_type", string(m.MessageType)),
			slog.String("referral_id", m.ReferralID), slog.String("reason", reason))
	} else {
		s.logger.LogAttrs(ctx, slog.LevelError, "inbox message failed",
			slog.String("message_id", m.MessageID), slog.String("message_type", string(m.MessageType)),
			slog.String("referral_id", m.ReferralID), slog.String("error", applyErr.Error()))
	}
	if err := exchange.MarkApplyFailed(ctx, tx, m.MessageID, reason); err != nil {
		return err
	}
	s.metrics.failed.WithLabelValues(string(m.MessageType)).Inc()
	return nil
}

// applyRecovered is applyOne with a panic turned into an error: a message
// that crashed the applier would crash casework again at every pass, and
// would never be marked failed, let alone given up on.
func (s *Service) applyRecovered(ctx context.Context, tx pgx.Tx, m exchange.InboxMessage) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("apply inbox message: %w", corridor.PanicError(v))
			s.logger.LogAttrs(ctx, slog.LevelError, "applying an inbox message panicked",
				slog.String("message_id", m.MessageID), slog.String("stack", string(debug.Stack())))
		}
	}()
	return s.applyOne(ctx, tx, m)
}

// applyOne applies one message. A message already in a referral's history
// was applied before (its row was offered again): it changes nothing.
func (s *Service) applyOne(ctx context.Context, tx pgx.Tx, m exchange.InboxMessage) error {
	seen, err := store.MessageApplied(ctx, tx, m.MessageID)
	if err != nil {
		return err
	}
	if seen {
		return nil
	}
	if m.MessageType == exchange.TypeReferral {
		return s.applyReferral(ctx, tx, m)
	}
	return s.applyEvent(ctx, tx, m)
}

// applyReferral stores a referral sent to one of this country's agencies:
// the sender's send, then this side's deliver, in one step.
func (s *Service) applyReferral(ctx context.Context, tx pgx.Tx, m exchange.InboxMessage) error {
	d, rt, err := codec.DecodeReferral(m.Payload)
	if err != nil {
		return reject("payload is not a valid referral message (no referral id, case reference or routing, or not a referral at all)")
	}
	switch {
	case rt.ReferralID != m.ReferralID:
		return reject("payload referral id differs from the message's")
	case rt.CaseRef != m.CaseRef:
		return reject("payload case reference differs from the message's")
	case corridor.MemberCode(rt.SenderMember) != m.SenderMember || rt.SenderAgency != m.SenderAgency:
		return reject("payload sender differs from the message's")
	case corridor.MemberCode(d.Recipient.Member) != s.cfg.Member || d.Recipient.Agency != m.RecipientAgency:
		return reject("payload recipient differs from the message's or is not this member")
	case rt.PreviousReferralID != "" && (!corridor.IsCode(rt.PreviousReferralID) || rt.PreviousReferralID == rt.ReferralID):
		return reject("payload previous referral id is not another referral's id")
	}
	_, err = s.dir.Agency(ctx, s.cfg.Member, m.RecipientAgency)
	if corridor.KindOf(err) == corridor.KindNotFound {
		return reject("recipient agency %q is not an agency of %s in the directory", m.RecipientAgency, s.cfg.Member)
	}
	if err != nil {
		return fmt.Errorf("look up recipient agency: %w", err)
	}
	if len(referral.NULFields(d)) > 0 || strings.ContainsRune(rt.SenderUserID, 0) {
		return reject("referral payload contains NUL characters")
	}
	current := cases.Status("")
	existing, err := store.GetForUpdate(ctx, tx, m.ReferralID)
	switch {
	case err == nil:
		current = existing.Status
	case corridor.KindOf(err) != corridor.KindNotFound:
		return err
	}
	base := cases.Status(rt.BaseStatus)
	sent, _, err := cases.ApplyRemote(current, cases.EventSend, cases.Sender, base)
	if err != nil {
		return rejectRule(err)
	}
	delivered, err := cases.Transition(sent, cases.EventDeliver, cases.Recipient)
	if err != nil {
		return rejectRule(err)
	}
	details, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode referral: %w", err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	r := store.Referral{
		ID:              m.ReferralID,
		CaseRef:         m.CaseRef,
		Side:            cases.Recipient,
		Status:          delivered,
		SenderMember:    m.SenderMember,
		SenderAgency:    m.SenderAgency,
		SenderUser:      rt.SenderUserID,
		RecipientMember: s.cfg.Member,
		RecipientAgency: m.RecipientAgency,
		Urgency:         d.Urgency,
		Details:         details,
		CreatedAt:       now,
		UpdatedAt:       now,
		// The recipient learns that the case was referred before, and
		// which referral this one follows; that referral may have gone to
		// another country.
		PreviousReferralID: rt.PreviousReferralID,
	}
	if err := store.Insert(ctx, tx, withListKeys(r, d)); err != nil {
		return err
	}
	if err := store.AppendEvent(ctx, tx, r.ID, store.Event{
		At: m.SentAt, Event: cases.EventSend, ActorSide: cases.Sender, ActorMember: m.SenderMember,
		Actor: store.ActorRelay, FromStatus: base, ToStatus: sent, MessageID: m.MessageID,
	}); err != nil {
		return err
	}
	return store.AppendEvent(ctx, tx, r.ID, store.Event{
		At: now, Event: cases.EventDeliver, ActorSide: cases.Recipient, ActorMember: s.cfg.Member,
		Actor: store.ActorRelay, FromStatus: sent, ToStatus: delivered, MessageID: m.MessageID,
	})
}

// applyEvent applies an event the other side caused to the referral: only
// the referral's counterpart agency may cause it, its record must be well
// formed, and pkg/cases decides the status, including for messages that
// crossed. The record is kept whatever the outcome, so that both sides
// hold the same records; which of them holds (a crossed handover plan) is
// decided when they are read.
func (s *Service) applyEvent(ctx context.Context, tx pgx.Tx, m exchange.InboxMessage) error {
	msg, err := codec.Decode(m.MessageType, m.Payload)
	if errors.Is(err, codec.ErrMalformed) {
		return reject("payload is not a valid %s message: %v", m.MessageType, err)
	}
	if err != nil {
		return err
	}
	if msg.ReferralID != m.ReferralID {
		return reject("payload referral id differs from the message's")
	}
	ev := msg.Event()
	if t, _ := codec.MessageType(ev); t != m.MessageType {
		return reject("a %s cannot travel in a %s message", ev, m.MessageType)
	}
	if err := s.events.CheckReceived(msg.Body); err != nil {
		return reject("%s payload has invalid fields: %v", m.MessageType, err)
	}
	r, err := store.GetForUpdate(ctx, tx, m.ReferralID)
	if corridor.KindOf(err) == corridor.KindNotFound {
		return reject("no referral %s here", m.ReferralID)
	}
	if err != nil {
		return err
	}
	// The other side's copy is the one that caused the event.
	from := r.Side.Other()
	if !ev.AllowedTo(from) {
		return reject("a %s from the %s cannot apply to a referral this country holds as %s", ev, from, r.Side)
	}
	if side, ok := actingSide(msg.Body); ok && side != from {
		return reject("a %s made by the %s cannot come from the %s", ev, side, from)
	}
	counterMember, counterAgency := r.RecipientMember, r.RecipientAgency
	if from == cases.Sender {
		counterMember, counterAgency = r.SenderMember, r.SenderAgency
	}
	if m.SenderMember != counterMember || m.SenderAgency != counterAgency {
		return reject("the message comes from another agency than the referral's %s", from)
	}
	if m.CaseRef != r.CaseRef {
		return reject("message case reference differs from the referral's")
	}
	next, outcome, err := cases.ApplyRemote(r.Status, ev, from, msg.Base)
	if err != nil {
		return rejectRule(err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	if msg.At.IsZero() {
		msg.At = m.SentAt.UTC()
	}
	if err := record(ctx, tx, r.ID, from, msg); err != nil {
		if k := corridor.KindOf(err); k == corridor.KindConflict || k == corridor.KindNotFound {
			return reject("the %s does not fit what this side holds: %v", ev, err)
		}
		return err
	}
	if b, ok := msg.Body.(*events.RespondInfo); ok && len(b.Groups()) > 0 {
		// The sender replaced these groups in its copy when it answered;
		// both copies hold the same document again.
		var d referral.Document
		if err := json.Unmarshal(r.Details, &d); err != nil {
			return fmt.Errorf("decode stored referral: %w", err)
		}
		b.UpdateDocument(&d)
		if err := saveDocument(ctx, tx, r, &d); err != nil {
			return err
		}
	}
	// The reason and the user's words are kept whatever the outcome: a
	// crossing says how the event was applied, not why it was made.
	code, note := reasonOf(msg.Body)
	decision, applied := decisionOf(msg.Body), ""
	if outcome != cases.OutcomeApplied {
		decision, applied = nil, string(outcome)
	}
	if next != r.Status || decision != nil {
		if err := store.SetStatus(ctx, tx, r.ID, next, decision, now); err != nil {
			return err
		}
	}
	if err := store.AppendEvent(ctx, tx, r.ID, store.Event{
		At: msg.At, Event: ev, ActorSide: from, ActorMember: m.SenderMember, Actor: store.ActorRelay,
		FromStatus: r.Status, ToStatus: next, MessageID: m.MessageID, ReasonCode: code, Note: note, Outcome: applied,
	}); err != nil {
		return err
	}
	if err := s.refreshDue(ctx, tx, r.ID); err != nil {
		return err
	}
	return s.reportMilestone(ctx, tx, r, ev, msg.Base, from, next, now)
}

// reportMilestone tells the coordinator, through a milestone row of the
// outbox, of a milestone this side reached by applying the other side's
// event ev, when pkg/cases says the other side's message could not report
// it (crossing handover confirmations).
func (s *Service) reportMilestone(ctx context.Context, tx pgx.Tx, r store.Referral, ev cases.Event, base cases.Status, from cases.Side, next cases.Status, now time.Time) error {
	target, err := cases.Transition(base, ev, from)
	if err != nil {
		return rejectRule(err) // ApplyRemote accepted it: not reached
	}
	if _, ok := cases.MilestoneOnApply(ev, target, next, r.Side); !ok {
		return nil
	}
	var d referral.Document
	if err := json.Unmarshal(r.Details, &d); err != nil {
		return fmt.Errorf("decode stored referral: %w", err)
	}
	return exchange.Enqueue(ctx, tx, s.outbox(r, exchange.TypeMilestone, nil, tracking(ev, next, &d, now)))
}

// actingSide is the side a body says made it, for the events either side
// may cause.
func actingSide(b events.Body) (cases.Side, bool) {
	switch b := b.(type) {
	case *events.PlanHandover:
		return b.ProposedBy, true
	case *events.ConfirmHandover:
		return b.Side, true
	}
	return "", false
}

// ApplyReceipts moves outgoing referrals whose referral message has a
// recorded receipt from sent to delivered, one batch, and reports how many
// it moved. The relay records receipts in the outbox
// (exchange.RecordReceipt) and notifies exchange_receipt; a receipt is the
// recipient's deliver event.
func (s *Service) ApplyReceipts(ctx context.Context) (int, error) {
	var n int
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		n = 0
		ds, err := store.ClaimDelivered(ctx, tx, applyBatch)
		if err != nil {
			return err
		}
		for _, d := range ds {
			r, err := store.GetForUpdate(ctx, tx, d.ReferralID)
			if err != nil {
				return err
			}
			if err := s.deliver(ctx, tx, r, d.ReceiptAt, d.MessageID); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("apply receipts: %w", err)
	}
	return n, nil
}

// deliver applies the recipient's deliver event, proven at time at by the
// receipt for our referral message messageID, to the outgoing referral r.
func (s *Service) deliver(ctx context.Context, tx pgx.Tx, r store.Referral, at time.Time, messageID string) error {
	next, outcome, err := cases.ApplyRemote(r.Status, cases.EventDeliver, cases.Recipient, cases.StatusSent)
	if err != nil {
		return fmt.Errorf("deliver referral: %w", err) // ClaimDelivered chose a sent referral: a bug
	}
	if outcome == cases.OutcomeStaleReceipt || next == r.Status {
		return nil
	}
	if err := store.SetStatus(ctx, tx, r.ID, next, nil, s.now().UTC().Truncate(time.Microsecond)); err != nil {
		return err
	}
	return store.AppendEvent(ctx, tx, r.ID, store.Event{
		At: at.UTC(), Event: cases.EventDeliver, ActorSide: cases.Recipient, ActorMember: r.RecipientMember,
		Actor: store.ActorRelay, FromStatus: r.Status, ToStatus: next, MessageID: messageID,
	})
}
