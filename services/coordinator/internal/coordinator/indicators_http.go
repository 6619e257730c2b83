package coordinator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/indicatorset"
)

// maxPeriods bounds how many periods one query may span.
const maxPeriods = 120

// rangeQuery reads period, from and to ("2026-01", the months of the
// first and last period, both included) and aligns them on periods. The
// default is the twelve periods up to the current one.
func rangeQuery(v url.Values, now time.Time, defaultPeriod Period) (p Period, from, to time.Time, fields []corridor.FieldError) {
	p = defaultPeriod
	if s := v.Get("period"); s != "" {
		p = Period(s)
		if !p.Valid() {
			fields = append(fields, corridor.FieldError{Field: "period", Message: "must be month, quarter or year"})
			p = defaultPeriod
		}
	}
	month := func(name string) (time.Time, bool) {
		s := v.Get(name)
		if s == "" {
			return time.Time{}, false
		}
		t, err := time.Parse("2006-01", s)
		if err != nil || t.Year() < 2000 || t.Year() > 2999 {
			fields = append(fields, corridor.FieldError{Field: name, Message: "must be a month, YYYY-MM"})
			return time.Time{}, false
		}
		return t, true
	}
	last, ok := month("to")
	if !ok {
		last = now
	}
	to = p.Next(p.Start(last))
	first, ok := month("from")
	if !ok {
		first = to.AddDate(0, -12*p.months(), 0)
	}
	from = p.Start(first)
	if !from.Before(to) {
		fields = append(fields, corridor.FieldError{Field: "from", Message: "must not be after to"})
	} else if from.AddDate(0, maxPeriods*p.months(), 0).Before(to) {
		fields = append(fields, corridor.FieldError{Field: "from", Message: fmt.Sprintf("must be at most %d periods before to", maxPeriods)})
	}
	return p, from, to, fields
}

// checkParams refuses query parameters the endpoint does not know: a
// misspelt filter must not silently return everything.
func checkParams(v url.Values, known ...string) []corridor.FieldError {
	var fields []corridor.FieldError
	for name := range v {
		if !slices.Contains(known, name) {
			fields = append(fields, corridor.FieldError{Field: name, Message: "is not a parameter of this endpoint"})
		}
	}
	slices.SortFunc(fields, func(a, b corridor.FieldError) int { return cmp.Compare(a.Field, b.Field) })
	return fields
}

func (c *Coordinator) directoryFor(w http.ResponseWriter, r *http.Request) (*directory.Directory, bool) {
	dir, err := c.cfg.Directory.Current(r.Context())
	if err != nil {
		httpapi.Error(w, r, c.logger, &corridor.Error{Kind: corridor.KindUnavailable, Message: "The corridor directory is not available.", Err: err})
		return nil, false
	}
	return dir, true
}

// ParseIndicatorQuery reads the indicators' query parameters (the API's
// and the pages'), naming each one at fault; the direction is checked
// against dir.
func ParseIndicatorQuery(v url.Values, dir *directory.Directory, now time.Time) (IndicatorQuery, error) {
	fields := checkParams(v, "period", "from", "to", "direction", "breakdown")
	p, from, to, more := rangeQuery(v, now, PeriodQuarter)
	fields = append(fields, more...)
	q := IndicatorQuery{Period: p, From: from, To: to, By: v.Get("breakdown")}
	if q.By != "" && !slices.Contains(Breakdowns(), q.By) {
		fields = append(fields, corridor.FieldError{Field: "breakdown", Message: "must be sector, age_band, sex or closure_reason"})
	}
	if s := v.Get("direction"); s != "" {
		if _, _, err := ParseDirection(dir, s); err != nil {
			fields = append(fields, corridor.FieldError{Field: "direction", Message: "must be two member codes of the corridor, from-to (CI-BF)"})
		}
		q.Direction = s
	}
	if len(fields) > 0 {
		return IndicatorQuery{}, corridor.Invalid("Invalid query parameters.", fields...)
	}
	return q, nil
}

// ParseTargetRange reads the targets' query parameters: the months of the
// first and last period, both included, by default the last twelve months.
func ParseTargetRange(v url.Values, now time.Time) (from, to time.Time, err error) {
	fields := checkParams(v, "from", "to")
	_, from, to, more := rangeQuery(v, now, PeriodMonth)
	fields = append(fields, more...)
	if len(fields) > 0 {
		return time.Time{}, time.Time{}, corridor.Invalid("Invalid query parameters.", fields...)
	}
	return from, to, nil
}

func (c *Coordinator) handleIndicators(w http.ResponseWriter, r *http.Request) {
	dir, ok := c.directoryFor(w, r)
	if !ok {
		return
	}
	q, err := ParseIndicatorQuery(r.URL.Query(), dir, c.cfg.Now())
	if err != nil {
		httpapi.Error(w, r, c.logger, err)
		return
	}
	out, err := ComputeIndicators(r.Context(), c.cfg.Pool, dir, q)
	if err != nil {
		httpapi.Error(w, r, c.logger, unavailable(err))
		return
	}
	_ = httpapi.WriteJSON(w, http.StatusOK, out)
}

type targetList struct {
	From  string           `json:"from"`
	To    string           `json:"to"`
	Items []TargetProgress `json:"items"`
}

func (c *Coordinator) handleTargets(w http.ResponseWriter, r *http.Request) {
	from, to, err := ParseTargetRange(r.URL.Query(), c.cfg.Now())
	if err != nil {
		httpapi.Error(w, r, c.logger, err)
		return
	}
	dir, ok := c.directoryFor(w, r)
	if !ok {
		return
	}
	items, err := ComputeTargets(r.Context(), c.cfg.Pool, dir, from, to)
	if err != nil {
		httpapi.Error(w, r, c.logger, unavailable(err))
		return
	}
	_ = httpapi.WriteJSON(w, http.StatusOK, targetList{From: from.Format("2006-01"), To: to.AddDate(0, -1, 0).Format("2006-01"), Items: items})
}

// setRequest asks for an indicator set to be published.
type setRequest struct {
	Period string `json:"period" validate:"required,oneof=month quarter year"`
	From   string `json:"from" validate:"required"`
	To     string `json:"to" validate:"required"`
}

// setView is a published set as the API serves it: the signed bytes
// (base64 in JSON), which are authoritative, and their contents for
// reading.
type setView struct {
	ID               string          `json:"id"`
	Corridor         string          `json:"corridor"`
	IssuedAt         time.Time       `json:"issued_at"`
	Period           string          `json:"period"`
	From             string          `json:"from"`
	To               string          `json:"to"`
	DirectoryVersion int64           `json:"directory_version"`
	Figures          json.RawMessage `json:"figures"`
	Members          []setMember     `json:"members"`
	Signed           []byte          `json:"signed"`
}

type setMember struct {
	Member string `json:"member"`
	Events int    `json:"events"`
}

func (c *Coordinator) handlePublishSet(w http.ResponseWriter, r *http.Request) {
	var req setRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		httpapi.Error(w, r, c.logger, err)
		return
	}
	if err := c.verifier.validate.Check("Invalid indicator set request.", req); err != nil {
		httpapi.Error(w, r, c.logger, err)
		return
	}
	p, from, to, fields := rangeQuery(url.Values{"period": {req.Period}, "from": {req.From}, "to": {req.To}}, c.cfg.Now(), PeriodQuarter)
	if len(fields) > 0 {
		httpapi.Error(w, r, c.logger, corridor.Invalid("Invalid indicator set request.", fields...))
		return
	}
	dir, ok := c.directoryFor(w, r)
	if !ok {
		return
	}
	set, created, err := PublishSet(r.Context(), c.cfg.Pool, dir, c.cfg.SetSigner, p, from, to, c.cfg.Now())
	if err != nil {
		if corridor.KindOf(err) != corridor.KindUnavailable {
			err = unavailable(err)
		}
		httpapi.Error(w, r, c.logger, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK // the newest set of the range says the same
	}
	c.writeSet(w, r, dir, set, status)
}

type setList struct {
	Items []SetSummary `json:"items"`
}

// handleListSets answers GET /api/v1/indicators/sets: the newest published
// sets, of one period length with ?period=, so that a member finds the set
// to verify.
func (c *Coordinator) handleListSets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fields := checkParams(q, "period", "limit")
	limit, more := httpapi.LimitParam(q, defaultListLimit, maxListLimit)
	fields = append(fields, more...)
	p := Period(q.Get("period"))
	if p != "" && !p.Valid() {
		fields = append(fields, corridor.FieldError{Field: "period", Message: "must be month, quarter or year"})
	}
	if len(fields) > 0 {
		httpapi.Error(w, r, c.logger, corridor.Invalid("Invalid query parameters.", fields...))
		return
	}
	items, err := ListSets(r.Context(), c.cfg.Pool, p, limit)
	if err != nil {
		httpapi.Error(w, r, c.logger, unavailable(err))
		return
	}
	_ = httpapi.WriteJSON(w, http.StatusOK, setList{Items: nonNil(items)})
}

// LatestSet is the id that names the newest published set of the most
// recent range (of the period length given by ?period=): the one URL a
// member's verification can keep using while sets are re-issued.
const LatestSet = "latest"

func (c *Coordinator) handleGetSet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !corridor.IsCode(id) {
		httpapi.Error(w, r, c.logger, corridor.Errorf(corridor.KindNotFound, "No indicator set has this id."))
		return
	}
	if id == LatestSet {
		q := r.URL.Query()
		fields := checkParams(q, "period")
		p := Period(q.Get("period"))
		if p != "" && !p.Valid() {
			fields = append(fields, corridor.FieldError{Field: "period", Message: "must be month, quarter or year"})
		}
		if len(fields) > 0 {
			httpapi.Error(w, r, c.logger, corridor.Invalid("Invalid query parameters.", fields...))
			return
		}
		newest, err := NewestSet(r.Context(), c.cfg.Pool, p)
		c.serveSet(w, r, newest, err)
		return
	}
	set, err := GetSet(r.Context(), c.cfg.Pool, id)
	c.serveSet(w, r, set, err)
}

// serveSet answers with set, or with the error of reading it.
func (c *Coordinator) serveSet(w http.ResponseWriter, r *http.Request, set PublishedSet, err error) {
	if corridor.KindOf(err) == corridor.KindNotFound {
		httpapi.Error(w, r, c.logger, err)
		return
	}
	if err != nil {
		httpapi.Error(w, r, c.logger, unavailable(err))
		return
	}
	dir, ok := c.directoryFor(w, r)
	if !ok {
		return
	}
	c.writeSet(w, r, dir, set, http.StatusOK)
}

func (c *Coordinator) writeSet(w http.ResponseWriter, r *http.Request, dir *directory.Directory, set PublishedSet, status int) {
	s, err := indicatorset.Open(dir, set.Signed)
	if err != nil {
		// A set signed with a key the directory no longer lists is still
		// served; its contents are not shown unverified.
		c.logger.WarnContext(r.Context(), "indicator set does not verify with the current directory", "set_id", set.ID, "error", err)
		_ = httpapi.WriteJSON(w, status, setView{ID: set.ID, Signed: set.Signed, Figures: json.RawMessage("null"), Members: []setMember{}})
		return
	}
	view := setView{
		ID: set.ID, Corridor: s.GetCorridor(), IssuedAt: time.UnixMicro(s.GetIssuedAt()).UTC(), Period: s.GetPeriod(),
		From: s.GetFrom(), To: s.GetTo(), DirectoryVersion: s.GetDirectoryVersion(), Figures: s.GetFigures(),
		Members: []setMember{}, Signed: set.Signed,
	}
	for _, m := range s.GetMembers() {
		view.Members = append(view.Members, setMember{Member: m.GetMember(), Events: len(m.GetEvents())})
	}
	_ = httpapi.WriteJSON(w, status, view)
}
