package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/policy"
	"github.com/corridor-org/corridor/services/casework/internal/codec"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
	"github.com/corridor-org/corridor/services/casework/internal/store"
)

// Act causes the event that body records on the referral id, on the
// caller's behalf. The policy must let the caller act on it (pkg/policy:
// the caller's agency holds it, and an inspector filed it or was assigned
// it), and the caller's side must be allowed the event in the referral's
// status (pkg/cases decides). The new status, the event's record, the
// history row and the outbox message that tells the other side commit
// together. Where closures need approval, a caseworker's close is kept as
// a request instead (closure.go).
//
// A non-empty key is the client's Idempotency-Key: a request the caller made
// before with the same key and body changes nothing and returns the
// referral as it now stands, with replayed set.
func (s *Service) Act(ctx context.Context, c Caller, id string, body events.Body, key string) (ref Referral, replayed bool, err error) {
	if err := s.Authorize(c, policy.ActOnCase); err != nil {
		return Referral{}, false, err
	}
	if err := s.events.Validate(body); err != nil {
		return Referral{}, false, err
	}
	ev := body.Event()
	now := s.now().UTC().Truncate(time.Microsecond)
	err = store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := store.GetForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.authorizeCase(c, r, policy.ActOnCase); err != nil {
			return err
		}
		if key != "" {
			// Before the rules: a retry of a request that succeeded would
			// no longer fit the status it moved the referral to.
			prior, err := store.ClaimIdempotencyKey(ctx, tx, c.UserID, key, fingerprint(ev, id, body), id, now)
			if err != nil || prior != "" {
				replayed = prior != ""
				return err
			}
		}
		if ev == cases.EventClose {
			if s.closureNeedsApproval(c, r) {
				return s.requestClosure(ctx, tx, c, r, body, now)
			}
			// A closing that needs no approval settles any request waiting.
			if _, err := store.TakeClosure(ctx, tx, r.ID); err != nil {
				return err
			}
		}
		return s.cause(ctx, tx, c, r, body, now)
	})
	if err != nil {
		return Referral{}, false, fmt.Errorf("%s referral: %w", ev, err)
	}
	ref, err = s.Get(ctx, c, id)
	return ref, replayed, err
}

// cause causes body's event on r, locked in tx, on the caller's behalf: the
// new status, the event's record, the history row and the outbox message
// that tells the other side.
func (s *Service) cause(ctx context.Context, tx pgx.Tx, c Caller, r store.Referral, body events.Body, now time.Time) error {
	ev := body.Event()
	next, err := cases.Transition(r.Status, ev, r.Side)
	if err != nil {
		return err
	}
	if err := s.prepare(ctx, tx, r, body); err != nil {
		return err
	}
	var d referral.Document
	if err := json.Unmarshal(r.Details, &d); err != nil {
		return fmt.Errorf("decode stored referral: %w", err)
	}
	if b, ok := body.(*events.RespondInfo); ok && len(b.Groups()) > 0 {
		if err := s.correct(ctx, tx, r, &d, b, c, now); err != nil {
			return err
		}
	}
	m := events.Message{ReferralID: r.ID, Base: r.Status, At: now, By: c.UserID, Body: body}
	t, payload, err := codec.Encode(m)
	if err != nil {
		return err
	}
	msg := s.outbox(r, t, payload, trackEvent(tracking(ev, next, &d, now), body))
	if err := record(ctx, tx, r.ID, r.Side, m); err != nil {
		return err
	}
	if err := store.SetStatus(ctx, tx, r.ID, next, decisionOf(body), now); err != nil {
		return err
	}
	code, note := reasonOf(body)
	if err := store.AppendEvent(ctx, tx, r.ID, store.Event{
		At: now, Event: ev, ActorSide: r.Side, ActorMember: s.cfg.Member, Actor: c.UserID,
		FromStatus: r.Status, ToStatus: next, MessageID: msg.MessageID, ReasonCode: code, Note: note,
	}); err != nil {
		return err
	}
	if err := s.refreshDue(ctx, tx, r.ID); err != nil {
		return err
	}
	return exchange.Enqueue(ctx, tx, msg)
}

// fingerprint is what an Idempotency-Key stands for: the event, the
// referral and the body as decoded, before casework completed it.
func fingerprint(ev cases.Event, referralID string, body any) []byte {
	b, _ := json.Marshal(body) // bodies are plain structs of strings and numbers
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", ev, referralID)
	h.Write(b)
	return h.Sum(nil)
}

// prepare completes a body that this side is about to send with what
// casework adds (identifiers, the plan's revision, the confirming side) and
// checks it against what the referral already holds. Its errors are the
// caller's: KindInvalid naming a field, or KindConflict.
func (s *Service) prepare(ctx context.Context, tx pgx.Tx, r store.Referral, body events.Body) error {
	switch b := body.(type) {
	case *events.Decline:
		if b.ReasonCode == "" {
			b.ReasonCode = "other"
		}
	case *events.RequestInfo:
		b.RequestID = corridor.NewID("req-")
		used := map[string]bool{}
		for _, q := range b.Items {
			used[q.ID] = true
		}
		n := 0
		for i := range b.Items {
			for b.Items[i].ID == "" {
				n++
				if id := "q" + strconv.Itoa(n); !used[id] {
					b.Items[i].ID, used[id] = id, true
				}
			}
		}
	case *events.RespondInfo:
		req, err := store.InfoRequestByID(ctx, tx, r.ID, b.RequestID)
		if corridor.KindOf(err) == corridor.KindNotFound {
			return corridor.Invalid("The request has invalid fields.",
				corridor.FieldError{Field: "request_id", Message: "is not an information request of this referral"})
		}
		if err != nil {
			return err
		}
		if req.Response != nil {
			return corridor.Errorf(corridor.KindConflict, "the information request %s is already answered", b.RequestID)
		}
		var fields []corridor.FieldError
		for i, a := range b.Items {
			if !slices.ContainsFunc(req.Body.Items, func(q events.Question) bool { return q.ID == a.QuestionID }) {
				fields = append(fields, corridor.FieldError{Field: fmt.Sprintf("items[%d].question_id", i),
					Message: "is not a question of the information request"})
			}
		}
		if len(fields) > 0 {
			return corridor.Invalid("The request has invalid fields.", fields...)
		}
	case *events.PlanHandover:
		plans, err := store.HandoverPlans(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		b.ProposedBy, b.Revision = r.Side, 1
		if len(plans) > 0 {
			b.Revision = plans[len(plans)-1].Body.Revision + 1
		}
	case *events.ConfirmHandover:
		plans, err := store.HandoverPlans(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		confs, err := store.HandoverConfirmations(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		plan := PlanInForce(r.Status, plans, confs)
		if plan == nil {
			return corridor.Errorf(corridor.KindConflict, "there is no handover plan to confirm")
		}
		if plan.Body.Revision != b.Revision {
			return corridor.Errorf(corridor.KindConflict,
				"revision %d is not the handover plan in force, which is revision %d", b.Revision, plan.Body.Revision)
		}
		b.Side, b.PlanBy = r.Side, plan.Body.ProposedBy
	case *events.RecordService:
		if b.ServiceID == "" {
			b.ServiceID = corridor.NewID("svc-")
			break
		}
		ok, err := store.ServiceExists(ctx, tx, r.ID, b.ServiceID)
		if err != nil {
			return err
		}
		if !ok {
			return corridor.Invalid("The request has invalid fields.",
				corridor.FieldError{Field: "service_id", Message: "is not a service of this referral; leave it out to record a new one"})
		}
	case *events.RecordFollowUp:
		if b.Date < r.CreatedAt.Format(events.DateLayout) {
			return corridor.Invalid("The request has invalid fields.",
				corridor.FieldError{Field: "date", Message: "must not be before the referral was filed"})
		}
		b.FollowUpID = corridor.NewID("fu-")
	}
	return nil
}

// correct replaces the groups of the sender's document d that the answer
// b carries, after checking them as when filing, and stores the document.
// The groups b sends are the stored ones, normalized and with any consent
// override attributed to the caller.
func (s *Service) correct(ctx context.Context, tx pgx.Tx, r store.Referral, d *referral.Document, b *events.RespondInfo, c Caller, now time.Time) error {
	groups := b.Groups()
	b.UpdateDocument(d)
	if err := s.validator.ValidateGroups(d, c, groups); err != nil {
		return err
	}
	d.Normalize()
	if o := d.Consent.Override; o != nil && b.Consent != nil {
		o.By, o.Role, o.DecidedAt = c.UserID, string(corridor.RoleSupervisor), now.Format(time.RFC3339Nano)
	}
	// Send what is stored: the corrected groups as normalized.
	for _, g := range groups {
		switch g {
		case "child":
			b.Child = &d.Child
		case "family":
			b.Family = &d.Family
		case "consent":
			b.Consent = &d.Consent
		case "best_interests":
			b.BestInterests = &d.BestInterests
		case "work":
			b.Work = &d.Work
		case "trafficking":
			b.Trafficking = d.Trafficking
		}
	}
	return saveDocument(ctx, tx, r, d)
}

// saveDocument stores d as referral r's document, with the list keys it
// gives.
func saveDocument(ctx context.Context, tx pgx.Tx, r store.Referral, d *referral.Document) error {
	details, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode referral: %w", err)
	}
	return store.SetDetails(ctx, tx, r.ID, details, childNames(d))
}

// record stores what the event m recorded, made by side: by this side, or
// by the other and applied here. Events that record nothing beyond their
// history row (accept, decline, withdraw) store nothing here.
func record(ctx context.Context, tx pgx.Tx, referralID string, side cases.Side, m events.Message) error {
	switch b := m.Body.(type) {
	case *events.RequestInfo:
		return store.InsertInfoRequest(ctx, tx, referralID, store.Record[events.RequestInfo]{Body: *b, Side: side, At: m.At, By: m.By})
	case *events.RespondInfo:
		return store.AnswerInfoRequest(ctx, tx, referralID, store.Record[events.AnswerRecord]{Body: b.Record(), Side: side, At: m.At, By: m.By})
	case *events.PlanHandover:
		return store.InsertHandoverPlan(ctx, tx, referralID, store.Record[events.PlanHandover]{Body: *b, Side: side, At: m.At, By: m.By})
	case *events.ConfirmHandover:
		return store.InsertHandoverConfirmation(ctx, tx, referralID, store.Record[events.ConfirmHandover]{Body: *b, Side: side, At: m.At, By: m.By})
	case *events.RecordService:
		return store.UpsertService(ctx, tx, referralID, store.Record[events.RecordService]{Body: *b, Side: side, At: m.At, By: m.By})
	case *events.RecordFollowUp:
		return store.InsertFollowUp(ctx, tx, referralID, store.Record[events.RecordFollowUp]{Body: *b, Side: side, At: m.At, By: m.By})
	case *events.Close:
		return store.InsertClosure(ctx, tx, referralID, store.Record[events.Close]{Body: *b, Side: side, At: m.At, By: m.By})
	}
	return nil
}

// trackEvent adds to tr (nil when the event marks no milestone) the codes
// of an event's record that the coordinator may learn: a service's type, a
// follow-up's flags, a closure's reason. Never a note, a name or a place.
func trackEvent(tr *exchange.Tracking, body events.Body) *exchange.Tracking {
	if tr == nil {
		return nil
	}
	switch b := body.(type) {
	case *events.RecordService:
		tr.ServiceType = b.Type
	case *events.RecordFollowUp:
		tr.AtHome, tr.InSchool, tr.StillWorking, tr.AtRisk = b.AtHome, b.InSchool, b.StillWorking, b.AtRisk
	case *events.Close:
		tr.ClosureReason = b.ReasonCode
	}
	return tr
}

// decisionOf is the decision a body stores with the referral: a decline's
// reason.
func decisionOf(body events.Body) *store.Decision {
	if b, ok := body.(*events.Decline); ok {
		return &store.Decision{Code: b.ReasonCode, Reason: b.Reason}
	}
	return nil
}

// reasonOf is what the history row says of an event: its reason code, and
// the user's own words where the event has them, else for a handover plan
// or confirmation the revision.
func reasonOf(body events.Body) (code, note string) {
	switch b := body.(type) {
	case *events.Decline:
		return b.ReasonCode, b.Reason
	case *events.Withdraw:
		return "", b.Reason
	case *events.Close:
		return b.ReasonCode, b.Note
	case *events.StatusChange:
		return b.ReasonCode, b.Note
	case *events.PlanHandover:
		return "", "revision " + strconv.Itoa(b.Revision)
	case *events.ConfirmHandover:
		return "", "revision " + strconv.Itoa(b.Revision)
	case *events.RespondInfo:
		// The names of the groups replaced, never their content.
		if g := b.Groups(); len(g) > 0 {
			return "", "updated " + strings.Join(g, ", ")
		}
	}
	return "", ""
}

// PlanInForce returns the handover plan that holds for a referral in
// status, given every proposal and confirmation, or nil when there is
// none. Both sides compute the same plan once they hold the same records,
// whatever order the messages arrived in:
//
//   - while a side's confirmation stands (one side confirmed, or both and
//     the child was handed over), the plan in force is the one that side
//     confirmed last; after the handover, the recipient's, since it
//     received the child;
//   - otherwise it is the proposal with the highest revision, the
//     recipient's when both sides proposed that revision at once.
func PlanInForce(status cases.Status, plans []store.Record[events.PlanHandover], confs []store.Record[events.ConfirmHandover]) *store.Record[events.PlanHandover] {
	if len(plans) == 0 {
		return nil
	}
	var confirmer cases.Side
	switch status {
	case cases.StatusHandoverConfirmedBySender:
		confirmer = cases.Sender
	case cases.StatusHandoverConfirmedByRecipient, cases.StatusHandedOver, cases.StatusInCare, cases.StatusOnHold, cases.StatusClosed:
		confirmer = cases.Recipient
	}
	if confirmer != "" {
		for i := len(confs) - 1; i >= 0; i-- {
			c := confs[i].Body
			if c.Side != confirmer {
				continue
			}
			for j := range plans {
				if p := plans[j].Body; p.Revision == c.Revision && p.ProposedBy == c.PlanBy {
					return &plans[j]
				}
			}
			break
		}
	}
	best := &plans[0]
	for i := range plans {
		p := plans[i].Body
		if p.Revision > best.Body.Revision || (p.Revision == best.Body.Revision && p.ProposedBy == cases.Recipient) {
			best = &plans[i]
		}
	}
	return best
}

// NextFollowUpDue returns the date the next follow-up of a referral in
// status is due, and false when none is: every interval after the last
// follow-up, or after the handover before the first.
func (s *Service) NextFollowUpDue(status cases.Status, l store.Lifecycle, history []store.Event) (string, bool) {
	switch status {
	case cases.StatusHandedOver, cases.StatusInCare:
	default:
		return "", false
	}
	var last time.Time
	for _, e := range history {
		if e.ToStatus == cases.StatusHandedOver && e.FromStatus != cases.StatusHandedOver {
			last = e.At
		}
	}
	for _, f := range l.FollowUps {
		if t, err := time.Parse(events.DateLayout, f.Body.Date); err == nil && t.After(last) {
			last = t
		}
	}
	if last.IsZero() {
		return "", false
	}
	return last.UTC().Add(s.cfg.FollowUpEvery).Format(events.DateLayout), true
}
