package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/services/casework/internal/events"
)

// Record is what one event recorded: its body, when and by whom. By is the
// acting user's subject at the acting side, which may be the other
// country.
type Record[T any] struct {
	Body T
	Side cases.Side // the side that acted
	At   time.Time
	By   string
}

// InfoRequest is an information request and, once it came, its answer.
type InfoRequest struct {
	Record[events.RequestInfo]
	Response *Record[events.AnswerRecord]
}

// Lifecycle is everything recorded about a referral after it was sent.
type Lifecycle struct {
	InfoRequests  []InfoRequest                    // oldest first
	Plans         []Record[events.PlanHandover]    // by revision, then side
	Confirmations []Record[events.ConfirmHandover] // in the order made
	Services      []Record[events.RecordService]   // by service id
	FollowUps     []Record[events.RecordFollowUp]  // by visit date
	Closure       *Record[events.Close]
}

// InsertInfoRequest stores an information request. The request's side is
// always the recipient's.
func InsertInfoRequest(ctx context.Context, db DB, referralID string, r Record[events.RequestInfo]) error {
	body, err := json.Marshal(r.Body)
	if err != nil {
		return fmt.Errorf("insert information request: %w", err)
	}
	return insert(ctx, db, "insert information request", `
		INSERT INTO referral_info_requests (referral_id, request_id, body, requested_at, requested_by)
		VALUES ($1, $2, $3, $4, $5)`, referralID, r.Body.RequestID, body, r.At, r.By)
}

// InfoRequestByID returns one information request of a referral, or a
// KindNotFound error.
func InfoRequestByID(ctx context.Context, db DB, referralID, requestID string) (InfoRequest, error) {
	reqs, err := infoRequests(ctx, db, `WHERE referral_id = $1 AND request_id = $2`, referralID, requestID)
	if err != nil {
		return InfoRequest{}, err
	}
	if len(reqs) == 0 {
		return InfoRequest{}, corridor.Errorf(corridor.KindNotFound, "no such information request")
	}
	return reqs[0], nil
}

// AnswerInfoRequest stores the answer to an information request; an
// answered request, or none, is a KindConflict or KindNotFound error.
func AnswerInfoRequest(ctx context.Context, db DB, referralID string, r Record[events.AnswerRecord]) error {
	b, err := json.Marshal(r.Body)
	if err != nil {
		return fmt.Errorf("answer information request: %w", err)
	}
	tag, err := db.Exec(ctx, `
		UPDATE referral_info_requests SET response = $3, answered_at = $4, answered_by = $5
		WHERE referral_id = $1 AND request_id = $2 AND response IS NULL`,
		referralID, r.Body.RequestID, b, r.At, r.By)
	if err != nil {
		return fmt.Errorf("answer information request: %w", err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := InfoRequestByID(ctx, db, referralID, r.Body.RequestID); err != nil {
			return err
		}
		return corridor.Errorf(corridor.KindConflict, "the information request is already answered")
	}
	return nil
}

// InsertHandoverPlan stores a handover proposal.
func InsertHandoverPlan(ctx context.Context, db DB, referralID string, r Record[events.PlanHandover]) error {
	body, err := json.Marshal(r.Body)
	if err != nil {
		return fmt.Errorf("insert handover plan: %w", err)
	}
	return insert(ctx, db, "insert handover plan", `
		INSERT INTO referral_handover_plans (referral_id, revision, proposed_by, body, proposed_at, proposed_by_user)
		VALUES ($1, $2, $3, $4, $5, $6)`, referralID, r.Body.Revision, r.Body.ProposedBy, body, r.At, r.By)
}

// InsertHandoverConfirmation stores a handover confirmation.
func InsertHandoverConfirmation(ctx context.Context, db DB, referralID string, r Record[events.ConfirmHandover]) error {
	body, err := json.Marshal(r.Body)
	if err != nil {
		return fmt.Errorf("insert handover confirmation: %w", err)
	}
	return insert(ctx, db, "insert handover confirmation", `
		INSERT INTO referral_handover_confirmations (referral_id, side, revision, plan_by, body, confirmed_at, confirmed_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, referralID, r.Body.Side, r.Body.Revision, r.Body.PlanBy, body, r.At, r.By)
}

// UpsertService stores a service, replacing an earlier record of it.
func UpsertService(ctx context.Context, db DB, referralID string, r Record[events.RecordService]) error {
	body, err := json.Marshal(r.Body)
	if err != nil {
		return fmt.Errorf("record service: %w", err)
	}
	return insert(ctx, db, "record service", `
		INSERT INTO referral_services (referral_id, service_id, body, recorded_at, recorded_by)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (referral_id, service_id) DO UPDATE
		SET body = excluded.body, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by`,
		referralID, r.Body.ServiceID, body, r.At, r.By)
}

// ServiceExists reports whether the referral has the service serviceID.
func ServiceExists(ctx context.Context, db DB, referralID, serviceID string) (bool, error) {
	var ok bool
	err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM referral_services WHERE referral_id = $1 AND service_id = $2)`,
		referralID, serviceID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up service: %w", err)
	}
	return ok, nil
}

// InsertFollowUp stores a follow-up.
func InsertFollowUp(ctx context.Context, db DB, referralID string, r Record[events.RecordFollowUp]) error {
	body, err := json.Marshal(r.Body)
	if err != nil {
		return fmt.Errorf("insert follow-up: %w", err)
	}
	return insert(ctx, db, "insert follow-up", `
		INSERT INTO referral_follow_ups (referral_id, follow_up_id, visit_date, body, recorded_at, recorded_by)
		VALUES ($1, $2, $3, $4, $5, $6)`, referralID, r.Body.FollowUpID, r.Body.Date, body, r.At, r.By)
}

// InsertClosure stores the case's closure.
func InsertClosure(ctx context.Context, db DB, referralID string, r Record[events.Close]) error {
	body, err := json.Marshal(r.Body)
	if err != nil {
		return fmt.Errorf("insert closure: %w", err)
	}
	return insert(ctx, db, "insert closure", `
		INSERT INTO referral_closures (referral_id, body, closed_at, closed_by) VALUES ($1, $2, $3, $4)`,
		referralID, body, r.At, r.By)
}

// insert runs an insert; a duplicate key is a KindConflict error.
func insert(ctx context.Context, db DB, what, sql string, args ...any) error {
	if _, err := db.Exec(ctx, sql, args...); err != nil {
		if isUniqueViolation(err) {
			return &corridor.Error{Kind: corridor.KindConflict, Message: what + ": already recorded", Err: err}
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// LoadLifecycle returns everything recorded about a referral after it was
// sent.
func LoadLifecycle(ctx context.Context, db DB, referralID string) (Lifecycle, error) {
	var l Lifecycle
	var err error
	if l.InfoRequests, err = infoRequests(ctx, db, `WHERE referral_id = $1`, referralID); err != nil {
		return l, err
	}
	if l.Plans, err = HandoverPlans(ctx, db, referralID); err != nil {
		return l, err
	}
	if l.Confirmations, err = HandoverConfirmations(ctx, db, referralID); err != nil {
		return l, err
	}
	if l.Services, err = records[events.RecordService](ctx, db, "list services", `
		SELECT body, recorded_at, recorded_by, '' FROM referral_services WHERE referral_id = $1 ORDER BY service_id`,
		func(b *events.RecordService, _ string) {}, referralID); err != nil {
		return l, err
	}
	if l.FollowUps, err = records[events.RecordFollowUp](ctx, db, "list follow-ups", `
		SELECT body, recorded_at, recorded_by, follow_up_id FROM referral_follow_ups WHERE referral_id = $1
		ORDER BY visit_date, recorded_at, follow_up_id`,
		func(b *events.RecordFollowUp, id string) { b.FollowUpID = id }, referralID); err != nil {
		return l, err
	}
	closures, err := records[events.Close](ctx, db, "get closure", `
		SELECT body, closed_at, closed_by, '' FROM referral_closures WHERE referral_id = $1`,
		func(*events.Close, string) {}, referralID)
	if err != nil {
		return l, err
	}
	if len(closures) > 0 {
		l.Closure = &closures[0]
		l.Closure.Side = cases.Recipient
	}
	for i := range l.Services {
		l.Services[i].Side = cases.Recipient
	}
	for i := range l.FollowUps {
		l.FollowUps[i].Side = cases.Recipient
	}
	return l, nil
}

// HandoverPlans returns a referral's handover proposals by revision, the
// sender's before the recipient's of one revision.
func HandoverPlans(ctx context.Context, db DB, referralID string) ([]Record[events.PlanHandover], error) {
	plans, err := records[events.PlanHandover](ctx, db, "list handover plans", `
		SELECT body, proposed_at, proposed_by_user, revision || ' ' || proposed_by FROM referral_handover_plans
		WHERE referral_id = $1 ORDER BY revision, proposed_by DESC`,
		func(b *events.PlanHandover, key string) {
			var side string
			_, _ = fmt.Sscanf(key, "%d %s", &b.Revision, &side)
			b.ProposedBy = cases.Side(side)
		}, referralID)
	for i := range plans {
		plans[i].Side = plans[i].Body.ProposedBy
	}
	return plans, err
}

// HandoverConfirmations returns a referral's handover confirmations in the
// order they were made, by the confirming side's clock: the same order on
// both sides, whichever arrived first.
func HandoverConfirmations(ctx context.Context, db DB, referralID string) ([]Record[events.ConfirmHandover], error) {
	confs, err := records[events.ConfirmHandover](ctx, db, "list handover confirmations", `
		SELECT body, confirmed_at, confirmed_by, revision || ' ' || side || ' ' || plan_by
		FROM referral_handover_confirmations WHERE referral_id = $1 ORDER BY confirmed_at, side, seq`,
		func(b *events.ConfirmHandover, key string) {
			var side, planBy string
			_, _ = fmt.Sscanf(key, "%d %s %s", &b.Revision, &side, &planBy)
			b.Side, b.PlanBy = cases.Side(side), cases.Side(planBy)
		}, referralID)
	for i := range confs {
		confs[i].Side = confs[i].Body.Side
	}
	return confs, err
}

// records runs a query of (body, at, by, key) rows; fill sets the body's
// fields that are columns rather than JSON, from key.
func records[T any](ctx context.Context, db DB, what, sql string, fill func(*T, string), args ...any) ([]Record[T], error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Record[T], error) {
		var r Record[T]
		var body []byte
		var key string
		if err := row.Scan(&body, &r.At, &r.By, &key); err != nil {
			return r, err
		}
		if err := json.Unmarshal(body, &r.Body); err != nil {
			return r, err
		}
		fill(&r.Body, key)
		r.At = r.At.UTC()
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func infoRequests(ctx context.Context, db DB, where string, args ...any) ([]InfoRequest, error) {
	rows, err := db.Query(ctx, `
		SELECT request_id, body, requested_at, requested_by, response, answered_at, coalesce(answered_by, '')
		FROM referral_info_requests `+where+` ORDER BY requested_at, request_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list information requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (InfoRequest, error) {
		var r InfoRequest
		var id, answeredBy string
		var body, response []byte
		var answeredAt *time.Time
		if err := row.Scan(&id, &body, &r.At, &r.By, &response, &answeredAt, &answeredBy); err != nil {
			return r, err
		}
		if err := json.Unmarshal(body, &r.Body); err != nil {
			return r, err
		}
		r.Body.RequestID, r.Side, r.At = id, cases.Recipient, r.At.UTC()
		if response != nil && answeredAt != nil {
			resp := &Record[events.AnswerRecord]{Side: cases.Sender, At: answeredAt.UTC(), By: answeredBy}
			if err := json.Unmarshal(response, &resp.Body); err != nil {
				return r, err
			}
			r.Response = resp
		}
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list information requests: %w", err)
	}
	return out, nil
}

func isUniqueViolation(err error) bool {
	var pgErr interface{ SQLState() string }
	return errors.As(err, &pgErr) && pgErr.SQLState() == "23505"
}
