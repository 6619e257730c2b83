package coordinator

import (
	"encoding/hex"
	"net/http"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
)

// Quarantine list bounds.
const (
	defaultQuarantineLimit = 100
	maxQuarantineLimit     = 500
)

// quarantineItem is a refused event as the API shows it: exactly what the
// coordinator stored, which is where, when and why, and a digest with which
// an operator can find the message in the INBOX stream or compare it with
// what its sender published. The bytes are never stored, so never served.
type quarantineItem struct {
	Quarantined
	SHA256 string `json:"sha256"` // hex; shadows the stored digest
}

type quarantineList struct {
	Items []quarantineItem `json:"items"`
	// NextBefore, set when older events remain, is the before= value of
	// the next page.
	NextBefore int64 `json:"next_before,omitempty"`
}

// handleListQuarantine answers GET /api/v1/quarantine: the tracking events
// the coordinator refused, newest first, a page at a time, so that a person
// sees every event that could not be processed without database access.
func (c *Coordinator) handleListQuarantine(w http.ResponseWriter, r *http.Request) {
	limit, before, err := quarantinePage(r)
	if err != nil {
		httpapi.Error(w, r, c.logger, err)
		return
	}
	// One more than asked tells whether another page follows.
	rows, err := ListQuarantine(r.Context(), c.cfg.Pool, before, limit+1)
	if err != nil {
		httpapi.Error(w, r, c.logger, unavailable(err))
		return
	}
	out := quarantineList{Items: make([]quarantineItem, 0, min(len(rows), limit))}
	for i, q := range rows {
		if i == limit {
			out.NextBefore = rows[limit-1].ID
			break
		}
		out.Items = append(out.Items, quarantineItem{Quarantined: q, SHA256: hex.EncodeToString(q.SHA256[:])})
	}
	_ = httpapi.WriteJSON(w, http.StatusOK, out)
}

// quarantinePage reads the limit and before query parameters, naming each
// one at fault.
func quarantinePage(r *http.Request) (limit int, before int64, err error) {
	q := r.URL.Query()
	limit, fields := httpapi.LimitParam(q, defaultQuarantineLimit, maxQuarantineLimit)
	before, bad := httpapi.BeforeIDParam(q)
	if fields = append(fields, bad...); len(fields) > 0 {
		return 0, 0, corridor.Invalid("Invalid query parameters.", fields...)
	}
	return limit, before, nil
}
