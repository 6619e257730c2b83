package workflow

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/policy"
)

// MaxFailedLimit bounds one page of failed inbox messages.
const MaxFailedLimit = 500

// FailedPage is one page of failed inbox messages, newest first.
type FailedPage struct {
	// Messages carry identifiers, codes and the failure, never the payload.
	Messages []exchange.InboxMessage
	// Next starts the next page; nil on the last one.
	Next *exchange.FailedCursor
}

// FailedInbox lists up to limit received messages that could not be
// applied, newest first, starting after before (nil: from the newest), for
// a country administrator to look at. Newest first, so that messages given up on long
// ago cannot hide a failure that is happening now.
func (s *Service) FailedInbox(ctx context.Context, c Caller, limit int, before *exchange.FailedCursor) (FailedPage, error) {
	if err := s.Authorize(c, policy.ViewFailedMessages); err != nil {
		return FailedPage{}, err
	}
	if limit < 1 || limit > MaxFailedLimit {
		return FailedPage{}, corridor.Invalid("The query has invalid parameters.",
			corridor.FieldError{Field: "limit", Message: fmt.Sprintf("must be an integer from 1 to %d", MaxFailedLimit)})
	}
	msgs, next, err := exchange.ListFailedInbox(ctx, s.pool, before, limit)
	if err != nil {
		return FailedPage{}, err
	}
	return FailedPage{Messages: msgs, Next: next}, nil
}

// RetryFailed offers the failed inbox message messageID to the applier
// again at once, with a fresh count of attempts: what an administrator does
// after correcting the cause (the referral it depends on arrived, casework
// was upgraded to a version that reads it). It returns the message as
// re-offered; the applier is woken at commit, and finds the message on its
// next poll should the wake-up be lost. The message's payload stays
// unread by the caller: retrying needs no case content.
func (s *Service) RetryFailed(ctx context.Context, c Caller, messageID string) (exchange.InboxMessage, error) {
	if err := s.Authorize(c, policy.RetryFailedMessages); err != nil {
		return exchange.InboxMessage{}, err
	}
	if !corridor.IsCode(messageID) {
		return exchange.InboxMessage{}, corridor.Errorf(corridor.KindNotFound, "No failed inbox message has this id.")
	}
	m, err := exchange.RetryInbox(ctx, s.pool, messageID)
	if err != nil {
		return exchange.InboxMessage{}, err
	}
	s.logger.LogAttrs(ctx, slog.LevelInfo, "failed inbox message offered again",
		slog.String("message_id", m.MessageID), slog.String("message_type", string(m.MessageType)),
		slog.String("referral_id", m.ReferralID), slog.String("by_agency", c.Agency))
	return m, nil
}
