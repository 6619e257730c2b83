package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/policy"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
	"github.com/corridor-org/corridor/services/casework/internal/store"
)

// MaxListLimit bounds one page of a referral list.
const MaxListLimit = 500

// decisionAllowance is how long the recipient has to decide on a referral
// whose sender set no respond_by date, by urgency. Once the corridor's
// agreed time limits reach casework these give way to them; they are
// written into decision_due_at when a referral is stored, so changing them
// moves no deadline already set.
var decisionAllowance = map[string]time.Duration{
	"asap":    24 * time.Hour,
	"urgent":  3 * 24 * time.Hour,
	"routine": 14 * 24 * time.Hour,
}

// DecisionDue is when a decision on d, stored at created, is due: at the
// end (UTC) of the respond_by date the sender set, otherwise after the
// allowance of its urgency.
func DecisionDue(d *referral.Document, created time.Time) time.Time {
	if t, err := time.Parse(time.DateOnly, d.RespondBy); err == nil {
		return t.AddDate(0, 0, 1).UTC()
	}
	allowance, ok := decisionAllowance[d.Urgency]
	if !ok {
		allowance = decisionAllowance["routine"]
	}
	return created.Add(allowance).UTC()
}

// AwaitingDecision are the statuses in which a referral still waits for
// the recipient's decision: sent, and those the recipient may accept from.
// (Which step is due, and so what overdue means, is Due's.)
func AwaitingDecision() []cases.Status {
	out := []cases.Status{cases.StatusSent}
	for _, s := range cases.Statuses() {
		if _, err := cases.Transition(s, cases.EventAccept, cases.Recipient); err == nil && s != cases.StatusSent {
			out = append(out, s)
		}
	}
	return out
}

// childNames are the child's names in d, as one text for the name search.
func childNames(d *referral.Document) string {
	c := d.Child
	parts := []string{c.Name.FullName, c.Name.GivenNames, c.Name.FamilyNames}
	if n := c.NameLocalScript; n != nil {
		parts = append(parts, n.FullName, n.GivenNames, n.FamilyNames)
	}
	parts = append(parts, c.OtherNames...)
	return strings.Join(parts, " ")
}

// withListKeys sets what the lists order and search r by, from its
// document: call it before store.Insert.
func withListKeys(r store.Referral, d *referral.Document) store.Referral {
	r.DecisionDueAt = DecisionDue(d, r.CreatedAt)
	// A referral is stored awaiting its decision.
	r.DueStep, r.DueAt = DueDecision, r.DecisionDueAt
	r.ChildName = childNames(d)
	return r
}

// ListFilter is what a caller asks of a list: one direction, in one order,
// narrowed by the filters that are set.
type ListFilter struct {
	Direction store.Direction
	Order     store.Order
	Statuses  []cases.Status
	Urgencies []string
	// Overdue keeps the referrals whose due step is past its time.
	Overdue bool
	CaseRef string
	// Name is searched in the child's names, in this country's database
	// only, ignoring case and accents.
	Name string
	// AssignedToMe keeps the referrals assigned to the caller; Unassigned
	// those assigned to nobody.
	AssignedToMe bool
	Unassigned   bool
	Before       *store.Cursor
	Limit        int
}

// ListPage is one page of a list.
type ListPage struct {
	Referrals []Referral
	// Next starts the next page; nil on the last one.
	Next *store.Cursor
}

// List returns a page of the referrals the caller's agency sent or
// received, with their documents (for the list's names and urgency) but
// not their history.
func (s *Service) List(ctx context.Context, c Caller, f ListFilter) (ListPage, error) {
	if err := s.Authorize(c, policy.ListWork); err != nil {
		return ListPage{}, err
	}
	if f.Limit < 1 || f.Limit > MaxListLimit {
		return ListPage{}, corridor.Invalid("The query has invalid parameters.",
			corridor.FieldError{Field: "limit", Message: fmt.Sprintf("must be an integer from 1 to %d", MaxListLimit)})
	}
	q := store.ListQuery{
		Agency: c.Agency, Direction: f.Direction, Order: f.Order,
		Statuses: f.Statuses, Urgencies: f.Urgencies, CaseRef: f.CaseRef, Name: f.Name,
		Unassigned: f.Unassigned, Before: f.Before, Limit: f.Limit,
	}
	if f.Overdue {
		q.Overdue = &store.Overdue{At: s.now().UTC()}
	}
	if f.AssignedToMe {
		q.Assignee = c.UserID
	}
	rows, next, err := store.List(ctx, s.pool, q)
	if err != nil {
		return ListPage{}, err
	}
	out := make([]Referral, 0, len(rows))
	for _, r := range rows {
		var d referral.Document
		if err := json.Unmarshal(r.Details, &d); err != nil {
			return ListPage{}, fmt.Errorf("decode stored referral: %w", err)
		}
		out = append(out, Referral{Referral: r, Document: &d})
	}
	return ListPage{Referrals: out, Next: next}, nil
}

// assigneeField is the user a referral is assigned to: the subject of its
// tokens. OpenID Connect subjects are at most 255 ASCII characters.
type assigneeField struct {
	Assignee string `json:"assignee" validate:"required,max=255,printascii"`
}

// Assign records that the caller, a supervisor of the agency holding the
// referral id, gave it to assignee: a user of that agency, by the subject
// of the user's tokens. Casework cannot list the identity provider's users,
// so it records the id as given. An empty assignee unassigns the referral.
// Assignment is this country's own business: it changes no status and
// sends nothing across the border.
func (s *Service) Assign(ctx context.Context, c Caller, id, assignee string) (Referral, error) {
	if err := s.Authorize(c, policy.AssignCase); err != nil {
		return Referral{}, err
	}
	if assignee != "" {
		if err := s.validator.Struct(&assigneeField{Assignee: assignee}); err != nil {
			return Referral{}, err
		}
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := store.GetForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.authorizeCase(c, r, policy.AssignCase); err != nil {
			return err
		}
		return store.Assign(ctx, tx, id, assignee, c.UserID, now)
	})
	if err != nil {
		return Referral{}, fmt.Errorf("assign referral: %w", err)
	}
	msg := "referral assigned"
	if assignee == "" {
		msg = "referral unassigned"
	}
	s.logger.LogAttrs(ctx, slog.LevelInfo, msg,
		slog.String("referral_id", id), slog.String("by_agency", c.Agency))
	return s.Get(ctx, c, id)
}

// Overview counts the referrals the caller's agency holds, by side and
// status, for its supervisor.
func (s *Service) Overview(ctx context.Context, c Caller) ([]store.StatusCount, error) {
	if err := s.Authorize(c, policy.OverseeAgency); err != nil {
		return nil, err
	}
	return store.CountByStatus(ctx, s.pool, c.Agency, s.now().UTC())
}
