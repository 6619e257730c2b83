package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
)

// Order is the order of a list. Each is a total order on keys that never
// change once a referral is stored, so that a page boundary stays put:
// paging neither repeats nor skips a referral while others are added or
// change status.
type Order string

// The orders.
const (
	// Newest: created_at, then id, descending.
	Newest Order = "newest"
	// Urgent: asap before urgent before routine, then the earliest
	// decision_due_at, then id.
	Urgent Order = "urgent"
)

// Cursor is the last referral of a page, in the terms of its order: the
// next page starts after it.
type Cursor struct {
	Order Order
	// ID breaks ties in both orders.
	ID string
	// CreatedAt is the Newest key.
	CreatedAt time.Time
	// UrgencyRank (0 asap, 1 urgent, 2 routine) and DecisionDueAt are the
	// Urgent key.
	UrgencyRank   int
	DecisionDueAt time.Time
}

// Overdue selects the referrals whose due step (Referral.DueStep) was due
// before At.
type Overdue struct {
	At time.Time
}

// ListQuery is one page of an agency's list. The zero values of the
// filters select everything.
type ListQuery struct {
	Agency    string // the holding agency: the sender's outgoing, the recipient's incoming
	Direction Direction
	Order     Order
	Statuses  []cases.Status
	Urgencies []string
	Overdue   *Overdue
	CaseRef   string
	// Name is searched anywhere in the child's names, normalised as they
	// are (casework_name_key): without accents, in any case.
	Name string
	// Assignee selects the referrals assigned to this user; Unassigned
	// those assigned to nobody.
	Assignee   string
	Unassigned bool
	Before     *Cursor // nil: from the start
	Limit      int
}

// List returns up to q.Limit referrals of q.Agency in q.Order, and the
// cursor of the next page (nil on the last). The query is built from the
// filters present only, so that the planner sees each combination as it is
// and picks the index that fits it.
func List(ctx context.Context, db DB, q ListQuery) ([]Referral, *Cursor, error) {
	var side cases.Side
	switch q.Direction {
	case Outgoing:
		side = cases.Sender
	case Incoming:
		side = cases.Recipient
	default:
		return nil, nil, corridor.Errorf(corridor.KindInvalid, "unknown direction %q", q.Direction)
	}
	if q.Limit < 1 {
		return nil, nil, corridor.Errorf(corridor.KindInvalid, "list limit %d is not positive", q.Limit)
	}
	if q.Before != nil && q.Before.Order != q.Order {
		return nil, nil, corridor.Errorf(corridor.KindInvalid, "the cursor is for another order")
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := []string{"holder_agency = " + arg(q.Agency), "side = " + arg(side)}
	if len(q.Statuses) > 0 {
		where = append(where, "status = ANY("+arg(q.Statuses)+"::text[])")
	}
	if len(q.Urgencies) > 0 {
		where = append(where, "urgency = ANY("+arg(q.Urgencies)+"::text[])")
	}
	if o := q.Overdue; o != nil {
		// The one definition of overdue for lists: the due step, which
		// every transition sets, is past.
		where = append(where, "due_at < "+arg(o.At))
	}
	if q.CaseRef != "" {
		where = append(where, "case_ref = "+arg(q.CaseRef))
	}
	if q.Name != "" {
		// Normalised as the stored names were, apart from the query so
		// that the planner sees the pattern itself and can tell a common
		// name (walk the list's order) from a rare one (the trigram
		// index). LIKE's own characters are escaped first; normalising
		// leaves them be.
		var key string
		if err := db.QueryRow(ctx, `SELECT casework_name_key($1)`, likeEscape(q.Name)).Scan(&key); err != nil {
			return nil, nil, fmt.Errorf("list referrals: normalise the name: %w", err)
		}
		where = append(where, "child_name_key LIKE "+arg("%"+key+"%"))
	}
	switch {
	case q.Assignee != "":
		where = append(where, "assignee = "+arg(q.Assignee))
	case q.Unassigned:
		where = append(where, "assignee IS NULL")
	}
	var order string
	switch q.Order {
	case Newest:
		order = "created_at DESC, id DESC"
		if b := q.Before; b != nil {
			where = append(where, "(created_at, id) < ("+arg(b.CreatedAt)+"::timestamptz, "+arg(b.ID)+"::text)")
		}
	case Urgent:
		order = "urgency_rank, decision_due_at, id"
		if b := q.Before; b != nil {
			where = append(where, "(urgency_rank, decision_due_at, id) > ("+arg(b.UrgencyRank)+"::smallint, "+
				arg(b.DecisionDueAt)+"::timestamptz, "+arg(b.ID)+"::text)")
		}
	default:
		return nil, nil, corridor.Errorf(corridor.KindInvalid, "unknown order %q", q.Order)
	}
	// One more than asked tells whether another page follows.
	sql := `SELECT ` + referralColumns + `, urgency_rank FROM referrals
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY ` + order + ` LIMIT ` + arg(q.Limit+1)
	// An unnamed statement is planned for its parameters each time: the
	// best plan for one agency, status or name is not the best for all.
	rows, err := db.Query(ctx, sql, append([]any{pgx.QueryExecModeDescribeExec}, args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("list referrals: %w", err)
	}
	var ranks []int
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Referral, error) {
		var rank int
		r, err := scanWith(row, &rank)
		ranks = append(ranks, rank)
		return r, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list referrals: %w", err)
	}
	if len(out) <= q.Limit {
		return out, nil, nil
	}
	last := out[q.Limit-1]
	next := &Cursor{Order: q.Order, ID: last.ID}
	switch q.Order {
	case Newest:
		next.CreatedAt = last.CreatedAt
	case Urgent:
		next.UrgencyRank, next.DecisionDueAt = ranks[q.Limit-1], last.DecisionDueAt
	}
	return out[:q.Limit], next, nil
}

// likeEscape makes s match itself in a LIKE pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Assign records that by assigned the referral id to assignee at at; an
// empty assignee unassigns it (and clears who assigned it, and when).
func Assign(ctx context.Context, db DB, id, assignee, by string, at time.Time) error {
	tag, err := db.Exec(ctx, `
		UPDATE referrals SET assignee = nullif($2, ''),
			assigned_by = CASE WHEN $2 = '' THEN NULL ELSE $3 END,
			assigned_at = CASE WHEN $2 = '' THEN NULL ELSE $4::timestamptz END,
			updated_at = $4
		WHERE id = $1`, id, assignee, by, at)
	if err != nil {
		return fmt.Errorf("assign referral: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return corridor.Errorf(corridor.KindNotFound, "no such referral")
	}
	return nil
}

// StatusCount is how many of an agency's referrals are on one side in one
// status, and how many of them are overdue.
type StatusCount struct {
	Side    cases.Side
	Status  cases.Status
	Count   int
	Overdue int
	// Unassigned counts those assigned to nobody.
	Unassigned int
}

// CountByStatus counts agency's referrals by side and status, overdue
// meaning as in List: the due step was due before at.
func CountByStatus(ctx context.Context, db DB, agency string, at time.Time) ([]StatusCount, error) {
	rows, err := db.Query(ctx, `
		SELECT side, status, count(*), count(*) FILTER (WHERE due_at < $2), count(*) FILTER (WHERE assignee IS NULL)
		FROM referrals WHERE holder_agency = $1
		GROUP BY side, status ORDER BY side, status`, agency, at)
	if err != nil {
		return nil, fmt.Errorf("count referrals: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (StatusCount, error) {
		var c StatusCount
		err := row.Scan(&c.Side, &c.Status, &c.Count, &c.Overdue, &c.Unassigned)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("count referrals: %w", err)
	}
	return out, nil
}
