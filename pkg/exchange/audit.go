package exchange

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/audit"
)

// The audit trail's actions for the exchange: each recorded in the
// transaction of the change it records (docs/operations.md lists them).
const (
	ActionQueued    = "message.queued"    // the case system put a message in the outbox
	ActionSent      = "message.sent"      // the relay published it (again, for a re-send)
	ActionDelivered = "message.delivered" // the recipient's signed receipt was recorded
	ActionReceived  = "message.received"  // a new message was stored in the inbox
	ActionRetried   = "inbox.retry"       // an operator offered a failed inbox message again
)

// serviceActor names exchange changes made outside any actor's context.
var serviceActor = audit.Service("exchange")

// auditRecord is the audit record of a change to a message: identifiers
// and codes only.
func auditRecord(ctx context.Context, action, messageID string, typ MessageType, referralID, member string, extra ...string) audit.Record {
	actor, ok := audit.ActorFrom(ctx)
	if !ok {
		actor = serviceActor
	}
	detail := map[string]string{"message_type": string(typ), "referral_id": referralID, "member": member}
	for i := 0; i+1 < len(extra); i += 2 {
		detail[extra[i]] = extra[i+1]
	}
	return audit.Record{Actor: actor, Action: action, Outcome: audit.Allowed,
		Object: audit.Object{Type: audit.ObjectMessage, ID: messageID}, Detail: detail}
}

// inTx runs fn in db if it is a transaction, and otherwise in a new one:
// an audit entry commits with the change it records.
func inTx(ctx context.Context, db DB, fn func(pgx.Tx) error) error {
	if tx, ok := db.(pgx.Tx); ok {
		return fn(tx)
	}
	b, ok := db.(Beginner)
	if !ok {
		return errors.New("exchange: the database handle cannot begin a transaction")
	}
	return pgx.BeginFunc(ctx, b, fn)
}

// appendAudit appends recs in tx.
func appendAudit(ctx context.Context, tx pgx.Tx, recs ...audit.Record) error {
	if _, err := audit.AppendTx(ctx, tx, recs...); err != nil {
		return fmt.Errorf("record in the audit trail: %w", err)
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
