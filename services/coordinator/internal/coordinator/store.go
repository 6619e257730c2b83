package coordinator

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/pgdb"
	"github.com/corridor-org/corridor/pkg/weblogin"
)

//go:embed migrations/*.sql
var migrations embed.FS

// VersionTable records the coordinator's schema version.
const VersionTable = "coordinator_schema_version"

// Migrate brings the database at dsn to the coordinator's schema, the
// login sessions' (weblogin) included.
func Migrate(ctx context.Context, dsn string) error {
	if err := weblogin.Migrate(ctx, dsn); err != nil {
		return err
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate coordinator: %w", err)
	}
	if err := pgdb.Migrate(ctx, dsn, fsys, VersionTable); err != nil {
		return fmt.Errorf("migrate coordinator: %w", err)
	}
	return nil
}

// DB runs queries: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// InsertEvent stores ev and reports whether it was new: an event id seen
// before keeps its first row.
func InsertEvent(ctx context.Context, db DB, ev Event) (bool, error) {
	var identifiedAt *time.Time
	if !ev.IdentifiedAt.IsZero() {
		identifiedAt = &ev.IdentifiedAt
	}
	tag, err := db.Exec(ctx, `
		INSERT INTO tracking_events (event_id, corridor, case_ref, referral_id, milestone, member,
			sender_member, sender_agency, recipient_member, recipient_agency, at, sector, age_band, sex,
			identified_at, service_type, at_home, in_school, still_working, at_risk, closure_reason,
			previous_referral_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
			$15, $16, $17, $18, $19, $20, $21, $22)
		ON CONFLICT (event_id) DO NOTHING`,
		ev.EventID, ev.Corridor, ev.CaseRef, ev.ReferralID, ev.Milestone, ev.Member,
		ev.SenderMember, ev.SenderAgency, ev.RecipientMember, ev.RecipientAgency, ev.At,
		ev.Sector, ev.AgeBand, ev.Sex,
		identifiedAt, ev.ServiceType, ev.AtHome, ev.InSchool, ev.StillWorking, ev.AtRisk, ev.ClosureReason,
		ev.PreviousReferralID)
	if err != nil {
		return false, fmt.Errorf("insert tracking event: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Quarantined is a row of coordinator_quarantine.
type Quarantined struct {
	ID         int64     `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	StreamSeq  uint64    `json:"stream_seq"`
	Subject    string    `json:"subject"`
	Reason     Reason    `json:"reason"`
	Error      string    `json:"error"`
	Member     string    `json:"member,omitempty"`
	EventID    string    `json:"event_id,omitempty"`
	Size       int       `json:"size"`
	SHA256     [32]byte  `json:"-"`
}

const maxErrorLen = 1000

// insertQuarantine records a refused event and reports whether it was new.
func insertQuarantine(ctx context.Context, db DB, q Quarantined) (bool, error) {
	tag, err := db.Exec(ctx, `
		INSERT INTO coordinator_quarantine (stream_seq, subject, reason, error, member, event_id, size, sha256)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (stream_seq) DO NOTHING`,
		int64(q.StreamSeq), text(q.Subject), string(q.Reason), text(q.Error), text(q.Member), text(q.EventID),
		q.Size, q.SHA256[:])
	if err != nil {
		return false, fmt.Errorf("insert quarantined event: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ListQuarantine returns up to limit quarantined events recorded before the
// one with id before (0: from the newest), newest first. Ids are assigned
// as events are recorded, so they order the quarantine by arrival and make
// a cursor that rows recorded meanwhile cannot shift.
func ListQuarantine(ctx context.Context, db DB, before int64, limit int) ([]Quarantined, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := db.Query(ctx, `
		SELECT id, received_at, stream_seq, subject, reason, error, member, event_id, size, sha256
		FROM coordinator_quarantine
		WHERE id < $1
		ORDER BY id DESC
		LIMIT $2`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list quarantined events: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Quarantined, error) {
		var q Quarantined
		var seq int64
		var sum []byte
		if err := row.Scan(&q.ID, &q.ReceivedAt, &seq, &q.Subject, &q.Reason, &q.Error, &q.Member,
			&q.EventID, &q.Size, &sum); err != nil {
			return q, err
		}
		if len(sum) != len(q.SHA256) {
			return q, fmt.Errorf("quarantined event %d has a digest of %d bytes", q.ID, len(sum))
		}
		copy(q.SHA256[:], sum)
		q.StreamSeq = uint64(seq)
		q.ReceivedAt = q.ReceivedAt.UTC()
		return q, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list quarantined events: %w", err)
	}
	return items, nil
}

// text makes s storable in a text column: valid UTF-8 without NUL bytes,
// bounded. Refused events are hostile input.
func text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= maxErrorLen {
		return s
	}
	n := maxErrorLen
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// CaseSummary is what the coordinator knows of one cross-border case. The
// members and agencies are those of the latest referral under the case
// reference (a declined referral may be followed by one to another agency);
// the coarse attributes are the first ones reported.
type CaseSummary struct {
	CaseRef         string    `json:"case_ref"`
	SenderMember    string    `json:"sender_member"`
	RecipientMember string    `json:"recipient_member"`
	SenderAgency    string    `json:"sender_agency"`
	RecipientAgency string    `json:"recipient_agency"`
	LatestMilestone string    `json:"latest_milestone"`
	UpdatedAt       time.Time `json:"updated_at"`
	OpenedAt        time.Time `json:"opened_at"`
	Sector          string    `json:"sector"`
	AgeBand         string    `json:"age_band"`
	Sex             string    `json:"sex"`
	// IdentifiedAt is when the child was identified, as the first
	// referral reported it; zero when not reported. OpenedAt minus
	// IdentifiedAt is the time from identification to referral.
	IdentifiedAt time.Time `json:"identified_at,omitzero"`
	// ReferralID is the current referral: the one sent last under the
	// reference. Referrals counts them (more than one after a re-referral).
	ReferralID string `json:"referral_id"`
	Referrals  int    `json:"referrals"`
	// DaysSinceLastStep is the whole days from UpdatedAt to the time of
	// asking.
	DaysSinceLastStep int `json:"days_since_last_step"`
	// DueStep is the step due next by the corridor's time limits, and
	// DueAt its limit; absent when nothing is due (an ended referral, a
	// case on hold, a child found no longer working).
	DueStep cases.DueStep `json:"due_step,omitempty"`
	DueAt   time.Time     `json:"due_at,omitzero"`
	// Overdue: DueAt has passed; DaysOverdue is by how many whole days.
	Overdue     bool `json:"overdue"`
	DaysOverdue int  `json:"days_overdue,omitempty"`
}

// TimelineEntry is one milestone of a case: of one of its referrals (a
// re-referral after a decline or a withdrawal adds a referral under the
// same case reference), with what monitoring needs of it.
type TimelineEntry struct {
	Milestone       string    `json:"milestone"`
	Member          string    `json:"member"`
	At              time.Time `json:"at"`
	ReferralID      string    `json:"referral_id"`
	RecipientMember string    `json:"recipient_member"`
	RecipientAgency string    `json:"recipient_agency"`
	// PreviousReferralID: on a re-referral's referral_sent, the referral
	// it follows.
	PreviousReferralID string    `json:"previous_referral_id,omitempty"`
	IdentifiedAt       time.Time `json:"identified_at,omitzero"`
	ServiceType        string    `json:"service_type,omitempty"`
	AtHome             string    `json:"at_home,omitempty"`
	InSchool           string    `json:"in_school,omitempty"`
	StillWorking       string    `json:"still_working,omitempty"`
	AtRisk             string    `json:"at_risk,omitempty"`
	ClosureReason      string    `json:"closure_reason,omitempty"`
}

// Case is a case with its timeline, oldest milestone first.
type Case struct {
	CaseSummary
	Timeline []TimelineEntry `json:"timeline"`
	// ReferralChain lists the case's referrals, the first first: a
	// re-referral names the one it follows.
	ReferralChain []ReferralLink `json:"referral_chain"`
}
