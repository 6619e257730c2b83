package exchange

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/pgtest"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

var schema = pgtest.Template{Name: "exchange", Migrate: Migrate}

func outboxMessage(typ MessageType) OutboxMessage {
	return OutboxMessage{
		MessageID:       corridor.NewID("ci-"),
		Corridor:        "bf-ci",
		MessageType:     typ,
		CaseRef:         corridor.NewID("case-"),
		ReferralID:      corridor.NewID("ref-"),
		SenderAgency:    "ci-inspection-abidjan",
		RecipientMember: "BF",
		RecipientAgency: "bf-dpe-ouagadougou",
		Side:            SideSender,
		Payload:         []byte{0x0a, 0x03, 'a', 'b', 'c'},
		Tracking:        &Tracking{Milestone: "referred", Sector: "A", AgeBand: "15-17", Sex: "female"},
	}
}

func inboxMessage(sentAt time.Time) InboxMessage {
	return InboxMessage{
		MessageID:       corridor.NewID("bf-"),
		Corridor:        "bf-ci",
		MessageType:     TypeDecision,
		CaseRef:         corridor.NewID("case-"),
		ReferralID:      corridor.NewID("ref-"),
		SenderMember:    "BF",
		SenderAgency:    "bf-dpe-ouagadougou",
		RecipientAgency: "ci-inspection-abidjan",
		SentAt:          sentAt,
		Payload:         []byte{0x08, 0x01},
	}
}

// enqueue commits one message, as casework does along with a case change.
func enqueue(ctx context.Context, t *testing.T, pool *pgxpool.Pool, m OutboxMessage) {
	t.Helper()
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return Enqueue(ctx, tx, m) }); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
}

func ids[M OutboxMessage | InboxMessage](msgs []M) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		switch m := any(m).(type) {
		case OutboxMessage:
			out[i] = m.MessageID
		case InboxMessage:
			out[i] = m.MessageID
		}
	}
	return out
}
