package envelope

import (
	"crypto/ed25519"
	"crypto/hpke"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/canonical"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/signing"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
)

// Opener opens the envelopes addressed to one member.
type Opener struct {
	// Self is the member this relay receives for.
	Self corridor.MemberCode
	// Keys are the member's decryption keys: the current one and, during a
	// rotation, the previous ones until no envelope sealed to them is in
	// flight.
	Keys []DecryptionKey
	// Peers finds the senders' signing keys (the corridor directory).
	Peers PublicKeys
}

// Open checks an envelope and returns its header and plaintext. The checks
// run in this order and fail with an error wrapping: ErrTooLarge,
// ErrMalformed, ErrNotCanonical, ErrWrongRecipient, ErrUnknownKey
// (recipient key, then sender key), ErrBadSignature, ErrHeaderAltered. Any other error is the opener's
// own failure. On error the header is the zero value; use PeekHeader for a
// quarantine record.
func (o *Opener) Open(data []byte) (Header, []byte, error) {
	env, h, err := decode(data)
	if err != nil {
		return Header{}, nil, fmt.Errorf("open envelope: %w", err)
	}
	if err := canonical.Check(data, env); err != nil {
		return Header{}, nil, fmt.Errorf("open envelope %s: %w", h.MessageID, err)
	}
	if h.RecipientMember != o.Self {
		return Header{}, nil, fmt.Errorf("open envelope %s: addressed to %s, this is %s: %w", h.MessageID, h.RecipientMember, o.Self, ErrWrongRecipient)
	}
	key, ok := o.key(h.RecipientKeyID)
	if !ok {
		return Header{}, nil, fmt.Errorf("open envelope %s: recipient key %q is not one of %s's decryption keys: %w", h.MessageID, h.RecipientKeyID, o.Self, ErrUnknownKey)
	}
	if o.Peers == nil {
		return Header{}, nil, fmt.Errorf("open envelope %s: opener has no peer keys", h.MessageID)
	}
	pub, err := o.Peers.SigningKey(h.SenderMember, h.SenderKeyID)
	if err != nil {
		// err wraps ErrUnknownKey when the directory has no such key; any
		// other lookup failure stays distinct so the caller retries.
		return Header{}, nil, fmt.Errorf("open envelope %s: look up signing key %q of %s: %w", h.MessageID, h.SenderKeyID, h.SenderMember, err)
	}
	if len(pub) != ed25519.PublicKeySize {
		return Header{}, nil, fmt.Errorf("open envelope %s: signing key %q of %s is %d bytes", h.MessageID, h.SenderKeyID, h.SenderMember, len(pub))
	}
	if err := signing.Verify(pub, signing.PurposeEnvelope, signedBody(h.SenderKeyID, env.Enc, env.Ciphertext), env.Signature); err != nil {
		return Header{}, nil, fmt.Errorf("open envelope %s: %w", h.MessageID, err)
	}

	priv, err := kem().NewPrivateKey(key.Private)
	if err != nil {
		return Header{}, nil, fmt.Errorf("open envelope %s: parse decryption key %q: %w", h.MessageID, key.ID, err)
	}
	ch := canonicalHeader(h)
	recipient, err := hpke.NewRecipient(env.Enc, priv, kdf(), aead(), hpkeInfo(ch))
	if err != nil {
		// The signature covers enc, so the sender produced an unusable one.
		return Header{}, nil, fmt.Errorf("open envelope %s: encapsulated key rejected: %w", h.MessageID, errors.Join(ErrMalformed, err))
	}
	plaintext, err := recipient.Open(ch, env.Ciphertext)
	if err != nil {
		// The signature proved enc and ciphertext are the sender's, so the
		// only input that can differ from what was sealed is the header.
		return Header{}, nil, fmt.Errorf("open envelope %s: body does not decrypt under this header: %w", h.MessageID, ErrHeaderAltered)
	}
	return h, plaintext, nil
}

func (o *Opener) key(id string) (DecryptionKey, bool) {
	for _, k := range o.Keys {
		if k.ID == id {
			return k, true
		}
	}
	return DecryptionKey{}, false
}

// PeekHeader returns an envelope's header without authenticating anything:
// use it only to record what a rejected envelope claimed to be. It fails
// with ErrTooLarge or ErrMalformed as Open would.
func PeekHeader(data []byte) (Header, error) {
	_, h, err := decode(data)
	if err != nil {
		return Header{}, fmt.Errorf("peek envelope header: %w", err)
	}
	return h, nil
}

// decode parses and checks the form of an envelope: size, protobuf, no
// unknown fields, a valid header, and body fields of the right sizes.
func decode(data []byte) (*corridorv1.Envelope, Header, error) {
	if len(data) > MaxEnvelopeSize {
		return nil, Header{}, fmt.Errorf("%d bytes over %d: %w", len(data), MaxEnvelopeSize, ErrTooLarge)
	}
	var env corridorv1.Envelope
	if err := proto.Unmarshal(data, &env); err != nil {
		return nil, Header{}, fmt.Errorf("parse: %w", errors.Join(ErrMalformed, err))
	}
	// A field this version does not know is a field it cannot authenticate.
	if len(env.ProtoReflect().GetUnknown()) > 0 {
		return nil, Header{}, fmt.Errorf("unknown fields: %w", ErrMalformed)
	}
	h := Header{
		MessageID:       env.GetMessageId(),
		Corridor:        env.GetCorridor(),
		SenderMember:    corridor.MemberCode(env.GetSenderMember()),
		SenderAgency:    env.GetSenderAgency(),
		RecipientMember: corridor.MemberCode(env.GetRecipientMember()),
		RecipientAgency: env.GetRecipientAgency(),
		MessageType:     env.GetMessageType(),
		CaseRef:         env.GetCaseRef(),
		ReferralID:      env.GetReferralId(),
		SentAt:          fromMicros(env.GetSentAt()),
		SenderKeyID:     env.GetSenderKeyId(),
		RecipientKeyID:  env.GetRecipientKeyId(),
	}
	if err := h.validate(); err != nil {
		return nil, Header{}, fmt.Errorf("header fields %s: %w", fieldNames(err), errors.Join(ErrMalformed, err))
	}
	var problems []string
	if len(env.GetEnc()) != EncSize {
		problems = append(problems, fmt.Sprintf("enc is %d bytes, want %d", len(env.GetEnc()), EncSize))
	}
	if len(env.GetCiphertext()) < aeadTagSize {
		problems = append(problems, fmt.Sprintf("ciphertext is %d bytes, want at least %d", len(env.GetCiphertext()), aeadTagSize))
	}
	if len(env.GetSignature()) != ed25519.SignatureSize {
		problems = append(problems, fmt.Sprintf("signature is %d bytes, want %d", len(env.GetSignature()), ed25519.SignatureSize))
	}
	if len(problems) > 0 {
		return nil, Header{}, fmt.Errorf("envelope %s: %s: %w", h.MessageID, strings.Join(problems, "; "), ErrMalformed)
	}
	return &env, h, nil
}

// aeadTagSize is ChaCha20-Poly1305's tag size: the ciphertext of an empty
// plaintext.
const aeadTagSize = 16

// fieldNames lists the fields a *corridor.Error names, for log context.
func fieldNames(err error) string {
	var ce *corridor.Error
	if !errors.As(err, &ce) {
		return "?"
	}
	names := make([]string, len(ce.Fields))
	for i, f := range ce.Fields {
		names[i] = f.Field
	}
	return strings.Join(names, ", ")
}
