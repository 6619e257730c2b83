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
