package cases

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The model check runs two replicas of one referral, the sender's and the
// recipient's, joined by a FIFO channel each way. From every reachable joint
// state it tries every local action Transition allows either replica (which
// emits a message carrying the replica's base status) and every delivery of
// the message at the head of a channel, and checks that:
//
//   - ApplyRemote accepts every message a replica legitimately sent;
//   - whenever no message is in flight, both replicas hold the same status
//     (a sender's draft matching no record at the recipient);
//   - once the sender has withdrawn, both end withdrawn; once it has marked
//     the referral entered in error, both end entered_in_error; once either
//     side has cancelled (and the sender did neither), both end cancelled;
//   - a quiescent referral that is not final still offers someone an action.
//
// The state space is finite because a channel holds at most maxInFlight
// messages: a replica may not act while its outgoing channel is full.

type message struct {
	ev   Event
	from Side
	base Status
}

func (m message) String() string { return string(m.from) + "/" + string(m.ev) + "@" + string(m.base) }

// trace is the path that led to a state, newest step first; states share
// their common prefix.
type trace struct {
	prev *trace
	step string
}

func (tr *trace) String() string {
	var steps []string
	for ; tr != nil; tr = tr.prev {
		steps = append(steps, tr.step)
	}
	slices.Reverse(steps)
	return " " + strings.Join(steps, " ")
}

type world struct {
	sender, recipient Status
	toRecipient       []message
	toSender          []message
	// receipts is a channel of its own when the model sends the
	// recipient's receipts apart from its other messages.
	receipts   []message
	withdrew   bool
	marked     bool // the sender marked the referral entered in error
	cancelled  bool // either side cancelled
	extraRcpts int  // duplicate receipts the recipient has sent
	trace      *trace
}

func (w world) key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%t|%t|%t|%d|", w.sender, w.recipient, w.withdrew, w.marked, w.cancelled, w.extraRcpts)
	for _, ch := range [][]message{w.toRecipient, w.toSender, w.receipts} {
		for _, m := range ch {
			b.WriteString(m.String())
			b.WriteByte(',')
		}
		b.WriteByte('|')
	}
	return b.String()
}

func (w world) clone() world {
	w.toRecipient = append([]message(nil), w.toRecipient...)
	w.toSender = append([]message(nil), w.toSender...)
	w.receipts = append([]message(nil), w.receipts...)
	return w
}

type modelConfig struct {
	maxInFlight int
	// separateReceipts sends the recipient's receipts on their own channel,
	// so they may overtake or fall behind its other messages, and lets the
	// recipient send up to maxExtraReceipts duplicate receipts (as it does
	// when the sender re-sends a referral whose receipt was lost).
	separateReceipts bool
	maxExtraReceipts int
}

type modelResult struct {
	states   int
	outcomes map[Outcome]int
	// byEvent counts deliveries by "event/outcome", with "crossed " in
	// front when the message arrived at a status other than its base.
	byEvent map[string]int
	finals  map[Status]int
}

func explore(t *testing.T, cfg modelConfig) modelResult {
	t.Helper()
	res := modelResult{outcomes: map[Outcome]int{}, byEvent: map[string]int{}, finals: map[Status]int{}}
	start := world{sender: StatusDraft}
	seen := map[string]bool{start.key(): true}
	queue := []world{start}
	push := func(w world) {
		if k := w.key(); !seen[k] {
			seen[k] = true
			queue = append(queue, w)
		}
	}
	for len(queue) > 0 {
		w := queue[0]
		queue = queue[1:]
		res.states++
		checkInvariants(t, w, cfg)
		if t.Failed() {
			return res
		}

		// Local actions at the sender.
		if len(w.toRecipient) < cfg.maxInFlight {
			for _, ev := range Actions(w.sender, Sender) {
				next, err := Transition(w.sender, ev, Sender)
				if err != nil {
					t.Fatalf("Actions offered %s that Transition refused: %v", ev, err)
				}
				n := w.clone()
				n.toRecipient = append(n.toRecipient, message{ev, Sender, w.sender})
				n.sender = next
				n.withdrew = n.withdrew || ev == EventWithdraw
				n.marked = n.marked || ev == EventMarkEnteredInError
				n.cancelled = n.cancelled || ev == EventCancel
				n.trace = &trace{w.trace, "S:" + string(ev)}
				push(n)
			}
		}
		// Local actions at the recipient, which has none before the
		// referral reaches it.
		if w.recipient != "" {
			for _, ev := range Actions(w.recipient, Recipient) {
				next, err := Transition(w.recipient, ev, Recipient)
				if err != nil {
					t.Fatalf("Actions offered %s that Transition refused: %v", ev, err)
				}
				n := w.clone()
				m := message{ev, Recipient, w.recipient}
				switch {
				case ev == EventDeliver && cfg.separateReceipts:
					if len(w.receipts) >= cfg.maxInFlight {
						continue
					}
					n.receipts = append(n.receipts, m)
				default:
					if len(w.toSender) >= cfg.maxInFlight {
						continue
					}
					n.toSender = append(n.toSender, m)
				}
				n.recipient = next
				n.cancelled = n.cancelled || ev == EventCancel
				n.trace = &trace{w.trace, "R:" + string(ev)}
				push(n)
			}
			// A duplicate receipt, after the first one.
			if cfg.separateReceipts && w.recipient != StatusSent && w.extraRcpts < cfg.maxExtraReceipts && len(w.receipts) < cfg.maxInFlight {
				n := w.clone()
				n.receipts = append(n.receipts, message{EventDeliver, Recipient, StatusSent})
				n.extraRcpts++
				n.trace = &trace{w.trace, "R:receipt-again"}
				push(n)
			}
		}

		// Deliveries: the head of each channel.
		deliver := func(ch []message, at Status, apply func(*world, []message, Status)) {
			if len(ch) == 0 {
				return
			}
			m := ch[0]
			got, outcome, err := ApplyRemote(at, m.ev, m.from, m.base)
			if err != nil {
				t.Fatalf("legitimate message %s refused at status %q: %v\ntrace:%s", m, at, err, w.trace)
			}
			res.outcomes[outcome]++
			crossed := ""
			if at != m.base && !(at == StatusSent && m.from == Recipient) {
				crossed = "crossed "
			}
			res.byEvent[crossed+string(m.ev)+"/"+string(outcome)]++
			n := w.clone()
			apply(&n, ch[1:], got)
			n.trace = &trace{w.trace, "deliver(" + m.String() + ")"}
			push(n)
		}
		deliver(w.toRecipient, w.recipient, func(n *world, rest []message, s Status) {
			n.toRecipient = append([]message(nil), rest...)
			n.recipient = s
		})
		deliver(w.toSender, w.sender, func(n *world, rest []message, s Status) {
			n.toSender = append([]message(nil), rest...)
			n.sender = s
		})
		deliver(w.receipts, w.sender, func(n *world, rest []message, s Status) {
			n.receipts = append([]message(nil), rest...)
			n.sender = s
		})
	}
	return res
}

func checkInvariants(t *testing.T, w world, cfg modelConfig) {
	t.Helper()
	if len(w.toRecipient) > 0 || len(w.toSender) > 0 || len(w.receipts) > 0 {
		return
	}
	if w.sender == StatusDraft {
		if w.recipient != "" {
			t.Fatalf("quiescent: sender in draft but recipient has %s\ntrace:%s", w.recipient, w.trace)
		}
	} else if w.sender != w.recipient {
		t.Fatalf("quiescent but diverged: sender %s, recipient %s\ntrace:%s", w.sender, w.recipient, w.trace)
	}
	var want Status
	switch {
	case w.withdrew:
		want = StatusWithdrawn
	case w.marked:
		want = StatusEnteredInError
	case w.cancelled:
		want = StatusCancelled
	}
	if want != "" && w.sender != want {
		t.Fatalf("quiescent in %s, want %s\ntrace:%s", w.sender, want, w.trace)
	}
	if w.sender.Final() {
		return
	}
	actions := len(Actions(w.sender, Sender))
	if w.recipient != "" {
		actions += len(Actions(w.recipient, Recipient))
	}
	if actions == 0 {
		t.Fatalf("quiescent in %s with no action for either side\ntrace:%s", w.sender, w.trace)
	}
}

// crossingsSeen are deliveries every exploration must make, so that the
// crossings of the two-sided handover and of the endings really happen.
var crossingsSeen = []string{
	"crossed plan_handover/applied",              // crossing plans
	"crossed plan_handover/recorded_only",        // a plan crossing a confirmation or failure report
	"crossed confirm_handover/applied",           // crossing confirmations
	"crossed confirm_handover/overrode_decision", // a confirmation crossing a failure report
	"crossed report_handover_failed/superseded",  // the same, at the confirming side
	"crossed cancel/applied",                     // crossing cancellations
	"crossed cancel/overrode_decision",           // a cancellation crossing a handover step
	"crossed confirm_handover/superseded",        // a handover step crossing a cancellation
	"crossed mark_entered_in_error/overrode_decision",
	"crossed accept/superseded", // a decision crossing an entered-in-error mark
	"crossed withdraw/overrode_decision",
}

func TestModelReplicasConverge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  modelConfig
		// The outcomes an exploration must produce, so that the crossings
		// it is meant to check really happened.
		want []Outcome
	}{
		{
			name: "ordered channels",
			cfg:  modelConfig{maxInFlight: 4},
			want: []Outcome{OutcomeApplied, OutcomeOverrodeDecision, OutcomeSupersededByWithdrawal, OutcomeRecordedOnly, OutcomeSuperseded},
		},
		{
			name: "receipts apart and duplicated",
			cfg:  modelConfig{maxInFlight: 3, separateReceipts: true, maxExtraReceipts: 2},
			want: []Outcome{OutcomeApplied, OutcomeOverrodeDecision, OutcomeSupersededByWithdrawal, OutcomeRecordedOnly, OutcomeSuperseded, OutcomeStaleReceipt},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := explore(t, tc.cfg)
			t.Logf("explored %d states; outcomes of deliveries: %v", res.states, res.outcomes)
			for _, o := range tc.want {
				if res.outcomes[o] == 0 {
					t.Errorf("no delivery had outcome %s", o)
				}
			}
			for _, c := range crossingsSeen {
				if res.byEvent[c] == 0 {
					t.Errorf("no delivery was a %s", c)
				}
			}
		})
	}
}
