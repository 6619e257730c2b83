package cases

import (
	"fmt"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// remoteTable lists, by hand, every message ApplyRemote accepts: the side it
// comes from, its event and base, this side's current status ("none" for no
// record), and the expected status and outcome. Every other combination of
// current status × event × side × base must be an error.
const remoteTable = `
# from      event             base current -> result outcome
sender      send              dr   none    -> se     applied

sender      withdraw          se   se      -> wd     applied
sender      withdraw          se   de      -> wd     applied
sender      withdraw          se   ir      -> wd     applied
sender      withdraw          se   ac      -> wd     overrode_decision
sender      withdraw          se   dc      -> wd     overrode_decision
sender      withdraw          se   hp      -> wd     overrode_decision
sender      withdraw          se   hr      -> wd     overrode_decision
sender      withdraw          de   de      -> wd     applied
sender      withdraw          de   ir      -> wd     applied
sender      withdraw          de   ac      -> wd     overrode_decision
sender      withdraw          de   dc      -> wd     overrode_decision
sender      withdraw          de   hp      -> wd     overrode_decision
sender      withdraw          de   hr      -> wd     overrode_decision
sender      withdraw          ir   ir      -> wd     applied
sender      withdraw          ir   ac      -> wd     overrode_decision
sender      withdraw          ir   dc      -> wd     overrode_decision
sender      withdraw          ir   hp      -> wd     overrode_decision
sender      withdraw          ir   hr      -> wd     overrode_decision

sender      respond_info      ir   ir      -> de     applied
sender      respond_info      ir   ac      -> ac     recorded_only
sender      respond_info      ir   dc      -> dc     recorded_only
sender      respond_info      ir   hp      -> hp     recorded_only
sender      respond_info      ir   hr      -> hr     recorded_only

sender      confirm_handover  hp   hp      -> hs     applied
sender      confirm_handover  hp   hr      -> ho     applied
sender      confirm_handover  hr   hr      -> ho     applied

recipient   deliver           se   se      -> de     applied
recipient   deliver           se   wd      -> wd     superseded_by_withdrawal
recipient   deliver           se   de      -> de     stale_receipt
recipient   deliver           se   ir      -> ir     stale_receipt
recipient   deliver           se   ac      -> ac     stale_receipt
recipient   deliver           se   dc      -> dc     stale_receipt
recipient   deliver           se   hp      -> hp     stale_receipt
recipient   deliver           se   hs      -> hs     stale_receipt
recipient   deliver           se   hr      -> hr     stale_receipt
recipient   deliver           se   ho      -> ho     stale_receipt
recipient   deliver           se   ic      -> ic     stale_receipt
recipient   deliver           se   cl      -> cl     stale_receipt

recipient   accept            de   de      -> ac     applied
recipient   accept            de   se      -> ac     applied
recipient   accept            de   wd      -> wd     superseded_by_withdrawal
recipient   accept            ir   ir      -> ac     applied
recipient   accept            ir   de      -> ac     applied
recipient   accept            ir   se      -> ac     applied
recipient   accept            ir   wd      -> wd     superseded_by_withdrawal
recipient   decline           de   de      -> dc     applied
recipient   decline           de   se      -> dc     applied
recipient   decline           de   wd      -> wd     superseded_by_withdrawal
recipient   decline           ir   ir      -> dc     applied
recipient   decline           ir   de      -> dc     applied
recipient   decline           ir   se      -> dc     applied
recipient   decline           ir   wd      -> wd     superseded_by_withdrawal
recipient   request_info      de   de      -> ir     applied
recipient   request_info      de   se      -> ir     applied
recipient   request_info      de   wd      -> wd     superseded_by_withdrawal

recipient   plan_handover     ac   ac      -> hp     applied
recipient   plan_handover     ac   wd      -> wd     superseded_by_withdrawal
recipient   confirm_handover  hp   hp      -> hr     applied
recipient   confirm_handover  hp   hs      -> ho     applied
recipient   confirm_handover  hp   wd      -> wd     superseded_by_withdrawal
recipient   confirm_handover  hs   hs      -> ho     applied

recipient   record_service    ho   ho      -> ic     applied
recipient   record_service    ic   ic      -> ic     applied
recipient   record_follow_up  ho   ho      -> ic     applied
recipient   record_follow_up  ic   ic      -> ic     applied
recipient   close             ho   ho      -> cl     applied
recipient   close             ic   ic      -> cl     applied

# The endings and the two-sided handover: crossing plans, confirmations,
# failure reports, cancellations and entered-in-error marks.

sender      withdraw                se   hf      -> wd     overrode_decision
sender      withdraw                se   cn      -> wd     overrode_decision
sender      withdraw                de   hf      -> wd     overrode_decision
sender      withdraw                de   cn      -> wd     overrode_decision
sender      withdraw                ir   hf      -> wd     overrode_decision
sender      withdraw                ir   cn      -> wd     overrode_decision

sender      respond_info            ir   hf      -> hf     recorded_only
sender      respond_info            ir   cn      -> cn     recorded_only

sender      plan_handover           ac   ac      -> hp     applied
sender      plan_handover           ac   hp      -> hp     applied
sender      plan_handover           ac   hr      -> hr     recorded_only
sender      plan_handover           ac   hf      -> hf     recorded_only
sender      plan_handover           ac   cn      -> cn     superseded
sender      plan_handover           hp   hp      -> hp     applied
sender      plan_handover           hp   hr      -> hr     recorded_only
sender      plan_handover           hp   hf      -> hf     recorded_only
sender      plan_handover           hp   cn      -> cn     superseded
sender      plan_handover           hr   hr      -> hp     applied
sender      plan_handover           hf   hf      -> hp     applied
sender      plan_handover           hf   cn      -> cn     superseded

sender      confirm_handover        hp   hf      -> hs     overrode_decision
sender      confirm_handover        hp   cn      -> cn     superseded

sender      cancel                  ac   ac      -> cn     applied
sender      cancel                  ac   hp      -> cn     overrode_decision
sender      cancel                  ac   hr      -> cn     overrode_decision
sender      cancel                  ac   hf      -> cn     overrode_decision
sender      cancel                  ac   cn      -> cn     applied
sender      cancel                  hp   hp      -> cn     applied
sender      cancel                  hp   hr      -> cn     overrode_decision
sender      cancel                  hp   hf      -> cn     overrode_decision
sender      cancel                  hp   cn      -> cn     applied
sender      cancel                  hr   hr      -> cn     applied
sender      cancel                  hf   hf      -> cn     applied
sender      cancel                  hf   cn      -> cn     applied

sender      mark_entered_in_error   se   se      -> ee     applied
sender      mark_entered_in_error   se   de      -> ee     applied
sender      mark_entered_in_error   se   ir      -> ee     applied
sender      mark_entered_in_error   se   ac      -> ee     overrode_decision
sender      mark_entered_in_error   se   dc      -> ee     overrode_decision
sender      mark_entered_in_error   se   hp      -> ee     overrode_decision
sender      mark_entered_in_error   se   hr      -> ee     overrode_decision
sender      mark_entered_in_error   se   hf      -> ee     overrode_decision
sender      mark_entered_in_error   se   cn      -> ee     overrode_decision
sender      mark_entered_in_error   de   de      -> ee     applied
sender      mark_entered_in_error   de   ir      -> ee     applied
sender      mark_entered_in_error   de   ac      -> ee     overrode_decision
sender      mark_entered_in_error   de   dc      -> ee     overrode_decision
sender      mark_entered_in_error   de   hp      -> ee     overrode_decision
sender      mark_entered_in_error   de   hr      -> ee     overrode_decision
sender      mark_entered_in_error   de   hf      -> ee     overrode_decision
sender      mark_entered_in_error   de   cn      -> ee     overrode_decision
sender      mark_entered_in_error   ir   ir      -> ee     applied
sender      mark_entered_in_error   ir   ac      -> ee     overrode_decision
sender      mark_entered_in_error   ir   dc      -> ee     overrode_decision
sender      mark_entered_in_error   ir   hp      -> ee     overrode_decision
sender      mark_entered_in_error   ir   hr      -> ee     overrode_decision
sender      mark_entered_in_error   ir   hf      -> ee     overrode_decision
sender      mark_entered_in_error   ir   cn      -> ee     overrode_decision
sender      mark_entered_in_error   ac   ac      -> ee     applied
sender      mark_entered_in_error   ac   hp      -> ee     overrode_decision
sender      mark_entered_in_error   ac   hr      -> ee     overrode_decision
sender      mark_entered_in_error   ac   hf      -> ee     overrode_decision
sender      mark_entered_in_error   ac   cn      -> ee     overrode_decision
sender      mark_entered_in_error   hp   hp      -> ee     applied
sender      mark_entered_in_error   hp   hr      -> ee     overrode_decision
sender      mark_entered_in_error   hp   hf      -> ee     overrode_decision
sender      mark_entered_in_error   hp   cn      -> ee     overrode_decision
sender      mark_entered_in_error   hs   hp      -> ee     overrode_decision
sender      mark_entered_in_error   hs   hs      -> ee     applied
sender      mark_entered_in_error   hs   hr      -> ee     overrode_decision
sender      mark_entered_in_error   hs   hf      -> ee     overrode_decision
sender      mark_entered_in_error   hs   ho      -> ee     overrode_decision
sender      mark_entered_in_error   hs   ic      -> ee     overrode_decision
sender      mark_entered_in_error   hs   oh      -> ee     overrode_decision
sender      mark_entered_in_error   hs   cl      -> ee     overrode_decision
sender      mark_entered_in_error   hs   cn      -> ee     overrode_decision
sender      mark_entered_in_error   hr   hr      -> ee     applied
sender      mark_entered_in_error   hf   hf      -> ee     applied
sender      mark_entered_in_error   hf   cn      -> ee     overrode_decision
sender      mark_entered_in_error   ho   ho      -> ee     applied
sender      mark_entered_in_error   ho   ic      -> ee     overrode_decision
sender      mark_entered_in_error   ho   oh      -> ee     overrode_decision
sender      mark_entered_in_error   ho   cl      -> ee     overrode_decision
sender      mark_entered_in_error   ic   ic      -> ee     applied
sender      mark_entered_in_error   ic   oh      -> ee     overrode_decision
sender      mark_entered_in_error   ic   cl      -> ee     overrode_decision
sender      mark_entered_in_error   oh   ic      -> ee     overrode_decision
sender      mark_entered_in_error   oh   oh      -> ee     applied
sender      mark_entered_in_error   oh   cl      -> ee     overrode_decision

recipient   deliver                 se   hf      -> hf     stale_receipt
recipient   deliver                 se   oh      -> oh     stale_receipt
recipient   deliver                 se   cn      -> cn     stale_receipt
recipient   deliver                 se   ee      -> ee     superseded

recipient   accept                  de   ee      -> ee     superseded
recipient   accept                  ir   ee      -> ee     superseded

recipient   decline                 de   ee      -> ee     superseded
recipient   decline                 ir   ee      -> ee     superseded

recipient   request_info            de   ee      -> ee     superseded

recipient   plan_handover           ac   hp      -> hp     applied
recipient   plan_handover           ac   hs      -> hs     recorded_only
recipient   plan_handover           ac   cn      -> cn     superseded
recipient   plan_handover           ac   ee      -> ee     superseded
recipient   plan_handover           hp   wd      -> wd     superseded_by_withdrawal
recipient   plan_handover           hp   hp      -> hp     applied
recipient   plan_handover           hp   hs      -> hs     recorded_only
recipient   plan_handover           hp   cn      -> cn     superseded
recipient   plan_handover           hp   ee      -> ee     superseded
recipient   plan_handover           hs   hs      -> hp     applied
recipient   plan_handover           hs   ee      -> ee     superseded

recipient   confirm_handover        hp   cn      -> cn     superseded
recipient   confirm_handover        hp   ee      -> ee     superseded
recipient   confirm_handover        hs   ee      -> ee     superseded

recipient   record_service          ho   ee      -> ee     superseded
recipient   record_service          ic   ee      -> ee     superseded

recipient   record_follow_up        ho   ee      -> ee     superseded
recipient   record_follow_up        ic   ee      -> ee     superseded

recipient   close                   ho   ee      -> ee     superseded
recipient   close                   ic   ee      -> ee     superseded
recipient   close                   oh   oh      -> cl     applied
recipient   close                   oh   ee      -> ee     superseded

recipient   report_handover_failed  hp   wd      -> wd     superseded_by_withdrawal
recipient   report_handover_failed  hp   hp      -> hf     applied
recipient   report_handover_failed  hp   hs      -> hs     superseded
recipient   report_handover_failed  hp   cn      -> cn     superseded
recipient   report_handover_failed  hp   ee      -> ee     superseded
recipient   report_handover_failed  hs   hs      -> hf     applied
recipient   report_handover_failed  hs   ee      -> ee     superseded

recipient   suspend                 ho   ho      -> oh     applied
recipient   suspend                 ho   ee      -> ee     superseded
recipient   suspend                 ic   ic      -> oh     applied
recipient   suspend                 ic   ee      -> ee     superseded

recipient   resume                  oh   oh      -> ic     applied
recipient   resume                  oh   ee      -> ee     superseded

recipient   cancel                  ac   ac      -> cn     applied
recipient   cancel                  ac   wd      -> wd     superseded_by_withdrawal
recipient   cancel                  ac   hp      -> cn     overrode_decision
recipient   cancel                  ac   hs      -> cn     overrode_decision
recipient   cancel                  ac   cn      -> cn     applied
recipient   cancel                  ac   ee      -> ee     superseded
recipient   cancel                  hp   wd      -> wd     superseded_by_withdrawal
recipient   cancel                  hp   hp      -> cn     applied
recipient   cancel                  hp   hs      -> cn     overrode_decision
recipient   cancel                  hp   cn      -> cn     applied
recipient   cancel                  hp   ee      -> ee     superseded
recipient   cancel                  hs   hs      -> cn     applied
recipient   cancel                  hs   ee      -> ee     superseded
recipient   cancel                  hf   wd      -> wd     superseded_by_withdrawal
recipient   cancel                  hf   hp      -> cn     overrode_decision
recipient   cancel                  hf   hs      -> cn     overrode_decision
recipient   cancel                  hf   hf      -> cn     applied
recipient   cancel                  hf   cn      -> cn     applied
recipient   cancel                  hf   ee      -> ee     superseded
`

type remoteKey struct {
	from    Side
	ev      Event
	base    Status
	current Status
}

type remoteWant struct {
	status  Status
	outcome Outcome
}

func parseRemoteTable(t *testing.T) map[remoteKey]remoteWant {
	t.Helper()
	out := map[remoteKey]remoteWant{}
	for _, line := range strings.Split(remoteTable, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 7 || f[4] != "->" {
			t.Fatalf("bad table line %q", line)
		}
		st := func(a string) Status {
			if a == "none" {
				return ""
			}
			s, ok := abbrev[a]
			if !ok {
				t.Fatalf("bad status %q in line %q", a, line)
			}
			return s
		}
		k := remoteKey{Side(f[0]), Event(f[1]), st(f[2]), st(f[3])}
		if !k.from.Valid() || !k.ev.Valid() {
			t.Fatalf("bad line %q", line)
		}
		if _, dup := out[k]; dup {
			t.Fatalf("duplicate line %q", line)
		}
		out[k] = remoteWant{st(f[5]), Outcome(f[6])}
	}
	return out
}

// TestApplyRemoteTable checks every current status (and no record) × event ×
// side × base (and an empty base) against the table.
func TestApplyRemoteTable(t *testing.T) {
	t.Parallel()
	want := parseRemoteTable(t)
	currents := append([]Status{""}, Statuses()...)
	bases := append([]Status{""}, Statuses()...)
	checked, accepted := 0, 0
	for _, from := range []Side{Sender, Recipient} {
		for _, ev := range Events() {
			for _, base := range bases {
				for _, cur := range currents {
					checked++
					got, outcome, err := ApplyRemote(cur, ev, from, base)
					w, ok := want[remoteKey{from, ev, base, cur}]
					name := fmt.Sprintf("ApplyRemote(%q, %s, %s, %q)", cur, ev, from, base)
					if ok {
						accepted++
						if err != nil || got != w.status || outcome != w.outcome {
							t.Errorf("%s = %q, %q, %v; want %q, %q", name, got, outcome, err, w.status, w.outcome)
						}
						continue
					}
					wantKind := corridor.KindConflict
					switch {
					case base == "":
						wantKind = corridor.KindInvalid
					case !ev.AllowedTo(from):
						wantKind = corridor.KindForbidden
					}
					if err == nil {
						t.Errorf("%s = %q, %q; want a %s error", name, got, outcome, wantKind)
						continue
					}
					if k := corridor.KindOf(err); k != wantKind {
						t.Errorf("%s: error kind %s, want %s (%v)", name, k, wantKind, err)
					}
					if got != "" || outcome != "" {
						t.Errorf("%s = %q, %q with an error, want empty", name, got, outcome)
					}
				}
			}
		}
	}
	if accepted != len(want) {
		t.Errorf("checked %d table lines, table has %d", accepted, len(want))
	}
	t.Logf("checked %d combinations, %d accepted", checked, accepted)
}

func TestApplyRemoteInvalidValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cur  Status
		ev   Event
		from Side
		base Status
	}{
		{"unknown current", "pending", EventAccept, Recipient, StatusDelivered},
		{"unknown event", StatusDelivered, "revoke", Sender, StatusDelivered},
		{"unknown side", StatusDelivered, EventAccept, "hub", StatusDelivered},
		{"unknown base", StatusDelivered, EventAccept, Recipient, "received"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := ApplyRemote(tc.cur, tc.ev, tc.from, tc.base)
			if k := corridor.KindOf(err); err == nil || k != corridor.KindInvalid {
				t.Fatalf("error = %v, want a %s error", err, corridor.KindInvalid)
			}
		})
	}
}
