package envelope

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/canonical"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/signing"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
)

// Receipt is a receiver's signed statement that it committed an envelope.
// It mirrors corridorv1.Receipt.
type Receipt struct {
	// MessageID is the received envelope's message id.
	MessageID      string
	ReceiverMember corridor.MemberCode
	ReceiverAgency string
	// SenderMember is the member that sent the envelope.
	SenderMember corridor.MemberCode
	// ReceivedAt travels as microseconds since the Unix epoch.
	ReceivedAt time.Time
	// EnvelopeSHA256 is sha256.Sum256 of the envelope bytes as received.
	EnvelopeSHA256 [sha256.Size]byte
	// KeyID is the receiver's signing key id; SignReceipt sets it.
	KeyID string
}

// SignReceipt signs r with the receiver's key and returns the marshalled
// corridorv1.Receipt. It sets r.KeyID from signer and truncates r.ReceivedAt
// to microseconds.
func SignReceipt(r Receipt, signer SigningKey) ([]byte, error) {
	r.KeyID = signer.ID
	r.ReceivedAt = fromMicros(r.ReceivedAt.UnixMicro())
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("sign receipt: %w", err)
	}
	sig, err := signing.Sign(signer.Private, signing.PurposeReceipt, signedReceipt(r))
	if err != nil {
		return nil, fmt.Errorf("sign receipt for %s: %w", r.MessageID, err)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&corridorv1.Receipt{
		MessageId:      r.MessageID,
		ReceiverMember: string(r.ReceiverMember),
		ReceiverAgency: r.ReceiverAgency,
		SenderMember:   string(r.SenderMember),
		ReceivedAt:     r.ReceivedAt.UnixMicro(),
		EnvelopeSha256: r.EnvelopeSHA256[:],
		KeyId:          r.KeyID,
		Signature:      sig,
	})
	if err != nil {
		return nil, fmt.Errorf("sign receipt for %s: marshal: %w", r.MessageID, err)
	}
	return b, nil
}

// OpenReceipt parses a receipt and verifies its signature with the
// receiver's key from peers. It fails with an error wrapping ErrTooLarge,
// ErrMalformed, ErrNotCanonical, ErrUnknownKey or ErrBadSignature, in that
// order of checks.
// The caller still checks that the receipt is for the envelope it sent: same
// message id, receiver and envelope digest.
func OpenReceipt(data []byte, peers PublicKeys) (Receipt, error) {
	if len(data) > MaxReceiptSize {
		return Receipt{}, fmt.Errorf("open receipt: %d bytes over %d: %w", len(data), MaxReceiptSize, ErrTooLarge)
	}
	var pr corridorv1.Receipt
	if err := proto.Unmarshal(data, &pr); err != nil {
		return Receipt{}, fmt.Errorf("open receipt: parse: %w", errors.Join(ErrMalformed, err))
	}
	if len(pr.ProtoReflect().GetUnknown()) > 0 {
		return Receipt{}, fmt.Errorf("open receipt: unknown fields: %w", ErrMalformed)
	}
	r := Receipt{
		MessageID:      pr.GetMessageId(),
		ReceiverMember: corridor.MemberCode(pr.GetReceiverMember()),
		ReceiverAgency: pr.GetReceiverAgency(),
		SenderMember:   corridor.MemberCode(pr.GetSenderMember()),
		ReceivedAt:     fromMicros(pr.GetReceivedAt()),
		KeyID:          pr.GetKeyId(),
	}
	if len(pr.GetEnvelopeSha256()) != sha256.Size {
		return Receipt{}, fmt.Errorf("open receipt: envelope_sha256 is %d bytes: %w", len(pr.GetEnvelopeSha256()), ErrMalformed)
	}
	copy(r.EnvelopeSHA256[:], pr.GetEnvelopeSha256())
	if err := r.validate(); err != nil {
		return Receipt{}, fmt.Errorf("open receipt: fields %s: %w", fieldNames(err), errors.Join(ErrMalformed, err))
	}
	if len(pr.GetSignature()) != ed25519.SignatureSize {
		return Receipt{}, fmt.Errorf("open receipt for %s: signature is %d bytes: %w", r.MessageID, len(pr.GetSignature()), ErrMalformed)
	}
	if err := canonical.Check(data, &pr); err != nil {
		return Receipt{}, fmt.Errorf("open receipt for %s: %w", r.MessageID, err)
	}
	if peers == nil {
		return Receipt{}, fmt.Errorf("open receipt for %s: no peer keys", r.MessageID)
	}
	if err := signing.VerifyFrom(peers, r.ReceiverMember, r.KeyID, signing.PurposeReceipt, signedReceipt(r), pr.GetSignature()); err != nil {
		return Receipt{}, fmt.Errorf("open receipt for %s: %w", r.MessageID, err)
	}
	return r, nil
}

func (r Receipt) validate() error {
	var fields []corridor.FieldError
	add := func(field, problem string) {
		if problem != "" {
			fields = append(fields, corridor.FieldError{Field: field, Message: problem})
		}
	}
	add("message_id", identifierProblem(r.MessageID))
	add("receiver_member", memberProblem(r.ReceiverMember))
	add("receiver_agency", identifierProblem(r.ReceiverAgency))
	add("sender_member", memberProblem(r.SenderMember))
	if r.ReceivedAt.UnixMicro() <= 0 {
		add("received_at", "must be after 1970-01-01T00:00:00Z")
	}
	add("key_id", identifierProblem(r.KeyID))
	if len(fields) > 0 {
		return corridor.Invalid("invalid receipt", fields...)
	}
	return nil
}
