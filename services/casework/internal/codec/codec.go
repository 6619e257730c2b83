// Package codec is casework's one mapping between its domain types and the
// protobuf payloads that cross the border: the referral document
// (referral.go) and the record of every later event (events.go). The rest
// of casework works on domain types only and never imports corridor/v1 or
// the protobuf runtime.
package codec

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/exchange"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
)

// messageTypes is which message carries each event: the one place that
// says so. Accept and decline share the decision message; the deliver
// event crosses as the relay's receipt, not as a message.
var messageTypes = map[cases.Event]exchange.MessageType{
	cases.EventSend:            exchange.TypeReferral,
	cases.EventAccept:          exchange.TypeDecision,
	cases.EventDecline:         exchange.TypeDecision,
	cases.EventWithdraw:        exchange.TypeWithdrawal,
	cases.EventRequestInfo:     exchange.TypeInfoRequest,
	cases.EventRespondInfo:     exchange.TypeInfoResponse,
	cases.EventPlanHandover:    exchange.TypeHandoverPlan,
	cases.EventConfirmHandover: exchange.TypeHandoverConfirmation,
	cases.EventRecordService:   exchange.TypeServiceUpdate,
	cases.EventRecordFollowUp:  exchange.TypeFollowUp,
	cases.EventClose:           exchange.TypeClosure,

	cases.EventCancel:               exchange.TypeStatusChange,
	cases.EventReportHandoverFailed: exchange.TypeStatusChange,
	cases.EventSuspend:              exchange.TypeStatusChange,
	cases.EventResume:               exchange.TypeStatusChange,
	cases.EventMarkEnteredInError:   exchange.TypeStatusChange,
}

// MessageType returns the type of the message that carries event ev, and
// false for an event that crosses in no message of its own.
func MessageType(ev cases.Event) (exchange.MessageType, bool) {
	t, ok := messageTypes[ev]
	return t, ok
}

// EncodeReferral returns the payload of the "referral" message for d.
func EncodeReferral(d *referral.Document, r Routing) ([]byte, error) {
	b, err := proto.Marshal(ToProto(d, r))
	if err != nil {
		return nil, fmt.Errorf("encode referral payload: %w", err)
	}
	return b, nil
}

// DecodeReferral reads the payload of a "referral" message. An error means
// the payload is not one: the message is to be refused, not retried.
func DecodeReferral(payload []byte) (*referral.Document, Routing, error) {
	var p corridorv1.Referral
	if err := proto.Unmarshal(payload, &p); err != nil {
		return nil, Routing{}, fmt.Errorf("decode referral payload: %w", err)
	}
	return FromProto(&p)
}
