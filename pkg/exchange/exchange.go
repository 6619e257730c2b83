package exchange

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/pgdb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// VersionTable is the table in which goose records the exchange schema's
// version, apart from the version tables of the services sharing the
// database.
const VersionTable = "exchange_schema_version"

// The notification channels. Each notification's payload is a message id.
const (
	ChannelOutbox  = "exchange_outbox"  // a row was added to the outbox
	ChannelInbox   = "exchange_inbox"   // a row was added to the inbox
	ChannelReceipt = "exchange_receipt" // an outbox row received its receipt
)

// maxErrorLen bounds the error texts stored in last_error and apply_error.
const maxErrorLen = 1000

// Migrate creates or upgrades the exchange tables in the database at dsn,
// and first the audit trail's (package audit), in which every change to a
// message is recorded. Both casework and relay call it at start-up;
// concurrent calls are safe.
func Migrate(ctx context.Context, dsn string) error {
	if err := audit.Migrate(ctx, dsn); err != nil {
		return fmt.Errorf("migrate exchange: %w", err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate exchange: %w", err)
	}
	if err := pgdb.Migrate(ctx, dsn, fsys, VersionTable); err != nil {
		return fmt.Errorf("migrate exchange: %w", err)
	}
	return nil
}

// DB runs queries: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// MessageType says what a message does to the referral it concerns.
type MessageType string

// The message types: the one list of them. Each is the serialized
// corridor.v1 message named in its comment; the exchange tables' CHECK
// constraints list the same.
const (
	TypeReferral             MessageType = "referral"              // corridorv1.Referral
	TypeDecision             MessageType = "decision"              // corridorv1.Decision
	TypeWithdrawal           MessageType = "withdrawal"            // corridorv1.Withdrawal
	TypeInfoRequest          MessageType = "info_request"          // corridorv1.InformationRequest
	TypeInfoResponse         MessageType = "info_response"         // corridorv1.InformationResponse
	TypeHandoverPlan         MessageType = "handover_plan"         // corridorv1.HandoverPlan
	TypeHandoverConfirmation MessageType = "handover_confirmation" // corridorv1.HandoverConfirmation
	TypeServiceUpdate        MessageType = "service_update"        // corridorv1.ServiceUpdate
	TypeFollowUp             MessageType = "follow_up"             // corridorv1.FollowUp
	TypeClosure              MessageType = "closure"               // corridorv1.Closure
	TypeStatusChange         MessageType = "status_change"         // corridorv1.StatusChange
)

// TypeMilestone is an outbox row that carries only tracking attributes, no
// payload: the relay reports its milestone to the coordinator and sends
// nothing to the other member. The case system writes one when it reaches a
// milestone by applying the other side's message, which could not report it
// (two handover confirmations that crossed). It is not a message between
// members: MessageTypes leaves it out and the inbox never holds one.
const TypeMilestone MessageType = "milestone"

// MessageTypes returns every message type.
func MessageTypes() []MessageType {
	return []MessageType{
		TypeReferral, TypeDecision, TypeWithdrawal, TypeInfoRequest, TypeInfoResponse,
		TypeHandoverPlan, TypeHandoverConfirmation, TypeServiceUpdate, TypeFollowUp, TypeClosure,
		TypeStatusChange,
	}
}

// Tracking holds the attributes of a message that the relay may pass to the
// coordinator. Every value is a short code, never free text: the coordinator
// must not see personal data.
type Tracking struct {
	Milestone string `json:"milestone" validate:"required,code"`
	Sector    string `json:"sector,omitempty" validate:"omitempty,code"`   // ISIC Rev.4 section, e.g. "A"
	AgeBand   string `json:"age_band,omitempty" validate:"omitempty,code"` // e.g. "15-17"
	Sex       string `json:"sex,omitempty" validate:"omitempty,code"`
	// IdentifiedAt is when the child was identified (referral_sent only):
	// the time from identification to referral is measured from it.
	IdentifiedAt time.Time `json:"identified_at,omitzero"`
	// ServiceType is a recorded service's service-type code
	// ("education"), without any detail.
	ServiceType string `json:"service_type,omitempty" validate:"omitempty,code"`
	// A follow-up's outcome flags: "yes", "no" or "unknown"; empty when not
	// reported.
	AtHome       string `json:"at_home,omitempty" validate:"omitempty,oneof=yes no unknown"`
	InSchool     string `json:"in_school,omitempty" validate:"omitempty,oneof=yes no unknown"`
	StillWorking string `json:"still_working,omitempty" validate:"omitempty,oneof=yes no unknown"`
	AtRisk       string `json:"at_risk,omitempty" validate:"omitempty,oneof=yes no unknown"`
	// ClosureReason is a closed case's closure reason code.
	ClosureReason string `json:"closure_reason,omitempty" validate:"omitempty,code"`
	// PreviousReferralID is the referral a re-referral follows
	// (referral_sent only).
	PreviousReferralID string `json:"previous_referral_id,omitempty" validate:"omitempty,code"`
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary so the text stays valid UTF-8 for PostgreSQL.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
