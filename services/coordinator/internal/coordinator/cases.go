package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
)

// DueLimits returns the directory's time limits as the due rule takes them.
func DueLimits(l directory.TimeLimits) cases.DueLimits {
	return cases.DueLimits{
		Decision:            l.RespondWithin(),
		InformationResponse: l.InformationResponseWithin(),
		Handover:            l.HandoverWithin(),
		FollowUpEvery:       l.FollowUpEvery(),
	}
}

// StoreEvent stores ev and, when it is new, brings its case's row up to
// date in the same transaction, under a lock on the case reference: two
// events of one case stored at once would each recompute the case without
// the other.
func StoreEvent(ctx context.Context, db pgx.Tx, ev Event, limits cases.DueLimits) (bool, error) {
	if err := lockCase(ctx, db, ev.CaseRef); err != nil {
		return false, err
	}
	inserted, err := InsertEvent(ctx, db, ev)
	if err != nil || !inserted {
		return inserted, err
	}
	return true, RefreshCase(ctx, db, ev.CaseRef, limits)
}

// lockCase takes the transaction's lock on case caseRef's row computation.
func lockCase(ctx context.Context, tx pgx.Tx, caseRef string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('coordinator case ' || $1, 0))`, caseRef); err != nil {
		return fmt.Errorf("lock case: %w", err)
	}
	return nil
}

// caseEvent is what the case row is computed from.
type caseEvent struct {
	referralID, milestone                                        string
	senderMember, senderAgency, recipientMember, recipientAgency string
	at                                                           time.Time
	sector, ageBand, sex, stillWorking, previousReferralID       string
	identifiedAt                                                 *time.Time
}

// RefreshCase recomputes the row of case caseRef from its events.
func RefreshCase(ctx context.Context, db DB, caseRef string, limits cases.DueLimits) error {
	rows, err := db.Query(ctx, `
		SELECT referral_id, milestone, sender_member, sender_agency, recipient_member, recipient_agency,
			at, sector, age_band, sex, still_working, previous_referral_id, identified_at
		FROM tracking_events
		WHERE case_ref = $1
		ORDER BY at, event_id`, caseRef)
	if err != nil {
		return fmt.Errorf("refresh case: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (caseEvent, error) {
		var e caseEvent
		err := row.Scan(&e.referralID, &e.milestone, &e.senderMember, &e.senderAgency, &e.recipientMember,
			&e.recipientAgency, &e.at, &e.sector, &e.ageBand, &e.sex, &e.stillWorking, &e.previousReferralID,
			&e.identifiedAt)
		return e, err
	})
	if err != nil {
		return fmt.Errorf("refresh case: %w", err)
	}
	if len(events) == 0 {
		return nil
	}
	row := summarize(events, limits)
	_, err = db.Exec(ctx, `
		INSERT INTO coordinator_cases (case_ref, referral_id, sender_member, sender_agency, recipient_member,
			recipient_agency, milestone, opened_at, last_step_at, sector, age_band, sex, identified_at,
			referrals, due_step, due_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (case_ref) DO UPDATE SET
			referral_id = excluded.referral_id, sender_member = excluded.sender_member,
			sender_agency = excluded.sender_agency, recipient_member = excluded.recipient_member,
			recipient_agency = excluded.recipient_agency, milestone = excluded.milestone,
			opened_at = excluded.opened_at, last_step_at = excluded.last_step_at, sector = excluded.sector,
			age_band = excluded.age_band, sex = excluded.sex, identified_at = excluded.identified_at,
			referrals = excluded.referrals, due_step = excluded.due_step, due_at = excluded.due_at`,
		caseRef, row.ReferralID, row.SenderMember, row.SenderAgency, row.RecipientMember, row.RecipientAgency,
		row.LatestMilestone, row.OpenedAt, row.UpdatedAt, row.Sector, row.AgeBand, row.Sex,
		optionalTime(row.IdentifiedAt), row.Referrals, string(row.DueStep), optionalTime(row.DueAt))
	if err != nil {
		return fmt.Errorf("refresh case: %w", err)
	}
	return nil
}

// summarize computes a case's row from its events, oldest first. The
// current referral is the one sent last: a re-referral follows an ended
// one under the same case reference.
func summarize(events []caseEvent, limits cases.DueLimits) CaseSummary {
	opened := map[string]time.Time{}
	var order []string
	for _, e := range events {
		if _, ok := opened[e.referralID]; !ok {
			opened[e.referralID] = e.at
			order = append(order, e.referralID)
		}
		if e.milestone == string(cases.MilestoneReferralSent) {
			opened[e.referralID] = e.at
		}
	}
	current := order[0]
	for _, id := range order[1:] {
		if !opened[id].Before(opened[current]) {
			current = id
		}
	}
	s := CaseSummary{ReferralID: current, Referrals: len(order), OpenedAt: events[0].at.UTC()}
	var milestones []cases.MilestoneAt
	for _, e := range events {
		s.UpdatedAt = e.at.UTC()
		if e.referralID == current {
			s.SenderMember, s.SenderAgency = e.senderMember, e.senderAgency
			s.RecipientMember, s.RecipientAgency = e.recipientMember, e.recipientAgency
			s.LatestMilestone = e.milestone
			milestones = append(milestones, cases.MilestoneAt{Milestone: cases.Milestone(e.milestone), At: e.at, StillWorking: e.stillWorking})
		}
		if s.Sector == "" {
			s.Sector = e.sector
		}
		if s.AgeBand == "" {
			s.AgeBand = e.ageBand
		}
		if s.Sex == "" {
			s.Sex = e.sex
		}
		if s.IdentifiedAt.IsZero() && e.identifiedAt != nil {
			s.IdentifiedAt = e.identifiedAt.UTC()
		}
	}
	s.DueStep, s.DueAt = cases.NextDue(milestones, limits)
	return s
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// limitsKey is the stored form of the time limits the case rows were
// computed with.
func limitsKey(l cases.DueLimits) string {
	b, _ := json.Marshal(l) // four durations: cannot fail
	return string(b)
}

// refreshAllBatch is how many cases one transaction recomputes when the
// time limits change.
const refreshAllBatch = 500

// EnsureDueLimits recomputes every case's row when the time limits differ
// from those the rows were computed with (and on the first start, for the
// events stored before the rows existed), and reports whether it did.
func EnsureDueLimits(ctx context.Context, db *pgxpool.Pool, limits cases.DueLimits) (bool, error) {
	key := limitsKey(limits)
	var stored string
	err := db.QueryRow(ctx, `SELECT limits FROM coordinator_due_limits`).Scan(&stored)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("read time limits: %w", err)
	}
	if stored == key {
		return false, nil
	}
	after := ""
	for {
		rows, err := db.Query(ctx, `
			SELECT DISTINCT case_ref FROM tracking_events WHERE case_ref > $1 ORDER BY case_ref LIMIT $2`,
			after, refreshAllBatch)
		if err != nil {
			return false, fmt.Errorf("recompute cases: %w", err)
		}
		refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return false, fmt.Errorf("recompute cases: %w", err)
		}
		for _, ref := range refs {
			// Under the case's lock, as StoreEvent: an event stored
			// meanwhile is not overwritten by a row computed without it.
			err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
				if err := lockCase(ctx, tx, ref); err != nil {
					return err
				}
				return RefreshCase(ctx, tx, ref, limits)
			})
			if err != nil {
				return false, err
			}
		}
		if len(refs) < refreshAllBatch {
			break
		}
		after = refs[len(refs)-1]
	}
	if _, err := db.Exec(ctx, `
		INSERT INTO coordinator_due_limits (limits) VALUES ($1)
		ON CONFLICT (id) DO UPDATE SET limits = excluded.limits`, key); err != nil {
		return false, fmt.Errorf("store time limits: %w", err)
	}
	return true, nil
}

// CaseFilter selects and pages the case list. Empty fields select all.
type CaseFilter struct {
	Milestone       string
	SenderMember    string
	RecipientMember string
	AgeBand         string
	Sector          string
	// Overdue, when set, keeps the overdue cases (true) or the others.
	Overdue *bool
	Limit   int
	// Before continues after the last case of an earlier page.
	Before *CaseCursor
}

// CaseCursor is where a page of the case list ended: its list is ordered
// by last step, latest first, then by reference.
type CaseCursor struct {
	LastStepAt time.Time
	CaseRef    string
}

// CasePage is a page of cases; Next is set when more follow.
type CasePage struct {
	Items []CaseSummary
	Next  *CaseCursor
}

const caseColumns = `case_ref, referral_id, sender_member, sender_agency, recipient_member, recipient_agency,
	milestone, opened_at, last_step_at, sector, age_band, sex, identified_at, referrals, due_step, due_at`

func scanCase(now time.Time) pgx.RowToFunc[CaseSummary] {
	return func(row pgx.CollectableRow) (CaseSummary, error) {
		var c CaseSummary
		var identifiedAt, dueAt *time.Time
		var step string
		if err := row.Scan(&c.CaseRef, &c.ReferralID, &c.SenderMember, &c.SenderAgency, &c.RecipientMember,
			&c.RecipientAgency, &c.LatestMilestone, &c.OpenedAt, &c.UpdatedAt, &c.Sector, &c.AgeBand, &c.Sex,
			&identifiedAt, &c.Referrals, &step, &dueAt); err != nil {
			return c, err
		}
		c.OpenedAt, c.UpdatedAt = c.OpenedAt.UTC(), c.UpdatedAt.UTC()
		if identifiedAt != nil {
			c.IdentifiedAt = identifiedAt.UTC()
		}
		c.DueStep = cases.DueStep(step)
		if dueAt != nil {
			c.DueAt = dueAt.UTC()
		}
		c.setClock(now)
		return c, nil
	}
}

// setClock fills in what depends on the time of asking.
func (c *CaseSummary) setClock(now time.Time) {
	c.DaysSinceLastStep = wholeDays(now.Sub(c.UpdatedAt))
	c.Overdue = cases.IsOverdue(c.DueAt, now)
	if c.Overdue {
		c.DaysOverdue = wholeDays(now.Sub(c.DueAt))
	}
}

func wholeDays(d time.Duration) int {
	if d < 0 {
		return 0
	}
	return int(d / (24 * time.Hour))
}

// ListCases returns a page of cases matching f, the most recently active
// first, as of now.
func ListCases(ctx context.Context, db DB, f CaseFilter, now time.Time) (CasePage, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	for _, eq := range []struct{ column, value string }{
		{"milestone", f.Milestone}, {"sender_member", f.SenderMember}, {"recipient_member", f.RecipientMember},
		{"age_band", f.AgeBand}, {"sector", f.Sector},
	} {
		if eq.value != "" {
			where = append(where, eq.column+" = "+arg(eq.value))
		}
	}
	if f.Overdue != nil {
		if *f.Overdue {
			where = append(where, "due_at < "+arg(now))
		} else {
			where = append(where, "(due_at IS NULL OR due_at >= "+arg(now)+")")
		}
	}
	if f.Before != nil {
		where = append(where, "(last_step_at, case_ref) < ("+arg(f.Before.LastStepAt)+", "+arg(f.Before.CaseRef)+")")
	}
	sql := `SELECT ` + caseColumns + ` FROM coordinator_cases`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	// One more than asked tells whether another page follows.
	sql += " ORDER BY last_step_at DESC, case_ref DESC LIMIT " + arg(f.Limit+1)
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return CasePage{}, fmt.Errorf("list cases: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanCase(now))
	if err != nil {
		return CasePage{}, fmt.Errorf("list cases: %w", err)
	}
	page := CasePage{Items: items}
	if len(items) > f.Limit {
		page.Items = items[:f.Limit]
		last := page.Items[f.Limit-1]
		page.Next = &CaseCursor{LastStepAt: last.UpdatedAt, CaseRef: last.CaseRef}
	}
	return page, nil
}

// OverdueFilter selects and pages the overdue list.
type OverdueFilter struct {
	// Step, when set, keeps the cases overdue on that step.
	Step   cases.DueStep
	Limit  int
	Before *OverdueCursor
}

// OverdueCursor is where a page of the overdue list ended: its list is
// ordered by due time, earliest (most overdue) first, then by reference.
type OverdueCursor struct {
	DueAt   time.Time
	CaseRef string
}

// OverduePage is a page of overdue cases; Next is set when more follow.
type OverduePage struct {
	Items []CaseSummary
	Next  *OverdueCursor
}

// ListOverdue returns a page of the cases overdue at now, most overdue
// first. It reads the coordinator_cases_due index from its start to now, so
// its cost is that of the page, not of the open cases.
func ListOverdue(ctx context.Context, db DB, f OverdueFilter, now time.Time) (OverduePage, error) {
	args := []any{now, f.Limit + 1}
	sql := `SELECT ` + caseColumns + ` FROM coordinator_cases WHERE due_at IS NOT NULL AND due_at < $1`
	if f.Step != "" {
		args = append(args, string(f.Step))
		sql += ` AND due_step = $3`
	}
	if f.Before != nil {
		args = append(args, f.Before.DueAt, f.Before.CaseRef)
		n := len(args)
		sql += fmt.Sprintf(` AND (due_at, case_ref) > ($%d, $%d)`, n-1, n)
	}
	sql += ` ORDER BY due_at, case_ref LIMIT $2`
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return OverduePage{}, fmt.Errorf("list overdue cases: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanCase(now))
	if err != nil {
		return OverduePage{}, fmt.Errorf("list overdue cases: %w", err)
	}
	page := OverduePage{Items: items}
	if len(items) > f.Limit {
		page.Items = items[:f.Limit]
		last := page.Items[f.Limit-1]
		page.Next = &OverdueCursor{DueAt: last.DueAt, CaseRef: last.CaseRef}
	}
	return page, nil
}

// GetCase returns one case with its timeline, every referral under its
// reference included, oldest milestone first; or a KindNotFound error.
func GetCase(ctx context.Context, db DB, caseRef string, now time.Time) (Case, error) {
	rows, err := db.Query(ctx, `SELECT `+caseColumns+` FROM coordinator_cases WHERE case_ref = $1`, caseRef)
	if err != nil {
		return Case{}, fmt.Errorf("get case: %w", err)
	}
	summary, err := pgx.CollectExactlyOneRow(rows, scanCase(now))
	if errors.Is(err, pgx.ErrNoRows) {
		return Case{}, corridor.Errorf(corridor.KindNotFound, "No case has this reference.")
	}
	if err != nil {
		return Case{}, fmt.Errorf("get case: %w", err)
	}
	rows, err = db.Query(ctx, `
		SELECT milestone, member, at, referral_id, recipient_member, recipient_agency, previous_referral_id,
			identified_at, service_type, at_home, in_school, still_working, at_risk, closure_reason
		FROM tracking_events
		WHERE case_ref = $1
		ORDER BY at, event_id`, caseRef)
	if err != nil {
		return Case{}, fmt.Errorf("get case timeline: %w", err)
	}
	timeline, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (TimelineEntry, error) {
		var e TimelineEntry
		var identifiedAt *time.Time
		err := row.Scan(&e.Milestone, &e.Member, &e.At, &e.ReferralID, &e.RecipientMember, &e.RecipientAgency,
			&e.PreviousReferralID, &identifiedAt, &e.ServiceType, &e.AtHome, &e.InSchool, &e.StillWorking,
			&e.AtRisk, &e.ClosureReason)
		e.At = e.At.UTC()
		if identifiedAt != nil {
			e.IdentifiedAt = identifiedAt.UTC()
		}
		return e, err
	})
	if err != nil {
		return Case{}, fmt.Errorf("get case timeline: %w", err)
	}
	return Case{CaseSummary: summary, Timeline: timeline, ReferralChain: referralChain(timeline)}, nil
}

// referralChain lists the referrals of a timeline in the order they were
// first seen, each with the referral it re-refers.
func referralChain(timeline []TimelineEntry) []ReferralLink {
	var out []ReferralLink
	index := map[string]int{}
	for _, e := range timeline {
		i, ok := index[e.ReferralID]
		if !ok {
			i = len(out)
			index[e.ReferralID] = i
			out = append(out, ReferralLink{ReferralID: e.ReferralID, OpenedAt: e.At})
		}
		l := &out[i]
		l.RecipientMember, l.RecipientAgency, l.LatestMilestone = e.RecipientMember, e.RecipientAgency, e.Milestone
		if e.PreviousReferralID != "" {
			l.PreviousReferralID = e.PreviousReferralID
		}
	}
	return out
}

// ReferralLink is one referral of a case: a re-referral names the one it
// follows.
type ReferralLink struct {
	ReferralID         string    `json:"referral_id"`
	PreviousReferralID string    `json:"previous_referral_id,omitempty"`
	RecipientMember    string    `json:"recipient_member"`
	RecipientAgency    string    `json:"recipient_agency"`
	LatestMilestone    string    `json:"latest_milestone"`
	OpenedAt           time.Time `json:"opened_at"`
}

// MemberFreshness is when the coordinator last received an event a member
// reported, and whether that is too long ago.
type MemberFreshness struct {
	Member corridor.MemberCode `json:"member"`
	// LastReceivedAt is zero when the member never reported an event.
	LastReceivedAt time.Time `json:"last_received_at,omitzero"`
	// HoursSinceLast is absent when the member never reported one.
	HoursSinceLast *int `json:"hours_since_last,omitempty"`
	// OutOfContact: nothing received for longer than the threshold, or
	// never.
	OutOfContact bool `json:"out_of_contact"`
}

// Freshness returns each member's freshness at now; a member is out of
// contact when nothing it reported has arrived for longer than after.
func Freshness(ctx context.Context, db DB, members []corridor.MemberCode, now time.Time, after time.Duration) ([]MemberFreshness, error) {
	codes := make([]string, len(members))
	for i, m := range members {
		codes[i] = string(m)
	}
	// One index look-up per member (tracking_events_member_received).
	rows, err := db.Query(ctx, `
		SELECT m, (SELECT max(received_at) FROM tracking_events WHERE member = m)
		FROM unnest($1::text[]) WITH ORDINALITY AS u(m, n)
		ORDER BY n`, codes)
	if err != nil {
		return nil, fmt.Errorf("read member freshness: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (MemberFreshness, error) {
		var f MemberFreshness
		var last *time.Time
		if err := row.Scan(&f.Member, &last); err != nil {
			return f, err
		}
		if last == nil {
			f.OutOfContact = true
			return f, nil
		}
		f.LastReceivedAt = last.UTC()
		h := int(max(now.Sub(*last), 0) / time.Hour)
		f.HoursSinceLast = &h
		f.OutOfContact = now.Sub(*last) > after
		return f, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read member freshness: %w", err)
	}
	return out, nil
}
