package cases

import (
	"github.com/corridor-org/corridor/pkg/corridor"
)

// Outcome says how a message from the other side was applied, for the
// referral's history and for telling the people concerned.
type Outcome string

// The outcomes of [ApplyRemote].
const (
	// OutcomeApplied: the event moved this side's copy as it moved the other's.
	OutcomeApplied Outcome = "applied"
	// OutcomeOverrodeDecision: the other side's event reversed what this
	// side did while it was in flight: a withdrawal reversed a decision, a
	// cancellation or an entered-in-error mark reversed any step, a
	// handover confirmation reversed a failure report. The caseworker who
	// acted should be told.
	OutcomeOverrodeDecision Outcome = "overrode_decision"
	// OutcomeSupersededByWithdrawal: the recipient acted before it learnt
	// that the sender had withdrawn; nothing changes here.
	OutcomeSupersededByWithdrawal Outcome = "superseded_by_withdrawal"
	// OutcomeRecordedOnly: an information response that crossed the
	// recipient's decision, or a handover plan that crossed a confirmation
	// or a failure report; keep it with the referral, the status stays.
	OutcomeRecordedOnly Outcome = "recorded_only"
	// OutcomeSuperseded: the other side acted before it learnt of this
	// side's cancellation, entered-in-error mark or handover confirmation,
	// which wins; nothing changes here.
	OutcomeSuperseded Outcome = "superseded"
	// OutcomeStaleReceipt: a receipt that arrived after the referral moved
	// on (a late or duplicate receipt); nothing changes here.
	OutcomeStaleReceipt Outcome = "stale_receipt"
)

// ApplyRemote returns the status this side's copy moves to when a message
// from the other side arrives. current is this side's status, the zero
// Status when this side holds no record yet (only a send may arrive then);
// ev is the event the message carries; from is the side that caused it; base
// is the status that side's copy was in before it caused ev, as the message
// carries it (for a receipt, [StatusSent]).
//
// The rules for messages that crossed are in the package documentation.
// Both sides reach the same status once every message has arrived, whatever
// the order in which each side acted. A message that fits none of the rules
// returns an error, a *corridor.Error: KindInvalid for unknown values,
// KindForbidden for an event its sender may not cause, KindConflict for one
// that does not fit the statuses. The caller must quarantine that message,
// not drop it.
func ApplyRemote(current Status, ev Event, from Side, base Status) (Status, Outcome, error) {
	if current != "" && !current.Valid() {
		return "", "", corridor.Errorf(corridor.KindInvalid, "unknown referral status %q", current)
	}
	target, err := Transition(base, ev, from)
	if err != nil {
		if k := corridor.KindOf(err); k == corridor.KindInvalid || k == corridor.KindForbidden {
			return "", "", &corridor.Error{Kind: k, Message: "reject remote event", Err: err}
		}
		return "", "", corridor.Errorf(corridor.KindConflict, "the %s cannot %s a referral in status %s", from, ev, base)
	}
	if from == Sender {
		return fromSender(current, ev, base, target)
	}
	return fromRecipient(current, ev, base, target)
}

// fromSender applies a sender's event at the recipient.
func fromSender(current Status, ev Event, base, target Status) (Status, Outcome, error) {
	if ev == EventSend {
		if current != "" {
			return "", "", corridor.Errorf(corridor.KindConflict, "a referral already here in status %s cannot arrive again", current)
		}
		return target, OutcomeApplied, nil
	}
	if current == "" {
		return "", "", corridor.Errorf(corridor.KindConflict, "no referral here for a remote %s", ev)
	}
	if current == base {
		return target, OutcomeApplied, nil
	}
	// Otherwise the recipient acted while the message was in flight; what
	// it did must be something it could do alone from base.
	if !reachable(base, Recipient)[current] {
		return "", "", corridor.Errorf(corridor.KindConflict, "a remote %s made from status %s does not fit status %s", ev, base, current)
	}
	switch ev {
	case EventWithdraw, EventMarkEnteredInError:
		// These win over everything the recipient did meanwhile.
		if current == StatusSent || current == StatusDelivered || current == StatusInfoRequested {
			return target, OutcomeApplied, nil
		}
		return target, OutcomeOverrodeDecision, nil
	case EventRespondInfo:
		// Everything the recipient can reach from info_requested is a
		// decision or a step after one.
		return current, OutcomeRecordedOnly, nil
	}
	if current == StatusCancelled {
		// The recipient's cancellation wins over the sender's steps it
		// crossed; two crossing cancellations agree.
		if ev == EventCancel {
			return current, OutcomeApplied, nil
		}
		return current, OutcomeSuperseded, nil
	}
	if next, outcome, ok := crossHandover(current, ev, Sender, target); ok {
		return next, outcome, nil
	}
	return "", "", corridor.Errorf(corridor.KindConflict, "a remote %s made from status %s does not fit status %s", ev, base, current)
}

// crossHandover resolves a cancellation or handover step of side from that
// crossed what this side did alone since the step's base, this side being in
// status current (never final; a cancellation here is handled by the caller).
// The rules, the same on both sides:
//
//   - a cancellation wins over every handover step it crossed;
//   - crossing confirmations commute: both sides reach handed_over;
//   - crossing plans agree on handover_planned (the casework keeps the plan
//     with the higher revision);
//   - a plan that crossed a confirmation or a failure report is recorded
//     only: the confirmation or report stands;
//   - a confirmation wins over a failure report it crossed.
func crossHandover(current Status, ev Event, from Side, target Status) (Status, Outcome, bool) {
	switch ev {
	case EventCancel:
		return target, OutcomeOverrodeDecision, true
	case EventConfirmHandover:
		if next, ok := step(current, ev, from); ok {
			return next, OutcomeApplied, true
		}
		if current == StatusHandoverFailed {
			return target, OutcomeOverrodeDecision, true
		}
	case EventPlanHandover:
		switch current {
		case StatusHandoverPlanned:
			return current, OutcomeApplied, true
		case ownConfirmation(from.Other()), StatusHandoverFailed:
			return current, OutcomeRecordedOnly, true
		}
	case EventReportHandoverFailed:
		if current == ownConfirmation(from.Other()) {
			return current, OutcomeSuperseded, true
		}
	}
	return "", "", false
}

// fromRecipient applies a recipient's event at the sender.
func fromRecipient(current Status, ev Event, base, target Status) (Status, Outcome, error) {
	switch current {
	case "", StatusDraft:
		return "", "", corridor.Errorf(corridor.KindConflict, "a remote %s cannot reach a referral in status %q", ev, current)
	case StatusWithdrawn:
		// The recipient acted before the withdrawal reached it, so it must
		// have been somewhere it can get to from sent on its own.
		if base == StatusSent || reachable(StatusSent, Recipient)[base] {
			return current, OutcomeSupersededByWithdrawal, nil
		}
		return "", "", corridor.Errorf(corridor.KindConflict, "a remote %s made from status %s cannot follow a withdrawal", ev, base)
	case StatusEnteredInError:
		// The sender may mark a referral in error from any status after
		// sending, so any recipient event may have crossed the mark.
		return current, OutcomeSuperseded, nil
	}
	if ev == EventDeliver {
		if current == StatusSent {
			return target, OutcomeApplied, nil
		}
		return current, OutcomeStaleReceipt, nil
	}
	eff := current
	if eff == StatusSent {
		// Any event from the recipient proves it has the referral; the
		// receipt may still be on its way or lost and re-sent later.
		eff = StatusDelivered
	}
	if eff == base {
		return target, OutcomeApplied, nil
	}
	if !reachable(base, Sender)[eff] {
		return "", "", corridor.Errorf(corridor.KindConflict, "a remote %s made from status %s does not fit status %s", ev, base, current)
	}
	// The sender acted while the message was in flight.
	if base == StatusInfoRequested && eff == StatusDelivered {
		// The recipient decided before the sender's answer reached it;
		// the decision stands and the answer is recorded there.
		return target, OutcomeApplied, nil
	}
	if eff == StatusCancelled {
		if ev == EventCancel {
			return eff, OutcomeApplied, nil
		}
		return eff, OutcomeSuperseded, nil
	}
	if next, outcome, ok := crossHandover(eff, ev, Recipient, target); ok {
		return next, outcome, nil
	}
	return "", "", corridor.Errorf(corridor.KindConflict, "a remote %s made from status %s does not fit status %s", ev, base, current)
}
