// Package query reads the query parameters of casework's lists, for the
// API and the web pages alike, and writes the opaque page cursors they
// return: one reading of each parameter, so that a page's link and an API
// call mean the same.
package query

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/services/casework/internal/store"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// DefaultListLimit is the page size of a referral list when the caller does
// not say.
const DefaultListLimit = 100

// Bounds of the name search: fewer than three characters would match too
// much to be a search (and no trigram can narrow it).
const (
	minNameQuery = 3
	maxNameQuery = 200
)

// Urgencies are the urgency codes, most urgent first.
var Urgencies = []string{"asap", "urgent", "routine"}

// DefaultFailedLimit is the page size of the failed list when the caller
// does not say.
const DefaultFailedLimit = 100

// ListFilter reads a referral list's query parameters, naming every one at
// fault: direction, sort, status, urgency, overdue, case_ref, q (a name),
// assigned, limit and before.
func ListFilter(q url.Values) (workflow.ListFilter, error) {
	var f workflow.ListFilter
	var fields []corridor.FieldError
	bad := func(field, message string) {
		fields = append(fields, corridor.FieldError{Field: field, Message: message})
	}
	f.Direction = store.Direction(q.Get("direction"))
	if f.Direction != store.Outgoing && f.Direction != store.Incoming {
		bad("direction", "must be one of: outgoing, incoming")
	}
	switch sort := q.Get("sort"); sort {
	case "", string(store.Newest):
		f.Order = store.Newest
	case string(store.Urgent):
		f.Order = store.Urgent
	default:
		bad("sort", "must be one of: newest, urgent")
	}
	for _, v := range listValues(q, "status") {
		st := cases.Status(v)
		if !st.Valid() {
			bad("status", "must be statuses from the Status list, comma-separated or repeated")
			break
		}
		if !slices.Contains(f.Statuses, st) {
			f.Statuses = append(f.Statuses, st)
		}
	}
	for _, v := range listValues(q, "urgency") {
		if !slices.Contains(Urgencies, v) {
			bad("urgency", "must be among: asap, urgent, routine, comma-separated or repeated")
			break
		}
		if !slices.Contains(f.Urgencies, v) {
			f.Urgencies = append(f.Urgencies, v)
		}
	}
	switch q.Get("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		bad("overdue", "must be true or false")
	}
	if v := q.Get("case_ref"); v != "" {
		if !corridor.IsCode(v) {
			bad("case_ref", "must be a case reference")
		}
		f.CaseRef = v
	}
	if v, ok := q["q"]; ok {
		name := strings.Join(strings.Fields(strings.Join(v, " ")), " ")
		if n := utf8.RuneCountInString(name); n < minNameQuery || n > maxNameQuery || !utf8.ValidString(name) || !printable(name) {
			bad("q", "must be "+strconv.Itoa(minNameQuery)+" to "+strconv.Itoa(maxNameQuery)+" printable characters of a name")
		}
		f.Name = name
	}
	switch q.Get("assigned") {
	case "":
	case "me":
		f.AssignedToMe = true
	case "none":
		f.Unassigned = true
	default:
		bad("assigned", "must be one of: me, none")
	}
	limit, lf := httpapi.LimitParam(q, DefaultListLimit, workflow.MaxListLimit)
	fields = append(fields, lf...)
	f.Limit = limit
	if v := q.Get("before"); v != "" && f.Order != "" {
		cur, ok := decodeListCursor(v, f.Order)
		if !ok {
			bad("before", "must be the next_before of an earlier page in the same sort")
		} else {
			f.Before = &cur
		}
	}
	if len(fields) > 0 {
		return workflow.ListFilter{}, corridor.Invalid("The query has invalid parameters.", fields...)
	}
	return f, nil
}

// listValues are the values of a parameter that may be repeated and
// comma-separated (status=delivered,accepted&status=in_care).
func listValues(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		out = append(out, strings.Split(v, ",")...)
	}
	return out
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// EncodeListCursor makes the before= value of a page boundary: the order's
// name, its keys, then the id, which breaks ties.
func EncodeListCursor(c store.Cursor) string {
	if c.Order == store.Urgent {
		return httpapi.PackCursor(string(c.Order), strconv.Itoa(c.UrgencyRank), httpapi.FormatMicros(c.DecisionDueAt), c.ID)
	}
	return httpapi.PackCursor(string(c.Order), httpapi.FormatMicros(c.CreatedAt), c.ID)
}

// decodeListCursor reads what EncodeListCursor made for order, and refuses
// anything else: a cursor of the other order would start the page at the
// wrong place.
func decodeListCursor(s string, order store.Order) (store.Cursor, bool) {
	n := 3
	if order == store.Urgent {
		n = 4
	}
	keys, ok := httpapi.UnpackCursor(s, n)
	if !ok || keys[0] != string(order) || !corridor.IsCode(keys[n-1]) {
		return store.Cursor{}, false
	}
	c := store.Cursor{Order: order, ID: keys[n-1]}
	if order == store.Newest {
		c.CreatedAt, ok = httpapi.ParseMicros(keys[1])
		return c, ok
	}
	rank, err := strconv.Atoi(keys[1])
	if err != nil || rank < 0 || rank > 3 {
		return store.Cursor{}, false
	}
	c.UrgencyRank = rank
	c.DecisionDueAt, ok = httpapi.ParseMicros(keys[2])
	return c, ok
}

// FailedPage reads the failed inbox list's limit and before query
// parameters, naming each one at fault.
func FailedPage(q url.Values) (int, *exchange.FailedCursor, error) {
	limit, fields := httpapi.LimitParam(q, DefaultFailedLimit, workflow.MaxFailedLimit)
	var before *exchange.FailedCursor
	if v := q.Get("before"); v != "" {
		cur, ok := decodeFailedCursor(v)
		if !ok {
			fields = append(fields, corridor.FieldError{Field: "before", Message: "must be the next_before of an earlier page"})
		} else {
			before = &cur
		}
	}
	if len(fields) > 0 {
		return 0, nil, corridor.Invalid("The query has invalid parameters.", fields...)
	}
	return limit, before, nil
}

// EncodeFailedCursor makes the opaque before= value of a page boundary: the
// received time and the message id, which breaks ties.
func EncodeFailedCursor(c exchange.FailedCursor) string {
	return httpapi.PackCursor(httpapi.FormatMicros(c.ReceivedAt), c.MessageID)
}

// decodeFailedCursor reads what EncodeFailedCursor made, and refuses anything else.
func decodeFailedCursor(s string) (exchange.FailedCursor, bool) {
	keys, ok := httpapi.UnpackCursor(s, 2)
	if !ok || !corridor.IsCode(keys[1]) {
		return exchange.FailedCursor{}, false
	}
	t, ok := httpapi.ParseMicros(keys[0])
	if !ok {
		return exchange.FailedCursor{}, false
	}
	return exchange.FailedCursor{ReceivedAt: t, MessageID: keys[1]}, true
}
