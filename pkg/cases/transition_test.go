package cases

import (
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// abbrev names statuses in the literal tables below, so that a whole row of
// the table fits on one line.
var abbrev = map[string]Status{
	"dr": StatusDraft, "se": StatusSent, "de": StatusDelivered, "ir": StatusInfoRequested,
	"ac": StatusAccepted, "dc": StatusDeclined, "wd": StatusWithdrawn, "hp": StatusHandoverPlanned,
	"hs": StatusHandoverConfirmedBySender, "hr": StatusHandoverConfirmedByRecipient,
	"hf": StatusHandoverFailed, "ho": StatusHandedOver, "ic": StatusInCare, "oh": StatusOnHold,
	"cl": StatusClosed, "cn": StatusCancelled, "ee": StatusEnteredInError,
}

// transitionTable is the expected result of Transition for every status,
// event and side, written out by hand. A cell is the abbreviated target
// status, "--" for a conflict (wrong status) or "xx" for forbidden (wrong
// side). The columns are the events in this order:
var transitionColumns = []Event{
	EventSend, EventDeliver, EventAccept, EventDecline, EventWithdraw, EventRequestInfo,
	EventRespondInfo, EventPlanHandover, EventConfirmHandover, EventRecordService,
	EventRecordFollowUp, EventClose, EventReportHandoverFailed, EventSuspend, EventResume,
	EventCancel, EventMarkEnteredInError,
}

var transitionTable = map[Side]string{
	//        send del  acc  dec  wdr  req  resp plan conf svc  fu   close fail susp resm canc eie
	Sender: `
	dr:       se   xx   xx   xx   --   xx   --   --   --   xx   xx   xx    xx   xx   xx   --   --
	se:       --   xx   xx   xx   wd   xx   --   --   --   xx   xx   xx    xx   xx   xx   --   ee
	de:       --   xx   xx   xx   wd   xx   --   --   --   xx   xx   xx    xx   xx   xx   --   ee
	ir:       --   xx   xx   xx   wd   xx   de   --   --   xx   xx   xx    xx   xx   xx   --   ee
	ac:       --   xx   xx   xx   --   xx   --   hp   --   xx   xx   xx    xx   xx   xx   cn   ee
	dc:       --   xx   xx   xx   --   xx   --   --   --   xx   xx   xx    xx   xx   xx   --   --
	wd:       --   xx   xx   xx   --   xx   --   --   --   xx   xx   xx    xx   xx   xx   --   --
	hp:       --   xx   xx   xx   --   xx   --   hp   hs   xx   xx   xx    xx   xx   xx   cn   ee
	hs:       --   xx   xx   xx   --   xx   --   --   --   xx   xx   xx    xx   xx   xx   --   ee
	hr:       --   xx   xx   xx   --   xx   --   hp   ho   xx   xx   xx    xx   xx   xx   cn   ee
	hf:       --   xx   xx   xx   --   xx   --   hp   --   xx   xx   xx    xx   xx   xx   cn   ee
	ho:       --   xx   xx   xx   --   xx   --   --   --   xx   xx   xx    xx   xx   xx   --   ee
	ic:       --   xx   xx   xx   --   xx   --   --   --   xx   xx   xx    xx   xx   xx   --   ee
	oh:       --   xx   xx   xx   --   xx   --   --   --   xx   xx   xx    xx   xx   xx   --   ee
	cl:       --   xx   xx   xx   --   xx   --   --   --   xx   xx   xx    xx   xx   xx   --   --
	cn:       --   xx   xx   xx   --   xx   --   --   --   xx   xx   xx    xx   xx   xx   --   --
	ee:       --   xx   xx   xx   --   xx   --   --   --   xx   xx   xx    xx   xx   xx   --   --`,
	//        send del  acc  dec  wdr  req  resp plan conf svc  fu   close fail susp resm canc eie
	Recipient: `
	dr:       xx   --   --   --   xx   --   xx   --   --   --   --   --    --   --   --   --   xx
	se:       xx   de   --   --   xx   --   xx   --   --   --   --   --    --   --   --   --   xx
	de:       xx   --   ac   dc   xx   ir   xx   --   --   --   --   --    --   --   --   --   xx
	ir:       xx   --   ac   dc   xx   --   xx   --   --   --   --   --    --   --   --   --   xx
	ac:       xx   --   --   --   xx   --   xx   hp   --   --   --   --    --   --   --   cn   xx
	dc:       xx   --   --   --   xx   --   xx   --   --   --   --   --    --   --   --   --   xx
	wd:       xx   --   --   --   xx   --   xx   --   --   --   --   --    --   --   --   --   xx
	hp:       xx   --   --   --   xx   --   xx   hp   hr   --   --   --    hf   --   --   cn   xx
	hs:       xx   --   --   --   xx   --   xx   hp   ho   --   --   --    hf   --   --   cn   xx
	hr:       xx   --   --   --   xx   --   xx   --   --   --   --   --    --   --   --   --   xx
	hf:       xx   --   --   --   xx   --   xx   --   --   --   --   --    --   --   --   cn   xx
	ho:       xx   --   --   --   xx   --   xx   --   --   ic   ic   cl    --   oh   --   --   xx
	ic:       xx   --   --   --   xx   --   xx   --   --   ic   ic   cl    --   oh   --   --   xx
	oh:       xx   --   --   --   xx   --   xx   --   --   --   --   cl    --   --   ic   --   xx
	cl:       xx   --   --   --   xx   --   xx   --   --   --   --   --    --   --   --   --   xx
	cn:       xx   --   --   --   xx   --   xx   --   --   --   --   --    --   --   --   --   xx
	ee:       xx   --   --   --   xx   --   xx   --   --   --   --   --    --   --   --   --   xx`,
}

func TestTransitionTable(t *testing.T) {
	t.Parallel()
	if len(transitionColumns) != len(Events()) {
		t.Fatalf("table has %d columns for %d events", len(transitionColumns), len(Events()))
	}
	for side, table := range transitionTable {
		rows := strings.Split(strings.TrimSpace(table), "\n")
		if len(rows) != len(Statuses()) {
			t.Fatalf("%s: table has %d rows for %d statuses", side, len(rows), len(Statuses()))
		}
		seen := map[Status]bool{}
		for _, row := range rows {
			cells := strings.Fields(row)
			from, ok := abbrev[strings.TrimSuffix(cells[0], ":")]
			if !ok || len(cells) != 1+len(transitionColumns) {
				t.Fatalf("%s: bad table row %q", side, row)
			}
			seen[from] = true
			for i, ev := range transitionColumns {
				cell := cells[i+1]
				t.Run(string(side)+"/"+string(from)+"/"+string(ev), func(t *testing.T) {
					got, err := Transition(from, ev, side)
					switch cell {
					case "--", "xx":
						want := corridor.KindConflict
						if cell == "xx" {
							want = corridor.KindForbidden
						}
						if err == nil {
							t.Fatalf("Transition = %s, want a %s error", got, want)
						}
						if k := corridor.KindOf(err); k != want {
							t.Fatalf("error kind = %s, want %s (%v)", k, want, err)
						}
						if got != "" {
							t.Errorf("status = %q with an error, want empty", got)
						}
					default:
						want, ok := abbrev[cell]
						if !ok {
							t.Fatalf("bad table cell %q", cell)
						}
						if err != nil || got != want {
							t.Fatalf("Transition = %s, %v; want %s", got, err, want)
						}
					}
				})
			}
		}
		if len(seen) != len(Statuses()) {
			t.Fatalf("%s: table covers %d statuses, want %d", side, len(seen), len(Statuses()))
		}
	}
}

func TestTransitionInvalidValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cur  Status
		ev   Event
		side Side
	}{
		{"empty status", "", EventSend, Sender},
		{"unknown status", "pending", EventSend, Sender},
		{"unknown event", StatusDraft, "revoke", Sender},
		{"empty event", StatusDraft, "", Sender},
		{"unknown side", StatusDraft, EventSend, "both"},
		{"empty side", StatusDelivered, EventAccept, ""},
		{"upper case status", "DRAFT", EventSend, Sender},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Transition(tc.cur, tc.ev, tc.side)
			if k := corridor.KindOf(err); err == nil || k != corridor.KindInvalid {
				t.Fatalf("Transition = %q, %v; want a %s error", got, err, corridor.KindInvalid)
			}
		})
	}
}

func TestActions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cur  Status
		side Side
		want []Event
	}{
		{StatusDraft, Sender, []Event{EventSend}},
		{StatusDraft, Recipient, nil},
		{StatusSent, Recipient, []Event{EventDeliver}},
		{StatusDelivered, Sender, []Event{EventWithdraw, EventMarkEnteredInError}},
		{StatusDelivered, Recipient, []Event{EventAccept, EventDecline, EventRequestInfo}},
		{StatusInfoRequested, Sender, []Event{EventWithdraw, EventRespondInfo, EventMarkEnteredInError}},
		{StatusAccepted, Sender, []Event{EventPlanHandover, EventCancel, EventMarkEnteredInError}},
		{StatusAccepted, Recipient, []Event{EventPlanHandover, EventCancel}},
		{StatusHandoverPlanned, Sender, []Event{EventPlanHandover, EventConfirmHandover, EventCancel, EventMarkEnteredInError}},
		{StatusHandoverPlanned, Recipient, []Event{EventPlanHandover, EventConfirmHandover, EventReportHandoverFailed, EventCancel}},
		{StatusHandoverConfirmedBySender, Sender, []Event{EventMarkEnteredInError}},
		{StatusHandoverConfirmedBySender, Recipient, []Event{EventPlanHandover, EventConfirmHandover, EventReportHandoverFailed, EventCancel}},
		{StatusHandoverFailed, Sender, []Event{EventPlanHandover, EventCancel, EventMarkEnteredInError}},
		{StatusHandoverFailed, Recipient, []Event{EventCancel}},
		{StatusHandedOver, Recipient, []Event{EventRecordService, EventRecordFollowUp, EventClose, EventSuspend}},
		{StatusHandedOver, Sender, []Event{EventMarkEnteredInError}},
		{StatusOnHold, Recipient, []Event{EventClose, EventResume}},
		{StatusCancelled, Sender, nil},
		{StatusEnteredInError, Recipient, nil},
		{StatusClosed, Recipient, nil},
		{"bogus", Recipient, nil},
	}
	for _, tc := range tests {
		got := Actions(tc.cur, tc.side)
		if strings.Join(evs(got), ",") != strings.Join(evs(tc.want), ",") {
			t.Errorf("Actions(%s, %s) = %v, want %v", tc.cur, tc.side, got, tc.want)
		}
	}
}

func evs(in []Event) []string {
	out := make([]string, len(in))
	for i, e := range in {
		out[i] = string(e)
	}
	return out
}

func TestStatusHelpers(t *testing.T) {
	t.Parallel()
	final := map[Status]bool{
		StatusDeclined: true, StatusWithdrawn: true, StatusClosed: true,
		StatusCancelled: true, StatusEnteredInError: true,
	}
	reRefer := map[Status]bool{StatusDeclined: true, StatusWithdrawn: true, StatusCancelled: true}
	for _, s := range Statuses() {
		if !s.Valid() {
			t.Errorf("%s: not valid", s)
		}
		if s.Final() != final[s] {
			t.Errorf("%s: Final = %v", s, s.Final())
		}
		if CanReRefer(s) != reRefer[s] {
			t.Errorf("%s: CanReRefer = %v", s, CanReRefer(s))
		}
		// A final status offers no action to either side.
		if final[s] && len(Actions(s, Sender))+len(Actions(s, Recipient)) > 0 {
			t.Errorf("%s: final but has actions", s)
		}
	}
	if Status("").Valid() || Event("").Valid() || Side("").Valid() {
		t.Error("zero values are valid")
	}
	if Sender.Other() != Recipient || Recipient.Other() != Sender || Side("x").Other() != "" {
		t.Error("Other is wrong")
	}
}
