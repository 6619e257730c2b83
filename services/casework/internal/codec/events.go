package codec

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/exchange"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
	"github.com/corridor-org/corridor/services/casework/internal/events"
)

// Encode returns the type and payload of the message that carries m to
// the other side.
func Encode(m events.Message) (exchange.MessageType, []byte, error) {
	t, ok := MessageType(m.Event())
	if !ok || t == exchange.TypeReferral {
		return "", nil, fmt.Errorf("encode %s: no message carries this event", m.Event())
	}
	p, err := toProto(m)
	if err != nil {
		return "", nil, err
	}
	b, err := proto.Marshal(p)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s payload: %w", t, err)
	}
	return t, b, nil
}

// ErrMalformed is returned by Decode for a payload that is not a message
// of its type, or lacks what every message carries.
var ErrMalformed = errors.New("malformed payload")

// Decode reads the payload of a message of type t (any type but
// "referral", which DecodeReferral reads). Its errors wrap ErrMalformed
// and name the type only, never the payload's content.
func Decode(t exchange.MessageType, payload []byte) (events.Message, error) {
	p, ok := newPayload(t)
	if !ok {
		return events.Message{}, fmt.Errorf("decode %s: %w: not an event message type", t, ErrMalformed)
	}
	if err := proto.Unmarshal(payload, p); err != nil {
		return events.Message{}, fmt.Errorf("decode %s: %w", t, ErrMalformed)
	}
	m, err := fromProto(p)
	if err != nil {
		return events.Message{}, fmt.Errorf("decode %s: %w: %w", t, ErrMalformed, err)
	}
	if m.ReferralID == "" || m.Base == "" {
		return events.Message{}, fmt.Errorf("decode %s: %w: no referral id or base status", t, ErrMalformed)
	}
	return m, nil
}

func newPayload(t exchange.MessageType) (proto.Message, bool) {
	switch t {
	case exchange.TypeDecision:
		return &corridorv1.Decision{}, true
	case exchange.TypeWithdrawal:
		return &corridorv1.Withdrawal{}, true
	case exchange.TypeInfoRequest:
		return &corridorv1.InformationRequest{}, true
	case exchange.TypeInfoResponse:
		return &corridorv1.InformationResponse{}, true
	case exchange.TypeHandoverPlan:
		return &corridorv1.HandoverPlan{}, true
	case exchange.TypeHandoverConfirmation:
		return &corridorv1.HandoverConfirmation{}, true
	case exchange.TypeServiceUpdate:
		return &corridorv1.ServiceUpdate{}, true
	case exchange.TypeFollowUp:
		return &corridorv1.FollowUp{}, true
	case exchange.TypeClosure:
		return &corridorv1.Closure{}, true
	case exchange.TypeStatusChange:
		return &corridorv1.StatusChange{}, true
	}
	return nil, false
}

func officer(userID string) *corridorv1.Officer { return &corridorv1.Officer{UserId: userID} }

func toProto(m events.Message) (proto.Message, error) {
	id, base, at, by := m.ReferralID, string(m.Base), m.At.UnixMicro(), officer(m.By)
	switch b := m.Body.(type) {
	case *events.Accept:
		return &corridorv1.Decision{ReferralId: id, BaseStatus: base, DecidedAt: at, DecidedBy: by,
			Outcome: corridorv1.DecisionOutcome_DECISION_OUTCOME_ACCEPT}, nil
	case *events.Decline:
		return &corridorv1.Decision{ReferralId: id, BaseStatus: base, DecidedAt: at, DecidedBy: by,
			Outcome: corridorv1.DecisionOutcome_DECISION_OUTCOME_DECLINE, ReasonCode: b.ReasonCode, Reason: b.Reason}, nil
	case *events.Withdraw:
		return &corridorv1.Withdrawal{ReferralId: id, BaseStatus: base, WithdrawnAt: at, WithdrawnBy: by, Reason: b.Reason}, nil
	case *events.RequestInfo:
		p := &corridorv1.InformationRequest{ReferralId: id, BaseStatus: base, RequestedAt: at, RequestedBy: by,
			RequestId: b.RequestID, RespondBy: b.RespondBy, Note: b.Note, PausesReferral: true}
		for _, q := range b.Items {
			p.Items = append(p.Items, &corridorv1.InformationItem{Id: q.ID, Topic: q.Topic, Question: q.Question})
		}
		return p, nil
	case *events.RespondInfo:
		p := &corridorv1.InformationResponse{ReferralId: id, BaseStatus: base, AnsweredAt: at, AnsweredBy: by,
			RequestId: b.RequestID, Answer: b.Note, Trafficking: traffickingToProto(b.Trafficking)}
		if b.Child != nil {
			p.Child = childToProto(b.Child)
		}
		if b.Family != nil {
			p.Family = familyToProto(b.Family)
		}
		if b.Consent != nil {
			p.Consent = consentToProto(b.Consent)
		}
		if b.BestInterests != nil {
			p.BestInterests = bestInterestsToProto(b.BestInterests)
		}
		if b.Work != nil {
			p.Work = workToProto(b.Work)
		}
		for _, a := range b.Items {
			p.Answers = append(p.Answers, &corridorv1.InformationAnswer{QuestionId: a.QuestionID, Answer: a.Answer})
		}
		return p, nil
	case *events.PlanHandover:
		p := &corridorv1.HandoverPlan{ReferralId: id, BaseStatus: base, ProposedAt: at, PlannedBy: by,
			PlannedFor: micros(b.PlannedFor), Place: b.Place, Locality: b.BorderPost, Transport: b.Transport,
			ReceivingOfficer: personToProto(b.ReceivedBy), Notes: b.Notes,
			Revision: int32(b.Revision), ProposedBy: sideToProto(b.ProposedBy)}
		for _, e := range b.Escorts {
			p.Escorts = append(p.Escorts, personToProto(e))
		}
		for _, d := range b.TravelDocuments {
			p.TravelDocuments = append(p.TravelDocuments, &corridorv1.TravelDocument{Type: d.Type, Number: d.Number, Status: d.Status, Notes: d.Notes})
		}
		return p, nil
	case *events.ConfirmHandover:
		return &corridorv1.HandoverConfirmation{ReferralId: id, BaseStatus: base, ConfirmedAt: at, ConfirmedBy: by,
			Side: sideToProto(b.Side), HandedOverAt: micros(b.HandedOverAt), Notes: b.Notes,
			PlanRevision: int32(b.Revision), PlanProposedBy: sideToProto(b.PlanBy)}, nil
	case *events.RecordService:
		return &corridorv1.ServiceUpdate{ReferralId: id, BaseStatus: base, RecordedAt: at, RecordedBy: by,
			ServiceId: b.ServiceID, Service: b.Type, Provider: b.Provider, Date: b.StartDate, EndDate: b.EndDate,
			Status: corridorv1.ServiceStatus(toEnum(b.Status, "SERVICE_STATUS_", corridorv1.ServiceStatus_value)), Notes: b.Notes}, nil
	case *events.RecordFollowUp:
		return &corridorv1.FollowUp{ReferralId: id, BaseStatus: base, RecordedAt: at, VisitedBy: by,
			FollowUpId: b.FollowUpID, VisitDate: b.Date, Method: b.Method,
			AtHome: answerToProto(b.AtHome), InSchool: answerToProto(b.InSchool),
			StillWorking: answerToProto(b.StillWorking), AtRisk: answerToProto(b.AtRisk), Notes: b.Notes}, nil
	case *events.Close:
		return &corridorv1.Closure{ReferralId: id, BaseStatus: base, ClosedAt: at, ClosedBy: by,
			ReasonCode: b.ReasonCode, Reason: b.Note}, nil
	case *events.StatusChange:
		return &corridorv1.StatusChange{ReferralId: id, BaseStatus: base, ChangedAt: at, ChangedBy: by,
			Event: string(b.Of), ReasonCode: b.ReasonCode, Note: b.Note}, nil
	}
	return nil, fmt.Errorf("encode %T: not an event body", m.Body)
}

// fromProto is the inverse of toProto. It refuses only what cannot be
// mapped (an unknown outcome or side); the fields' contents are checked by
// the caller, as for a body a user posted.
func fromProto(p proto.Message) (events.Message, error) {
	type common interface {
		GetReferralId() string
		GetBaseStatus() string
	}
	c := p.(common)
	m := events.Message{ReferralID: c.GetReferralId(), Base: cases.Status(c.GetBaseStatus())}
	switch p := p.(type) {
	case *corridorv1.Decision:
		m.At, m.By = fromMicrosTime(p.GetDecidedAt()), p.GetDecidedBy().GetUserId()
		switch p.GetOutcome() {
		case corridorv1.DecisionOutcome_DECISION_OUTCOME_ACCEPT:
			m.Body = &events.Accept{}
		case corridorv1.DecisionOutcome_DECISION_OUTCOME_DECLINE:
			m.Body = &events.Decline{ReasonCode: p.GetReasonCode(), Reason: p.GetReason()}
		default:
			return m, errors.New("decision has no outcome")
		}
	case *corridorv1.Withdrawal:
		m.At, m.By = fromMicrosTime(p.GetWithdrawnAt()), p.GetWithdrawnBy().GetUserId()
		m.Body = &events.Withdraw{Reason: p.GetReason()}
	case *corridorv1.InformationRequest:
		m.At, m.By = fromMicrosTime(p.GetRequestedAt()), p.GetRequestedBy().GetUserId()
		b := &events.RequestInfo{RequestID: p.GetRequestId(), RespondBy: p.GetRespondBy(), Note: p.GetNote()}
		for _, q := range p.GetItems() {
			b.Items = append(b.Items, events.Question{ID: q.GetId(), Topic: q.GetTopic(), Question: q.GetQuestion()})
		}
		m.Body = b
	case *corridorv1.InformationResponse:
		m.At, m.By = fromMicrosTime(p.GetAnsweredAt()), p.GetAnsweredBy().GetUserId()
		b := &events.RespondInfo{RequestID: p.GetRequestId(), Note: p.GetAnswer(), Trafficking: traffickingFromProto(p.GetTrafficking())}
		if p.Child != nil {
			c := childFromProto(p.GetChild())
			b.Child = &c
		}
		if p.Family != nil {
			f := familyFromProto(p.GetFamily())
			b.Family = &f
		}
		if p.Consent != nil {
			c := consentFromProto(p.GetConsent())
			b.Consent = &c
		}
		if p.BestInterests != nil {
			bi := bestInterestsFromProto(p.GetBestInterests())
			b.BestInterests = &bi
		}
		if p.Work != nil {
			w := workFromProto(p.GetWork())
			b.Work = &w
		}
		for _, a := range p.GetAnswers() {
			b.Items = append(b.Items, events.Answer{QuestionID: a.GetQuestionId(), Answer: a.GetAnswer()})
		}
		m.Body = b
	case *corridorv1.HandoverPlan:
		m.At, m.By = fromMicrosTime(p.GetProposedAt()), p.GetPlannedBy().GetUserId()
		side, err := sideFromProto(p.GetProposedBy())
		if err != nil {
			return m, err
		}
		b := &events.PlanHandover{Revision: int(p.GetRevision()), ProposedBy: side,
			PlannedFor: fromMicros(p.GetPlannedFor()), Place: p.GetPlace(), BorderPost: p.GetLocality(),
			Transport: p.GetTransport(), ReceivedBy: personFromProto(p.GetReceivingOfficer()), Notes: p.GetNotes()}
		for _, e := range p.GetEscorts() {
			b.Escorts = append(b.Escorts, personFromProto(e))
		}
		for _, d := range p.GetTravelDocuments() {
			b.TravelDocuments = append(b.TravelDocuments, events.TravelDocument{Type: d.GetType(), Number: d.GetNumber(), Status: d.GetStatus(), Notes: d.GetNotes()})
		}
		m.Body = b
	case *corridorv1.HandoverConfirmation:
		m.At, m.By = fromMicrosTime(p.GetConfirmedAt()), p.GetConfirmedBy().GetUserId()
		side, err := sideFromProto(p.GetSide())
		if err != nil {
			return m, err
		}
		planBy, err := sideFromProto(p.GetPlanProposedBy())
		if err != nil {
			return m, err
		}
		m.Body = &events.ConfirmHandover{Side: side, PlanBy: planBy, Revision: int(p.GetPlanRevision()),
			HandedOverAt: fromMicros(p.GetHandedOverAt()), Notes: p.GetNotes()}
	case *corridorv1.ServiceUpdate:
		m.At, m.By = fromMicrosTime(p.GetRecordedAt()), p.GetRecordedBy().GetUserId()
		m.Body = &events.RecordService{ServiceID: p.GetServiceId(), Type: p.GetService(), Provider: p.GetProvider(),
			StartDate: p.GetDate(), EndDate: p.GetEndDate(), Status: fromEnum(p.GetStatus().String(), "SERVICE_STATUS_"), Notes: p.GetNotes()}
	case *corridorv1.FollowUp:
		m.At, m.By = fromMicrosTime(p.GetRecordedAt()), p.GetVisitedBy().GetUserId()
		m.Body = &events.RecordFollowUp{FollowUpID: p.GetFollowUpId(), Date: p.GetVisitDate(), Method: p.GetMethod(),
			AtHome: answerFromProto(p.GetAtHome()), InSchool: answerFromProto(p.GetInSchool()),
			StillWorking: answerFromProto(p.GetStillWorking()), AtRisk: answerFromProto(p.GetAtRisk()), Notes: p.GetNotes()}
	case *corridorv1.Closure:
		m.At, m.By = fromMicrosTime(p.GetClosedAt()), p.GetClosedBy().GetUserId()
		m.Body = &events.Close{ReasonCode: p.GetReasonCode(), Note: p.GetReason()}
	case *corridorv1.StatusChange:
		m.At, m.By = fromMicrosTime(p.GetChangedAt()), p.GetChangedBy().GetUserId()
		ev := cases.Event(p.GetEvent())
		if !events.IsStatusChange(ev) {
			return m, errors.New("status change names no event a status change records")
		}
		m.Body = &events.StatusChange{Of: ev, ReasonCode: p.GetReasonCode(), Note: p.GetNote()}
	default:
		return m, fmt.Errorf("%T is not an event message", p)
	}
	return m, nil
}

func personToProto(p events.Person) *corridorv1.Officer {
	o := &corridorv1.Officer{Name: p.Name, Title: p.Title}
	if p.Phone != "" {
		o.Contact = &corridorv1.Contact{Phone: p.Phone}
	}
	return o
}

func personFromProto(o *corridorv1.Officer) events.Person {
	return events.Person{Name: o.GetName(), Title: o.GetTitle(), Phone: o.GetContact().GetPhone()}
}

func sideToProto(s cases.Side) corridorv1.HandoverSide {
	switch s {
	case cases.Sender:
		return corridorv1.HandoverSide_HANDOVER_SIDE_SENDING
	case cases.Recipient:
		return corridorv1.HandoverSide_HANDOVER_SIDE_RECEIVING
	}
	return corridorv1.HandoverSide_HANDOVER_SIDE_UNSPECIFIED
}

func sideFromProto(s corridorv1.HandoverSide) (cases.Side, error) {
	switch s {
	case corridorv1.HandoverSide_HANDOVER_SIDE_SENDING:
		return cases.Sender, nil
	case corridorv1.HandoverSide_HANDOVER_SIDE_RECEIVING:
		return cases.Recipient, nil
	}
	return "", errors.New("handover side is not given")
}

// fromMicrosTime reads the wire's microseconds since the epoch; zero (not
// given) and values no database could store read as the zero time, which
// the applier replaces by the message's sending time.
func fromMicrosTime(us int64) time.Time {
	if us <= 0 {
		return time.Time{}
	}
	t := time.UnixMicro(us).UTC()
	if t.Year() > 9999 {
		return time.Time{}
	}
	return t
}
