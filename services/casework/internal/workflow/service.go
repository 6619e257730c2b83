package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/policy"
	"github.com/corridor-org/corridor/services/casework/internal/codec"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
	"github.com/corridor-org/corridor/services/casework/internal/store"
)

// Config is what a Service needs to know about where it runs.
type Config struct {
	Member   corridor.MemberCode // this country
	Corridor string              // the corridor's id in the directory ("ci-bf")
	// Registerer receives the applier's metrics; nil keeps them unregistered.
	Registerer prometheus.Registerer
	// FollowUpEvery is the longest gap between follow-ups of a child after
	// the handover: the corridor directory's follow-up interval.
	FollowUpEvery time.Duration
	// InformationResponseWithin is how long the sender has to answer an
	// information request that sets no respond_by date, and HandoverWithin
	// how long after acceptance the child is to be handed over: the
	// directory's time limits.
	InformationResponseWithin time.Duration
	HandoverWithin            time.Duration
	// ClosureApproval makes a caseworker's close a request that a
	// supervisor of the agency approves (closure.go); off, anyone who may
	// act on a case may close it.
	ClosureApproval bool
}

// Service runs casework's use cases against one database.
type Service struct {
	pool      *pgxpool.Pool
	cfg       Config
	validator *referral.Validator
	events    *events.Validator
	dir       referral.Directory
	now       func() time.Time
	logger    *slog.Logger
	metrics   *metrics
}

// New returns a Service. now is the clock (time.Now outside tests).
func New(pool *pgxpool.Pool, cfg Config, dir referral.Directory, now func() time.Time, logger *slog.Logger) (*Service, error) {
	if cfg.Member == "" || cfg.Corridor == "" {
		return nil, errors.New("new workflow service: member and corridor are required")
	}
	v, err := referral.NewValidator(now)
	if err != nil {
		return nil, fmt.Errorf("new workflow service: %w", err)
	}
	ev, err := events.NewValidator(now)
	if err != nil {
		return nil, fmt.Errorf("new workflow service: %w", err)
	}
	if cfg.FollowUpEvery <= 0 || cfg.InformationResponseWithin <= 0 || cfg.HandoverWithin <= 0 {
		return nil, errors.New("new workflow service: the follow-up interval and the time limits must be positive")
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("new workflow service: %w", err)
	}
	return &Service{pool: pool, cfg: cfg, validator: v, events: ev, dir: dir, now: now, logger: logger, metrics: m}, nil
}

// Validator returns the validator the service checks documents with, for
// the HTTP layer's own request bodies.
func (s *Service) Validator() *referral.Validator { return s.validator }

// Caller is the verified user making a request.
type Caller = referral.Caller

// CallerOf is the caller an authenticated principal is: its country,
// agency, subject and roles.
func CallerOf(p auth.Principal) Caller {
	return Caller{Member: p.Country, Agency: p.Agency, UserID: p.Subject, Roles: p.Roles}
}

// Referral is a referral as this country holds it.
type Referral struct {
	store.Referral
	Document *referral.Document
	History  []store.Event
	// Chain is, for one referral (Get), the referrals under its case
	// reference that the caller's agency holds, oldest first, itself
	// included: a first referral and its re-referrals.
	Chain []store.Referral
	// Lifecycle is what the events after sending recorded; Plan is the
	// handover plan in force, if any; NextFollowUpDue is a date
	// ("2027-03-01"), empty when no follow-up is due. Get fills them; List
	// does not.
	Lifecycle       store.Lifecycle
	Plan            *store.Record[events.PlanHandover]
	NextFollowUpDue string
	// MayAct is whether the policy lets the caller act on the referral
	// (Get fills it): without it, the caller is offered no action.
	MayAct bool
	// Closure is the caseworker's closing that waits for a supervisor's
	// approval, if any (Get fills it).
	Closure *store.ClosureRequest
}

// Authorize returns a KindForbidden error, with pkg/policy's reason, unless
// the caller is a user of this country whom the policy lets do a: to no
// case, or for an action done to a case (policy.Action.OnCase) to at least
// some case. Callers check it before reading a request's body, so that a
// caller who may not act learns nothing of what a valid request is; the
// case's own check comes when it is loaded (authorizeCase).
func (s *Service) Authorize(c Caller, a policy.Action) error {
	if err := s.identified(c, a); err != nil {
		return err
	}
	if !a.OnCase() {
		return decided(policy.Check(c.Roles, a, policy.NoCase))
	}
	// The closest ownership is the most any role is allowed.
	return decided(policy.Check(c.Roles, a, policy.FiledByMe))
}

// CheckFiler returns a KindForbidden error unless the caller may file
// referrals here: Authorize for policy.FileReferral.
func (s *Service) CheckFiler(c Caller) error { return s.Authorize(c, policy.FileReferral) }

// identified refuses callers of another country, and callers the action
// needs to know better than the token says: every action needs the user,
// and what touches cases needs the agency, since cases belong to agencies.
func (s *Service) identified(c Caller, a policy.Action) error {
	if c.Member != s.cfg.Member {
		return corridor.Errorf(corridor.KindForbidden, "this service serves users of %s only", s.cfg.Member)
	}
	if c.UserID == "" {
		return corridor.Errorf(corridor.KindForbidden, "the token names no user")
	}
	switch {
	case a.OnCase(), a == policy.FileReferral, a == policy.ListWork, a == policy.OverseeAgency, a == policy.OverrideConsent:
		if c.Agency == "" {
			return corridor.Errorf(corridor.KindForbidden, "the token names no agency")
		}
	}
	return nil
}

// authorizeCase returns a KindForbidden error unless the policy lets the
// caller do a to r, as the caller stands to it.
func (s *Service) authorizeCase(c Caller, r store.Referral, a policy.Action) error {
	if err := s.identified(c, a); err != nil {
		return err
	}
	return decided(policy.Check(c.Roles, a, ownership(r, c)))
}

// decided turns a denial into the caller's KindForbidden error.
func decided(d policy.Decision) error {
	if d.Allowed {
		return nil
	}
	return &corridor.Error{Kind: corridor.KindForbidden, Message: "Not allowed: " + d.Reason + "."}
}

// ownership is how the caller stands to r: the agency holding it (the
// sender on the sending side, the recipient on the receiving side), and
// within that agency the user who filed it or to whom it is assigned.
func ownership(r store.Referral, c Caller) policy.Ownership {
	member, agency := r.SenderMember, r.SenderAgency
	if r.Side == cases.Recipient {
		member, agency = r.RecipientMember, r.RecipientAgency
	}
	switch {
	case member != c.Member:
		return policy.OtherCountry
	case agency != c.Agency:
		return policy.OtherAgency
	case r.Side == cases.Sender && r.SenderUser == c.UserID:
		return policy.FiledByMe
	case r.Assignee != "" && r.Assignee == c.UserID:
		return policy.AssignedToMe
	}
	return policy.OwnAgency
}

// visible reports whether the caller may see r.
func visible(r store.Referral, c Caller) bool {
	return policy.Allowed(c.Roles, policy.ViewCase, ownership(r, c))
}

// Create validates d, files it as a referral from the caller's agency and
// sends it: the referral, its first history row and the outbox message
// commit together. A non-empty previousID makes it a re-referral: it
// follows that referral, which the caller's agency sent and which was
// declined or withdrawn (cases.CanReRefer), under the same case reference.
//
// A non-empty key is the client's Idempotency-Key: a request the caller made
// before with the same key and body files nothing and returns the referral
// it filed, with replayed set.
func (s *Service) Create(ctx context.Context, c Caller, d *referral.Document, previousID, key string) (ref Referral, replayed bool, err error) {
	if err := s.Authorize(c, policy.FileReferral); err != nil {
		return Referral{}, false, err
	}
	if previousID != "" && !corridor.IsCode(previousID) {
		return Referral{}, false, corridor.Invalid("The referral has invalid fields.",
			corridor.FieldError{Field: "previous_referral_id", Message: "must be the id of a referral"})
	}
	// The sending agency goes on the wire: the other country checks it
	// against the directory too.
	_, err = s.dir.Agency(ctx, s.cfg.Member, c.Agency)
	if corridor.KindOf(err) == corridor.KindNotFound {
		return Referral{}, false, corridor.Errorf(corridor.KindForbidden, "the caller's agency is not in the corridor directory")
	}
	if err != nil {
		return Referral{}, false, fmt.Errorf("look up the caller's agency: %w", err)
	}
	if err := s.validator.Validate(ctx, d, c, s.dir); err != nil {
		return Referral{}, false, err
	}
	fp := fingerprint(cases.EventSend, previousID, d)
	d.Normalize()
	now := s.now().UTC().Truncate(time.Microsecond)
	if o := d.Consent.Override; o != nil {
		// Who overrode consent is the caller, as verified, never the body.
		o.By, o.Role, o.DecidedAt = c.UserID, string(corridor.RoleSupervisor), now.Format(time.RFC3339Nano)
	}
	next, err := cases.Transition(cases.StatusDraft, cases.EventSend, cases.Sender)
	if err != nil {
		return Referral{}, false, err
	}
	details, err := json.Marshal(d)
	if err != nil {
		return Referral{}, false, fmt.Errorf("encode referral: %w", err)
	}
	r := store.Referral{
		ID:                 corridor.NewID("ref-"),
		CaseRef:            corridor.NewID("case-"),
		Side:               cases.Sender,
		Status:             next,
		SenderMember:       s.cfg.Member,
		SenderAgency:       c.Agency,
		SenderUser:         c.UserID,
		RecipientMember:    corridor.MemberCode(d.Recipient.Member),
		RecipientAgency:    d.Recipient.Agency,
		Urgency:            d.Urgency,
		Details:            details,
		CreatedAt:          now,
		UpdatedAt:          now,
		PreviousReferralID: previousID,
	}
	id := r.ID
	err = store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if key != "" {
			prior, err := store.ClaimIdempotencyKey(ctx, tx, c.UserID, key, fp, r.ID, now)
			if err != nil || prior != "" {
				id, replayed = prior, prior != ""
				return err
			}
		}
		if previousID != "" {
			prev, err := reReferrable(ctx, tx, c, previousID)
			if err != nil {
				return err
			}
			r.CaseRef = prev.CaseRef
		}
		payload, err := codec.EncodeReferral(d, codec.Routing{
			ReferralID:         r.ID,
			CaseRef:            r.CaseRef,
			BaseStatus:         string(cases.StatusDraft),
			SenderMember:       string(s.cfg.Member),
			SenderAgency:       c.Agency,
			SenderUserID:       c.UserID,
			PreviousReferralID: previousID,
		})
		if err != nil {
			return err
		}
		tr := tracking(cases.EventSend, next, d, now)
		if tr != nil {
			tr.PreviousReferralID = previousID
		}
		msg := s.outbox(r, exchange.TypeReferral, payload, tr)
		if err := store.Insert(ctx, tx, withListKeys(r, d)); err != nil {
			return err
		}
		if err := store.AppendEvent(ctx, tx, r.ID, store.Event{
			At: now, Event: cases.EventSend, ActorSide: cases.Sender, ActorMember: s.cfg.Member,
			Actor: c.UserID, FromStatus: cases.StatusDraft, ToStatus: next, MessageID: msg.MessageID,
		}); err != nil {
			return err
		}
		return exchange.Enqueue(ctx, tx, msg)
	})
	if err != nil {
		return Referral{}, false, fmt.Errorf("create referral: %w", err)
	}
	ref, err = s.Get(ctx, c, id)
	return ref, replayed, err
}

// reReferrable locks and returns the referral previousID if the caller may
// re-refer it: an outgoing referral of the caller's agency, declined or
// withdrawn, not re-referred yet. Errors name previous_referral_id.
func reReferrable(ctx context.Context, tx pgx.Tx, c Caller, previousID string) (store.Referral, error) {
	fail := func(kind corridor.ErrorKind, format string, args ...any) (store.Referral, error) {
		msg := fmt.Sprintf(format, args...)
		return store.Referral{}, &corridor.Error{Kind: kind, Message: "The referral cannot follow the previous one: " + msg + ".",
			Fields: []corridor.FieldError{{Field: "previous_referral_id", Message: msg}}}
	}
	prev, err := store.GetForUpdate(ctx, tx, previousID)
	if corridor.KindOf(err) == corridor.KindNotFound || (err == nil && (prev.Side != cases.Sender || !visible(prev, c))) {
		return fail(corridor.KindInvalid, "must be a referral your agency sent")
	}
	if err != nil {
		return store.Referral{}, err
	}
	if !cases.CanReRefer(prev.Status) {
		return fail(corridor.KindConflict, "must have been declined or withdrawn; it is %s", prev.Status)
	}
	next, err := store.ReReferral(ctx, tx, previousID)
	if err != nil {
		return store.Referral{}, err
	}
	if next != "" {
		return fail(corridor.KindConflict, "was already re-referred as %s", next)
	}
	return prev, nil
}

// outbox builds the outbox row for a message about r to the other side.
func (s *Service) outbox(r store.Referral, t exchange.MessageType, payload []byte, tr *exchange.Tracking) exchange.OutboxMessage {
	m := exchange.OutboxMessage{
		MessageID:   corridor.NewID(s.cfg.Member.Domain() + "-"),
		Corridor:    s.cfg.Corridor,
		MessageType: t,
		CaseRef:     r.CaseRef,
		ReferralID:  r.ID,
		Payload:     payload,
		Tracking:    tr,
	}
	if r.Side == cases.Sender {
		m.Side = exchange.SideSender
		m.SenderAgency, m.RecipientMember, m.RecipientAgency = r.SenderAgency, r.RecipientMember, r.RecipientAgency
	} else {
		m.Side = exchange.SideRecipient
		m.SenderAgency, m.RecipientMember, m.RecipientAgency = r.RecipientAgency, r.SenderMember, r.SenderAgency
	}
	return m
}

// tracking is what the coordinator may learn of a transition: the
// milestone and the coarse attributes of docs/architecture.md, nothing that names or
// places the child.
func tracking(ev cases.Event, to cases.Status, d *referral.Document, now time.Time) *exchange.Tracking {
	m, ok := cases.MilestoneOf(ev, to)
	if !ok {
		return nil
	}
	tr := &exchange.Tracking{
		Milestone: string(m),
		Sector:    d.Work.Sector.Section,
		AgeBand:   d.Child.AgeBand(now),
		Sex:       d.Child.Sex,
	}
	if ev == cases.EventSend {
		// When the child was found: the coordinator measures the time from
		// identification to referral. Validation made it RFC 3339.
		if at, err := time.Parse(time.RFC3339, d.Work.FoundAt); err == nil {
			tr.IdentifiedAt = at.UTC().Truncate(time.Microsecond)
		}
	}
	return tr
}

// Get returns the referral id with its document and history, if the
// policy lets the caller see it: KindNotFound when there is no such
// referral, KindForbidden when another agency holds it. Ids are random, so
// the difference tells a caller nothing they could not know from the id.
func (s *Service) Get(ctx context.Context, c Caller, id string) (Referral, error) {
	if err := s.Authorize(c, policy.ViewCase); err != nil {
		return Referral{}, err
	}
	r, err := store.Get(ctx, s.pool, id)
	if err != nil {
		return Referral{}, err
	}
	if err := s.authorizeCase(c, r, policy.ViewCase); err != nil {
		return Referral{}, err
	}
	var d referral.Document
	if err := json.Unmarshal(r.Details, &d); err != nil {
		return Referral{}, fmt.Errorf("decode stored referral: %w", err)
	}
	h, err := store.History(ctx, s.pool, id)
	if err != nil {
		return Referral{}, err
	}
	all, err := store.CaseReferrals(ctx, s.pool, r.CaseRef)
	if err != nil {
		return Referral{}, err
	}
	chain := make([]store.Referral, 0, len(all))
	for _, other := range all {
		if visible(other, c) {
			chain = append(chain, other)
		}
	}
	l, err := store.LoadLifecycle(ctx, s.pool, id)
	if err != nil {
		return Referral{}, err
	}
	due, _ := s.NextFollowUpDue(r.Status, l, h)
	closure, err := store.PendingClosure(ctx, s.pool, id)
	if err != nil {
		return Referral{}, err
	}
	return Referral{Closure: closure, Referral: r, Document: &d, History: h, Chain: chain, Lifecycle: l,
		Plan: PlanInForce(r.Status, l.Plans, l.Confirmations), NextFollowUpDue: due,
		MayAct: policy.Allowed(c.Roles, policy.ActOnCase, ownership(r, c))}, nil
}
