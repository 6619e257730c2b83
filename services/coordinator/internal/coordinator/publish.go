package coordinator

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/canonical"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/indicatorset"
	indicatorsv1 "github.com/corridor-org/corridor/proto/corridor/indicators/v1"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

// SetSigner is the coordinator's Ed25519 key that signs indicator sets;
// the directory lists its public half under the coordinator member.
type SetSigner struct {
	KeyID   string
	Private ed25519.PrivateKey
}

// Beginner starts transactions: a *pgxpool.Pool.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Proto returns the tracking event as its reporter signed it: every field
// the event carries is stored, so the canonical encoding, and its digest,
// are those of the signed bytes unless the stored row was altered.
func (ev Event) Proto() *trackingv1.TrackingEvent {
	pe := &trackingv1.TrackingEvent{
		EventId:            ev.EventID,
		Corridor:           ev.Corridor,
		CaseRef:            ev.CaseRef,
		ReferralId:         ev.ReferralID,
		Milestone:          ev.Milestone,
		Member:             string(ev.Member),
		SenderMember:       string(ev.SenderMember),
		SenderAgency:       ev.SenderAgency,
		RecipientMember:    string(ev.RecipientMember),
		RecipientAgency:    ev.RecipientAgency,
		At:                 ev.At.UnixMicro(),
		Sector:             ev.Sector,
		AgeBand:            ev.AgeBand,
		Sex:                ev.Sex,
		ServiceType:        ev.ServiceType,
		AtHome:             answerEnum(ev.AtHome),
		InSchool:           answerEnum(ev.InSchool),
		StillWorking:       answerEnum(ev.StillWorking),
		AtRisk:             answerEnum(ev.AtRisk),
		ClosureReason:      ev.ClosureReason,
		PreviousReferralId: ev.PreviousReferralID,
	}
	if !ev.IdentifiedAt.IsZero() {
		pe.IdentifiedAt = ev.IdentifiedAt.UnixMicro()
	}
	return pe
}

// answerEnum is answerCode's inverse.
func answerEnum(s string) trackingv1.Answer {
	for _, a := range []trackingv1.Answer{trackingv1.Answer_ANSWER_YES, trackingv1.Answer_ANSWER_NO, trackingv1.Answer_ANSWER_UNKNOWN} {
		if answerCode(a) == s {
			return a
		}
	}
	return trackingv1.Answer_ANSWER_UNSPECIFIED
}

// eventsBetween returns the stored events dated in [from, to), by member.
func eventsBetween(ctx context.Context, db DB, from, to time.Time) (map[corridor.MemberCode][]*trackingv1.TrackingEvent, error) {
	rows, err := db.Query(ctx, `
		SELECT event_id, corridor, case_ref, referral_id, milestone, member, sender_member, sender_agency,
			recipient_member, recipient_agency, at, sector, age_band, sex, identified_at, service_type,
			at_home, in_school, still_working, at_risk, closure_reason, previous_referral_id
		FROM tracking_events
		WHERE at >= $1 AND at < $2`, from, to)
	if err != nil {
		return nil, fmt.Errorf("read covered events: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Event, error) {
		var ev Event
		var identifiedAt *time.Time
		err := row.Scan(&ev.EventID, &ev.Corridor, &ev.CaseRef, &ev.ReferralID, &ev.Milestone, &ev.Member,
			&ev.SenderMember, &ev.SenderAgency, &ev.RecipientMember, &ev.RecipientAgency, &ev.At, &ev.Sector,
			&ev.AgeBand, &ev.Sex, &identifiedAt, &ev.ServiceType, &ev.AtHome, &ev.InSchool, &ev.StillWorking,
			&ev.AtRisk, &ev.ClosureReason, &ev.PreviousReferralID)
		if identifiedAt != nil {
			ev.IdentifiedAt = *identifiedAt
		}
		return ev, err
	})
	if err != nil {
		return nil, fmt.Errorf("read covered events: %w", err)
	}
	out := map[corridor.MemberCode][]*trackingv1.TrackingEvent{}
	for _, ev := range events {
		out[ev.Member] = append(out[ev.Member], ev.Proto())
	}
	return out, nil
}

// PublishedSet is a stored, signed indicator set.
type PublishedSet struct {
	ID     string `json:"id"`
	Signed []byte `json:"signed"` // a serialized SignedIndicatorSet
}

// PublishSet computes the indicators of period length p over [from, to)
// with every breakdown, lists per member the events dated in the range,
// signs the whole as the coordinator and stores it. The figures and the
// events are read in one snapshot, so the set is computed from exactly the
// events it lists.
//
// Publishing is idempotent: when the newest set of the same period length
// and range says the same (the same figures, events and directory
// version), that set is returned and created is false. A set differs from
// the one before when an event arrived or a stored event changed, and a
// member then verifies the new one.
func PublishSet(ctx context.Context, db Beginner, dir *directory.Directory, signer SetSigner, p Period, from, to, now time.Time) (set PublishedSet, created bool, err error) {
	if signer.Private == nil {
		return PublishedSet{}, false, corridor.Errorf(corridor.KindUnavailable, "The coordinator has no key to sign indicator sets with.")
	}
	err = pgx.BeginTxFunc(ctx, db, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		// One publisher per range at a time: the HTTP API and the
		// publisher loop (of every coordinator process) may race.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('indicator_sets|' || $1 || '|' || $2 || '|' || $3, 0))`,
			string(p), from.Format(time.DateOnly), to.Format(time.DateOnly)); err != nil {
			return fmt.Errorf("lock the range: %w", err)
		}
		built, err := buildSet(ctx, tx, dir, p, from, to, now)
		if err != nil {
			return err
		}
		digest, err := contentDigest(built)
		if err != nil {
			return err
		}
		// The snapshot began with the lock's statement, so a set a racing
		// publisher stored while this one waited is not visible here: at
		// worst two signed sets say the same.
		var last PublishedSet
		var lastDigest []byte
		err = tx.QueryRow(ctx, `
			SELECT id, signed, content_digest FROM indicator_sets
			WHERE period = $1 AND range_from = $2 AND range_to = $3
			ORDER BY created_at DESC, id DESC LIMIT 1`, string(p), from, to).Scan(&last.ID, &last.Signed, &lastDigest)
		switch {
		case err == nil && bytes.Equal(lastDigest, digest[:]):
			set = last
			return nil
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("read the newest set of the range: %w", err)
		}
		signed, err := indicatorset.Sign(built, signer.KeyID, signer.Private)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO indicator_sets (id, period, range_from, range_to, signed, content_digest) VALUES ($1, $2, $3, $4, $5, $6)`,
			built.GetSetId(), string(p), from, to, signed, digest[:]); err != nil {
			return fmt.Errorf("store indicator set: %w", err)
		}
		set, created = PublishedSet{ID: built.GetSetId(), Signed: signed}, true
		return nil
	})
	if err != nil {
		return PublishedSet{}, false, fmt.Errorf("publish indicator set: %w", err)
	}
	return set, created, nil
}

// buildSet computes an unsigned set in tx's snapshot.
func buildSet(ctx context.Context, tx pgx.Tx, dir *directory.Directory, p Period, from, to, now time.Time) (*indicatorsv1.IndicatorSet, error) {
	figures, err := ComputeIndicators(ctx, tx, dir, IndicatorQuery{Period: p, From: from, To: to, By: EveryBreakdown})
	if err != nil {
		return nil, err
	}
	figuresJSON, err := json.Marshal(figures)
	if err != nil {
		return nil, fmt.Errorf("encode figures: %w", err)
	}
	byMember, err := eventsBetween(ctx, tx, from, to)
	if err != nil {
		return nil, err
	}
	set := &indicatorsv1.IndicatorSet{
		SetId:            corridor.NewID("coord-set-"),
		Corridor:         dir.Corridor,
		IssuedAt:         now.UnixMicro(),
		Period:           string(p),
		From:             from.Format(time.DateOnly),
		To:               to.Format(time.DateOnly),
		DirectoryVersion: dir.Version,
		Figures:          figuresJSON,
	}
	for _, m := range dir.Members {
		events, ok := byMember[m.Code]
		if !ok {
			continue
		}
		share, err := indicatorset.Share(m.Code, events)
		if err != nil {
			return nil, err
		}
		set.Members = append(set.Members, share)
	}
	return set, nil
}

// contentDigest is the SHA-256 of what a set says: its canonical encoding
// without its id and issue time.
func contentDigest(set *indicatorsv1.IndicatorSet) ([sha256.Size]byte, error) {
	c := proto.CloneOf(set)
	c.SetId, c.IssuedAt = "", 0
	d, err := canonical.Digest(c)
	if err != nil {
		return d, fmt.Errorf("digest indicator set: %w", err)
	}
	return d, nil
}

// GetSet returns a published set, or a KindNotFound error.
func GetSet(ctx context.Context, db DB, id string) (PublishedSet, error) {
	var s PublishedSet
	err := db.QueryRow(ctx, `SELECT id, signed FROM indicator_sets WHERE id = $1`, id).Scan(&s.ID, &s.Signed)
	if errors.Is(err, pgx.ErrNoRows) {
		return PublishedSet{}, corridor.Errorf(corridor.KindNotFound, "No indicator set has this id.")
	}
	if err != nil {
		return PublishedSet{}, fmt.Errorf("get indicator set: %w", err)
	}
	return s, nil
}

// NewestSet returns the newest set of the most recent range, of period
// length p or of every length when p is "", or a KindNotFound error.
func NewestSet(ctx context.Context, db DB, p Period) (PublishedSet, error) {
	var s PublishedSet
	err := db.QueryRow(ctx, `
		SELECT id, signed FROM indicator_sets
		WHERE $1 = '' OR period = $1
		ORDER BY range_to DESC, created_at DESC, id DESC LIMIT 1`, string(p)).Scan(&s.ID, &s.Signed)
	if errors.Is(err, pgx.ErrNoRows) {
		return PublishedSet{}, corridor.Errorf(corridor.KindNotFound, "No indicator set is published yet.")
	}
	if err != nil {
		return PublishedSet{}, fmt.Errorf("get the newest indicator set: %w", err)
	}
	return s, nil
}

// SetSummary describes a published set without its contents.
type SetSummary struct {
	ID        string    `json:"id"`
	Period    string    `json:"period"`
	From      string    `json:"from"` // the first day of the range
	To        string    `json:"to"`   // the first day after it
	CreatedAt time.Time `json:"created_at"`
}

// ListSets returns the newest limit sets, of period length p or of every
// length when p is "", newest first.
func ListSets(ctx context.Context, db DB, p Period, limit int) ([]SetSummary, error) {
	rows, err := db.Query(ctx, `
		SELECT id, period, range_from, range_to, created_at FROM indicator_sets
		WHERE $1 = '' OR period = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, string(p), limit)
	if err != nil {
		return nil, fmt.Errorf("list indicator sets: %w", err)
	}
	sets, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (SetSummary, error) {
		var s SetSummary
		var from, to time.Time
		err := row.Scan(&s.ID, &s.Period, &from, &to, &s.CreatedAt)
		s.From, s.To, s.CreatedAt = from.Format(time.DateOnly), to.Format(time.DateOnly), s.CreatedAt.UTC()
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list indicator sets: %w", err)
	}
	return sets, nil
}
