package cases

import (
	"github.com/corridor-org/corridor/pkg/corridor"
)

// Transition returns the status a referral moves to when side actor causes
// event ev on its own copy in status current. It is the rule for a local
// action, checked before the change and its outgoing message are written.
//
// The error is a *corridor.Error: KindInvalid for a value that is not a
// status, event or side; KindForbidden when ev belongs to the other side;
// KindConflict when ev is not possible in current.
func Transition(current Status, ev Event, actor Side) (Status, error) {
	if err := checkValues(current, ev, actor); err != nil {
		return "", err
	}
	if !ev.AllowedTo(actor) {
		return "", corridor.Errorf(corridor.KindForbidden, "the %s may not %s a referral", actor, ev)
	}
	next, ok := step(current, ev, actor)
	if !ok {
		return "", corridor.Errorf(corridor.KindConflict, "cannot %s a referral in status %s", ev, current)
	}
	return next, nil
}

// Actions returns the events side may cause on its own copy in status
// current, in the order of [Events]; none for values that are not valid.
// User interfaces offer exactly these.
func Actions(current Status, side Side) []Event {
	if !current.Valid() || !side.Valid() {
		return nil
	}
	var out []Event
	for _, ev := range Events() {
		if _, ok := move(current, ev, side); ok {
			out = append(out, ev)
		}
	}
	return out
}

func checkValues(current Status, ev Event, actor Side) error {
	switch {
	case !current.Valid():
		return corridor.Errorf(corridor.KindInvalid, "unknown referral status %q", current)
	case !ev.Valid():
		return corridor.Errorf(corridor.KindInvalid, "unknown referral event %q", ev)
	case !actor.Valid():
		return corridor.Errorf(corridor.KindInvalid, "unknown referral side %q", actor)
	}
	return nil
}

// move is [Transition] for valid values, without building an error.
func move(current Status, ev Event, actor Side) (Status, bool) {
	if !ev.AllowedTo(actor) {
		return "", false
	}
	return step(current, ev, actor)
}

// step is the transition table for an actor already known to own ev. It is a
// switch rather than a map so that the rules cannot be changed at run time.
func step(cur Status, ev Event, actor Side) (Status, bool) {
	switch ev {
	case EventSend:
		if cur == StatusDraft {
			return StatusSent, true
		}
	case EventDeliver:
		if cur == StatusSent {
			return StatusDelivered, true
		}
	case EventAccept:
		// The recipient may decide while its information request is open:
		// it may not need the answer after all.
		if cur == StatusDelivered || cur == StatusInfoRequested {
			return StatusAccepted, true
		}
	case EventDecline:
		if cur == StatusDelivered || cur == StatusInfoRequested {
			return StatusDeclined, true
		}
	case EventWithdraw:
		if cur == StatusSent || cur == StatusDelivered || cur == StatusInfoRequested {
			return StatusWithdrawn, true
		}
	case EventRequestInfo:
		if cur == StatusDelivered {
			return StatusInfoRequested, true
		}
	case EventRespondInfo:
		if cur == StatusInfoRequested {
			return StatusDelivered, true
		}
	case EventPlanHandover:
		// Either side proposes the first plan and may revise it until it has
		// confirmed the handover itself; a revision resets any one-sided
		// confirmation, so confirmations apply to the latest plan. After a
		// failed handover the sender, who still has the child, proposes the
		// next plan: were the recipient, who reports failures, allowed to
		// as well, it could return alone to a status the sender's messages
		// in flight were based on, and the two copies could not tell an old
		// message from a new one.
		switch cur {
		case StatusAccepted, StatusHandoverPlanned, othersConfirmation(actor):
			return StatusHandoverPlanned, true
		case StatusHandoverFailed:
			if actor == Sender {
				return StatusHandoverPlanned, true
			}
		}
	case EventConfirmHandover:
		switch cur {
		case StatusHandoverPlanned:
			return ownConfirmation(actor), true
		case othersConfirmation(actor):
			return StatusHandedOver, true
		}
	case EventReportHandoverFailed:
		// Only the recipient, who receives the child, reports that the
		// child did not arrive; the sender revises the plan or cancels.
		if cur == StatusHandoverPlanned || cur == StatusHandoverConfirmedBySender {
			return StatusHandoverFailed, true
		}
	case EventCancel:
		// A side that confirmed the handover may no longer cancel it, so a
		// cancellation can never cross the completion of a handover.
		switch cur {
		case StatusAccepted, StatusHandoverPlanned, StatusHandoverFailed, othersConfirmation(actor):
			return StatusCancelled, true
		}
	case EventRecordService, EventRecordFollowUp:
		if cur == StatusHandedOver || cur == StatusInCare {
			return StatusInCare, true
		}
	case EventSuspend:
		if cur == StatusHandedOver || cur == StatusInCare {
			return StatusOnHold, true
		}
	case EventResume:
		if cur == StatusOnHold {
			return StatusInCare, true
		}
	case EventClose:
		// A child missing from care who is not found ends in a closure too.
		if cur == StatusHandedOver || cur == StatusInCare || cur == StatusOnHold {
			return StatusClosed, true
		}
	case EventMarkEnteredInError:
		if cur != StatusDraft && !cur.Final() {
			return StatusEnteredInError, true
		}
	}
	return "", false
}

// ownConfirmation is the status in which side has confirmed the handover and
// the other side has not.
func ownConfirmation(side Side) Status {
	if side == Sender {
		return StatusHandoverConfirmedBySender
	}
	return StatusHandoverConfirmedByRecipient
}

// othersConfirmation is the status in which the other side has confirmed the
// handover and side has not.
func othersConfirmation(side Side) Status { return ownConfirmation(side.Other()) }

// reachable returns the statuses side can reach from s by its own events
// alone, without any message from the other side; s itself is not included
// unless a cycle leads back to it. It is what the other side may have done
// while a message was in flight.
func reachable(s Status, side Side) map[Status]bool {
	seen := map[Status]bool{}
	todo := []Status{s}
	for len(todo) > 0 {
		cur := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, ev := range Events() {
			to, ok := move(cur, ev, side)
			if !ok || seen[to] {
				continue
			}
			seen[to] = true
			todo = append(todo, to)
		}
	}
	return seen
}
