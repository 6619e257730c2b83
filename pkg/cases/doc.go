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
// it acted (its base). The other side applies it with [ApplyRemote]. Every
// event belongs to one side (only the recipient accepts, only the sender
// withdraws); confirm_handover belongs to both, each confirming for itself,
// and the handover is done when both have confirmed, in either order.
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
// carries. The rule is that the sender's withdrawal wins over every recipient
// decision it crossed (accept, decline, an information request, and the
// handover steps the recipient took after accepting). The sender may only
// withdraw before it knows of a decision, so a withdrawal that crosses one was
// made in good faith, and the child is not yet in the recipient's care: no
// handover can complete without the sender's own confirmation, which a sender
// that withdrew can never give. Hence:
//
//   - a withdrawal arriving at a recipient that has since decided moves it to
//     withdrawn ([OutcomeOverrodeDecision], so the caseworker can be told);
//   - a recipient event arriving at a sender that withdrew is ignored
//     ([OutcomeSupersededByWithdrawal]);
//   - an information response that crosses a decision is recorded with the
//     referral but does not change its status ([OutcomeRecordedOnly]): the
//     recipient decided without it, and the sender accepts that decision;
//   - crossing handover confirmations commute: each side applies the other's
//     confirmation on top of its own and both reach handed_over.
//
// Every other message that does not fit the receiving side's status is an
// error. The caller quarantines such a message for a person to look at; it is
// never dropped silently. The tests explore every interleaving of two
// replicas exchanging these messages over ordered channels and check that
// both sides agree whenever no message is in flight.
//
// A referral that was declined or withdrawn may be followed by a new referral
// of the same child to another agency under the same cross-border case
// reference ([CanReRefer]); the old referral keeps its status.
package cases
