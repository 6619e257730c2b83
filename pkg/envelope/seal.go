package envelope

import (
	"crypto/hpke"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/signing"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
)

// Seal encrypts plaintext to the recipient's key to, signs the result with
// signer and returns the marshalled corridorv1.Envelope. It sets
// h.RecipientKeyID and h.SenderKeyID from the keys and truncates h.SentAt to
// microseconds. An invalid header is a *corridor.Error of kind invalid naming
// the bad fields; a plaintext over MaxPlaintextSize is ErrTooLarge.
func Seal(h Header, plaintext []byte, to EncryptionKey, signer SigningKey) ([]byte, error) {
	h.RecipientKeyID = to.ID
	h.SenderKeyID = signer.ID
	h.SentAt = fromMicros(h.SentAt.UnixMicro())
	if err := h.validate(); err != nil {
		return nil, fmt.Errorf("seal envelope: %w", err)
	}
	if len(plaintext) > MaxPlaintextSize {
		return nil, fmt.Errorf("seal envelope %s: plaintext of %d bytes over %d: %w", h.MessageID, len(plaintext), MaxPlaintextSize, ErrTooLarge)
	}
	pub, err := kem().NewPublicKey(to.Public)
	if err != nil {
		return nil, fmt.Errorf("seal envelope %s: parse encryption key %q: %w", h.MessageID, to.ID, err)
	}

	ch := canonicalHeader(h)
	enc, sender, err := hpke.NewSender(pub, kdf(), aead(), hpkeInfo(ch))
	if err != nil {
		return nil, fmt.Errorf("seal envelope %s: set up HPKE: %w", h.MessageID, err)
	}
	ciphertext, err := sender.Seal(ch, plaintext)
	if err != nil {
		return nil, fmt.Errorf("seal envelope %s: encrypt: %w", h.MessageID, err)
	}
	sig, err := signing.Sign(signer.Private, signing.PurposeEnvelope, signedBody(h.SenderKeyID, enc, ciphertext))
	if err != nil {
		return nil, fmt.Errorf("seal envelope %s: %w", h.MessageID, err)
	}

	env := &corridorv1.Envelope{
		MessageId:       h.MessageID,
		Corridor:        h.Corridor,
		SenderMember:    string(h.SenderMember),
		SenderAgency:    h.SenderAgency,
		RecipientMember: string(h.RecipientMember),
		RecipientAgency: h.RecipientAgency,
		MessageType:     h.MessageType,
		CaseRef:         h.CaseRef,
		ReferralId:      h.ReferralID,
		SentAt:          h.SentAt.UnixMicro(),
		SenderKeyId:     h.SenderKeyID,
		RecipientKeyId:  h.RecipientKeyID,
		Enc:             enc,
		Ciphertext:      ciphertext,
		Signature:       sig,
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("seal envelope %s: marshal: %w", h.MessageID, err)
	}
	return b, nil
}
