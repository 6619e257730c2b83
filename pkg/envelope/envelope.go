package envelope

import (
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/corridor-org/corridor/pkg/canonical"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/signing"
)

// Size limits. NATS's default max_payload is 1 MiB (1,048,576 bytes) for the
// headers and payload of a message together; MaxEnvelopeSize leaves 64 KiB of
// it to the subject and NATS headers (Nats-Msg-Id and the like).
const (
	// MaxEnvelopeSize is the largest envelope Open accepts, in bytes.
	MaxEnvelopeSize = 1<<20 - 64<<10
	// MaxPlaintextSize is the largest payload Seal accepts. It leaves 4 KiB
	// for the header (at most 11 fields of 128 bytes), the encapsulated key,
	// the AEAD tag, the signature and protobuf tags, so every envelope Seal
	// makes fits in MaxEnvelopeSize.
	MaxPlaintextSize = MaxEnvelopeSize - 4<<10
	// MaxFieldSize is the longest string header field, in bytes.
	MaxFieldSize = 128
	// MaxReceiptSize is the largest receipt OpenReceipt accepts, in bytes.
	MaxReceiptSize = 4 << 10
)

// The HPKE ciphersuite, fixed by the protocol. Sizes are those of
// MLKEM768-X25519 (draft-ietf-hpke-pq).
const (
	// EncryptionAlgorithm names the KEM in the corridor directory.
	EncryptionAlgorithm = "MLKEM768-X25519"
	// EncryptionPublicKeySize is the size of a serialized public key.
	EncryptionPublicKeySize = 1216
	// DecryptionKeySize is the size of a serialized private key (a seed).
	DecryptionKeySize = 32
	// EncSize is the size of the HPKE encapsulated key.
	EncSize = 1120
)

// The reasons Open and OpenReceipt reject their input, in the order they are
// checked. An error that matches none of them is the opener's own failure
// (its directory is unavailable, its key is unusable): try again later
// rather than quarantining the message. ErrUnknownKey and ErrBadSignature are
// the same values as signing's, so a directory wrapping
// signing.ErrUnknownKey is reported as ErrUnknownKey.
var (
	// ErrTooLarge: the input is longer than MaxEnvelopeSize (or
	// MaxReceiptSize). Checked before anything is parsed.
	ErrTooLarge = errors.New("too large")
	// ErrMalformed: the input does not parse, has unknown fields, or a field
	// is missing, too long or the wrong size (a truncated envelope).
	ErrMalformed = errors.New("malformed")
	// ErrWrongRecipient: the envelope is addressed to another member.
	ErrWrongRecipient = errors.New("wrong recipient")
	// ErrUnknownKey: the recipient key id is none of the opener's keys, or
	// the sender's key id is not in the directory for that member.
	ErrUnknownKey = signing.ErrUnknownKey
	// ErrBadSignature: the sender's signature over the encrypted body does
	// not verify: the body or the signature was altered or forged.
	ErrBadSignature = signing.ErrBadSignature
	// ErrHeaderAltered: the body is the sender's, but it does not decrypt
	// under this header: a header field was altered after sealing.
	ErrHeaderAltered = errors.New("header altered")
	// ErrNotCanonical: the input parses, but its bytes are not the
	// canonical encoding of what it says (deterministic protobuf: fields in
	// number order, each once, no zero values, minimal varints). Two byte
	// strings for one message would give one message two digests, so only
	// the canonical one is accepted. Checked after ErrMalformed.
	ErrNotCanonical = canonical.ErrNotCanonical
)

// Header is an envelope's clear-text header. None of its fields may carry
// personal data: the hub and the transport see them.
type Header struct {
	MessageID       string
	Corridor        string
	SenderMember    corridor.MemberCode
	SenderAgency    string
	RecipientMember corridor.MemberCode
	RecipientAgency string
	MessageType     string
	CaseRef         string
	// ReferralID is the referral the message concerns (field 15): the
	// receiver files the message without reading the payload.
	ReferralID string
	// SentAt travels as microseconds since the Unix epoch; Seal truncates
	// it and Open returns it in UTC.
	SentAt         time.Time
	SenderKeyID    string
	RecipientKeyID string
}

// SigningKey is a member's Ed25519 signing key and its directory id. It
// prints, formats and logs as its id only: a private key never reaches a
// log by accident.
type SigningKey struct {
	ID      string
	Private ed25519.PrivateKey
}

// String returns the key's redacted form.
func (k SigningKey) String() string { return redacted("SigningKey", k.ID) }

// GoString returns the key's redacted form, for %#v.
func (k SigningKey) GoString() string { return k.String() }

// Format prints the redacted form whatever the verb (%v, %+v, %x, %s…).
func (k SigningKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue logs the key id only.
func (k SigningKey) LogValue() slog.Value { return redactedLog(k.ID) }

// MarshalJSON writes the key id only: keys are never stored as this type.
func (k SigningKey) MarshalJSON() ([]byte, error) { return redactedJSON(k.ID) }

// Public returns the public half of k, as published in the directory.
func (k SigningKey) Public() ed25519.PublicKey {
	return k.Private.Public().(ed25519.PublicKey)
}

// EncryptionKey is a recipient's HPKE public key (RFC 9180
// SerializePublicKey) and its directory id.
type EncryptionKey struct {
	ID     string
	Public []byte
}

// DecryptionKey is a member's HPKE private key (RFC 9180 SerializePrivateKey,
// a 32-byte seed for MLKEM768-X25519) and the id of its public half.
// It prints, formats and logs as its id only, as SigningKey does.
type DecryptionKey struct {
	ID      string
	Private []byte
}

// String returns the key's redacted form.
func (k DecryptionKey) String() string { return redacted("DecryptionKey", k.ID) }

// GoString returns the key's redacted form, for %#v.
func (k DecryptionKey) GoString() string { return k.String() }

// Format prints the redacted form whatever the verb.
func (k DecryptionKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue logs the key id only.
func (k DecryptionKey) LogValue() slog.Value { return redactedLog(k.ID) }

// MarshalJSON writes the key id only: keys are never stored as this type.
func (k DecryptionKey) MarshalJSON() ([]byte, error) { return redactedJSON(k.ID) }

// Redacted is what a private key prints in place of its bytes.
const Redacted = "[REDACTED]"

func redacted(kind, id string) string {
	return kind + "{ID: " + strconv.Quote(id) + ", Private: " + Redacted + "}"
}

func redactedJSON(id string) ([]byte, error) {
	return json.Marshal(struct {
		ID      string
		Private string
	}{id, Redacted})
}

func redactedLog(id string) slog.Value {
	return slog.GroupValue(slog.String("id", id), slog.String("private", Redacted))
}

// EncryptionKey returns the public half of k.
func (k DecryptionKey) EncryptionKey() (EncryptionKey, error) {
	priv, err := kem().NewPrivateKey(k.Private)
	if err != nil {
		return EncryptionKey{}, fmt.Errorf("parse decryption key %q: %w", k.ID, err)
	}
	return EncryptionKey{ID: k.ID, Public: priv.PublicKey().Bytes()}, nil
}

// PublicKeys finds a member's signing public key by key id (the directory
// implements it). It returns an error wrapping ErrUnknownKey when there is no
// such key.
type PublicKeys interface {
	SigningKey(member corridor.MemberCode, keyID string) (ed25519.PublicKey, error)
}

// GenerateSigningKey returns a new Ed25519 signing key with the given id.
func GenerateSigningKey(id string) (SigningKey, error) {
	if err := checkID(id); err != nil {
		return SigningKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	_, priv, err := signing.GenerateKey()
	if err != nil {
		return SigningKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	return SigningKey{ID: id, Private: priv}, nil
}

// GenerateDecryptionKey returns a new MLKEM768-X25519 key pair with the given
// id: the private half for the member's relay, the public half for the
// directory.
func GenerateDecryptionKey(id string) (DecryptionKey, EncryptionKey, error) {
	if err := checkID(id); err != nil {
		return DecryptionKey{}, EncryptionKey{}, fmt.Errorf("generate decryption key: %w", err)
	}
	priv, err := kem().GenerateKey()
	if err != nil {
		return DecryptionKey{}, EncryptionKey{}, fmt.Errorf("generate decryption key: %w", err)
	}
	b, err := priv.Bytes()
	if err != nil {
		return DecryptionKey{}, EncryptionKey{}, fmt.Errorf("serialize decryption key: %w", err)
	}
	return DecryptionKey{ID: id, Private: b}, EncryptionKey{ID: id, Public: priv.PublicKey().Bytes()}, nil
}

func kem() hpke.KEM   { return hpke.MLKEM768X25519() }
func kdf() hpke.KDF   { return hpke.HKDFSHA256() }
func aead() hpke.AEAD { return hpke.ChaCha20Poly1305() }

func checkID(id string) error {
	if msg := identifierProblem(id); msg != "" {
		return fmt.Errorf("key id %s", msg)
	}
	return nil
}
