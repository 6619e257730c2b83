package workflow

import (
	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/store"
)

// Actions returns what a user may do to r now: the events pkg/cases allows
// r's side in its status, among those a user causes (events.New has a body
// for them: every event but sending and delivery). The API lists them as a
// referral's actions and the pages offer a form for each.
func Actions(r store.Referral) []cases.Event {
	var out []cases.Event
	for _, ev := range cases.Actions(r.Status, r.Side) {
		if _, ok := events.New(ev); ok {
			out = append(out, ev)
		}
	}
	return out
}
