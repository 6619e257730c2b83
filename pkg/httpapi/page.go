package httpapi

import (
	"net/url"
	"strconv"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// LimitParam reads the "limit" query parameter of a list: def when absent.
// A value that is not an integer from 1 to max gives a field error naming
// "limit" for the caller to report with the others.
func LimitParam(q url.Values, def, max int) (int, []corridor.FieldError) {
	s := q.Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, []corridor.FieldError{{Field: "limit", Message: "must be an integer from 1 to " + strconv.Itoa(max)}}
	}
	return n, nil
}

// BeforeIDParam reads the "before" query parameter of a list paged by a
// numeric id, newest first: 0 when absent (from the newest). A value that
// is not a positive integer gives a field error naming "before".
func BeforeIDParam(q url.Values) (int64, []corridor.FieldError) {
	s := q.Get("before")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, []corridor.FieldError{{Field: "before", Message: "must be a positive integer, the next_before of an earlier page"}}
	}
	return n, nil
}
