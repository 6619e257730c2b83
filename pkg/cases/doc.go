// Package cases holds the rules by which a cross-border referral moves: its
// statuses, the events that move it, which end of the referral may cause each
// event, how an event that arrives from the other country is applied, and the
// consent a referral needs before it may leave the country. Both countries run
// these same rules, casework before it writes a change and again when the
// other side's message is applied, so neither side can hold a status the other
// would have refused.
//
// # Two replicas, one referral
//
// A referral exists twice: in the sender's database and in the recipient's.
// Each side changes its own copy with [Transition] and tells the other in a
// message that carries the event and the status the acting side was in before
// it acted (its base). The other side applies it with [ApplyRemote]. Most
// events belong to one side (only the recipient accepts, only the sender
// withdraws). Three belong to both: plan_handover (either side proposes the
// handover and may revise it until it has confirmed it itself),
// confirm_handover (each side confirms for itself; the handover is done when
// both have, in either order) and cancel (either side calls the referral off
// before the handover, until it has confirmed the handover itself).
//
// The recipient's copy starts when the sender's send arrives, in status sent;
// storing it is the recipient's deliver event, whose message (the receipt)
// moves the sender to delivered. A receipt that arrives after the sender has
// moved on, such as a duplicate receipt for a message the sender re-sent, is
// ignored ([OutcomeStaleReceipt]). Any other event from the recipient also
// proves delivery, so it applies to a sender still in sent as if the receipt
// had come first.
//
// # Crossing messages
//
// Messages between the two countries cross: the sender may withdraw while an
// acceptance is on its way. Both sides must end in the same status without
// asking each other, so the rule has to depend only on what each message
// carries. The rules, strongest first:
//
//   - the sender's entered-in-error mark wins over everything it crossed,
//     and its withdrawal over every recipient decision and step it crossed
//     (the sender may only withdraw before it knows of a decision, so a
//     withdrawal that crosses one was made in good faith);
//   - a cancellation wins over every handover step it crossed, and two
//     crossing cancellations agree. A side that has confirmed the handover
//     may no longer cancel, so no cancellation can cross the completion of
//     a handover, just as no handover can complete without the confirmation
//     of a sender that withdrew;
//   - crossing handover confirmations commute: each side applies the
//     other's on top of its own and both reach handed_over;
//   - a confirmation wins over a failure report it crossed;
//   - crossing plans agree on handover_planned; which plan holds is the
//     casework's to decide (the higher revision, then a fixed side), as the
//     rules see only statuses;
//   - a plan that crossed a confirmation or a failure report, and an
//     information response that crossed a decision, are recorded with the
//     referral but do not change its status ([OutcomeRecordedOnly]).
//
// The side whose event lost is told by the outcome: [OutcomeOverrodeDecision]
// where a message reverses what this side did, [OutcomeSupersededByWithdrawal]
// and [OutcomeSuperseded] where this side's own cancellation, mark,
// withdrawal or confirmation makes the message moot.
//
// These rules rely on one property of the table: where the other side can
// still send a message that does not win outright, neither side can return by
// its own events alone to a status it has left (revising a plan in place
// aside). Otherwise a message the other side sent before a crossing could
// arrive after the side came back, and look current. That is why after a
// failed handover, reported by the recipient, only the sender proposes the
// next plan; and why only the recipient suspends and resumes a case after
// the handover, where the sender's one event, the entered-in-error mark,
// wins whatever it meets.
//
// Every other message that does not fit the receiving side's status is an
// error. The caller quarantines such a message for a person to look at; it is
// never dropped silently. The tests explore every interleaving of two
// replicas exchanging these messages over ordered channels and check that
// both sides agree whenever no message is in flight.
//
// A referral that was declined, withdrawn or cancelled may be followed by a
// new referral of the same child to another agency under the same
// cross-border case reference ([CanReRefer]); the old referral keeps its
// status. docs/lifecycle.md maps every status to FHIR R4 Task and to
// Primero's referral and transfer.
//
// # What falls due
//
// The corridor's time limits make four steps fall due: the recipient's
// decision, the sender's answer to an information request, the handover,
// and follow-up visits until one finds the child no longer working
// ([DueSteps]). [NextDue] gives the step due next from a referral's
// milestones, which is all the coordinator knows of it.
package cases
