package streams

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// Stream names, the same on every member.
const (
	Outbox = "OUTBOX"
	Inbox  = "INBOX"
)

// subjectRoot is the first token of every corridor subject.
const subjectRoot = "corr"

var (
	memberPattern = regexp.MustCompile(`^[a-z][a-z0-9]{1,15}$`)
	typePattern   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

const msgIDSeparator = ":"

// Route is where one message goes: sent by From's relay to To's, as Type.
type Route struct {
	From, To, Type string
}

// OutSubject returns the subject From publishes to in its OUTBOX:
// corr.<from>.out.<to>.<type>. Members are JetStream domains ("ci", "bf",
// "coord"); the type is one lower-case token ("referral", "receipt").
func OutSubject(from, to, msgType string) (string, error) {
	if err := checkRoute(from, to, msgType); err != nil {
		return "", err
	}
	return strings.Join([]string{subjectRoot, from, "out", to, msgType}, "."), nil
}

// InSubject returns the subject a message from from has in me's INBOX:
// corr.<me>.in.<from>.<type>.
func InSubject(me, from, msgType string) (string, error) {
	if err := checkRoute(from, me, msgType); err != nil {
		return "", err
	}
	return strings.Join([]string{subjectRoot, me, "in", from, msgType}, "."), nil
}

// ParseOutSubject reads an OUTBOX subject back into its route.
func ParseOutSubject(subject string) (Route, error) {
	from, to, typ, err := parse(subject, "out")
	if err != nil {
		return Route{}, err
	}
	return Route{From: from, To: to, Type: typ}, nil
}

// ParseInSubject reads an INBOX subject back into its route: To is the
// member whose INBOX holds it, From the peer that sent it.
func ParseInSubject(subject string) (Route, error) {
	me, from, typ, err := parse(subject, "in")
	if err != nil {
		return Route{}, err
	}
	return Route{From: from, To: me, Type: typ}, nil
}

func parse(subject, direction string) (owner, peer, typ string, err error) {
	tok := strings.Split(subject, ".")
	if len(tok) != 5 || tok[0] != subjectRoot || tok[2] != direction {
		return "", "", "", corridor.Errorf(corridor.KindInvalid, "not a corridor %s subject", direction)
	}
	if direction == "out" {
		err = checkRoute(tok[1], tok[3], tok[4])
	} else {
		err = checkRoute(tok[3], tok[1], tok[4])
	}
	if err != nil {
		return "", "", "", err
	}
	return tok[1], tok[3], tok[4], nil
}

// OutboxSubjects returns the subject filter of member's OUTBOX:
// corr.<member>.out.>.
func OutboxSubjects(member string) string {
	return subjectRoot + "." + member + ".out.>"
}

// OutboxSliceFor returns the part of from's OUTBOX addressed to to:
// corr.<from>.out.<to>.>. It is the filter of to's source and the filter the
// hub's export allows to.
func OutboxSliceFor(from, to string) string {
	return subjectRoot + "." + from + ".out." + to + ".>"
}

// InboxSubjects returns the subjects of everything in member's INBOX:
// corr.<member>.in.>.
func InboxSubjects(member string) string {
	return subjectRoot + "." + member + ".in.>"
}

// InboxSubjectsFrom returns the subjects in me's INBOX that came from from:
// corr.<me>.in.<from>.>.
func InboxSubjectsFrom(me, from string) string {
	return subjectRoot + "." + me + ".in." + from + ".>"
}

// DeliverPrefix returns the subject prefix to which origin's server pushes
// what recipient's INBOX sources from it. It is unique per pair so that the
// hub can export each pair's traffic to its recipient alone; deploy/nats
// exports and imports corridor.deliver.<origin>.<recipient>.>.
func DeliverPrefix(origin, recipient string) string {
	return "corridor.deliver." + origin + "." + recipient
}

// SourceConsumer returns the name of the durable consumer on origin's
// OUTBOX that recipient's INBOX sources through: "to-<recipient>".
func SourceConsumer(recipient string) string {
	return "to-" + recipient
}

// SourceDeliverSubject returns the subject origin's source consumer for
// recipient pushes to, inside DeliverPrefix(origin, recipient).
func SourceDeliverSubject(origin, recipient string) string {
	return DeliverPrefix(origin, recipient) + ".durable"
}

// APIPrefix returns the JetStream API prefix of member's domain, as seen
// from other domains: $JS.<member>.API.
func APIPrefix(member string) string {
	return "$JS." + member + ".API"
}

// MsgID returns the Nats-Msg-Id for message id from member: <member>:<id>.
// JetStream deduplicates on it in the origin's OUTBOX and again in each
// recipient's INBOX, which holds messages from every peer, so it must be
// unique across members: the origin prefix guarantees that. The hub sees
// it, so id must be the message's own random id (corridor.NewID), never a
// case id, referral id or anything derived from personal data.
func MsgID(member, id string) (string, error) {
	if err := checkMember("member", member); err != nil {
		return "", err
	}
	if !idPattern.MatchString(id) {
		return "", corridor.Invalid("invalid message id",
			corridor.FieldError{Field: "id", Message: "must be 1 to 64 letters, digits, '_' or '-'"})
	}
	return member + msgIDSeparator + id, nil
}

// ParseMsgID splits a Nats-Msg-Id made by MsgID. A recipient can check that
// member is the peer the message was sourced from.
func ParseMsgID(msgID string) (member, id string, err error) {
	member, id, ok := strings.Cut(msgID, msgIDSeparator)
	if !ok || checkMember("member", member) != nil || !idPattern.MatchString(id) {
		return "", "", corridor.Errorf(corridor.KindInvalid, "not a corridor message id")
	}
	return member, id, nil
}

func checkRoute(from, to, msgType string) error {
	if err := checkMember("from", from); err != nil {
		return err
	}
	if err := checkMember("to", to); err != nil {
		return err
	}
	if from == to {
		return corridor.Invalid("a member cannot send to itself",
			corridor.FieldError{Field: "to", Message: "must differ from the sender"})
	}
	if !typePattern.MatchString(msgType) {
		return corridor.Invalid("invalid message type",
			corridor.FieldError{Field: "type", Message: "must be one lower-case token of letters, digits, '_' or '-'"})
	}
	return nil
}

func checkMember(field, m string) error {
	if !memberPattern.MatchString(m) {
		return corridor.Invalid("invalid member",
			corridor.FieldError{Field: field, Message: fmt.Sprintf("must be a lower-case member domain such as %q", "ci")})
	}
	return nil
}
