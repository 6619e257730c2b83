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
	var out []Event
	for _, ev := range Events() {
		if _, err := Transition(current, ev, side); err == nil {
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
		if cur == StatusAccepted {
			return StatusHandoverPlanned, true
		}
	case EventConfirmHandover:
		mine, theirs := StatusHandoverConfirmedBySender, StatusHandoverConfirmedByRecipient
		if actor == Recipient {
			mine, theirs = theirs, mine
		}
		switch cur {
		case StatusHandoverPlanned:
			return mine, true
		case theirs:
			return StatusHandedOver, true
		}
	case EventRecordService, EventRecordFollowUp:
		if cur == StatusHandedOver || cur == StatusInCare {
			return StatusInCare, true
		}
	case EventClose:
		if cur == StatusHandedOver || cur == StatusInCare {
			return StatusClosed, true
		}
	}
	return "", false
}

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
			next, err := Transition(cur, ev, side)
			if err != nil || seen[next] {
				continue
			}
			seen[next] = true
			todo = append(todo, next)
		}
	}
	return seen
}
