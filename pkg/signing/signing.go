package signing

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// Algorithm names Ed25519 in the corridor directory and in key files.
const Algorithm = "Ed25519"

// Purpose says what a signature is for. It is signed with the message.
type Purpose string

// The purposes of the corridor protocol, version 1. docs/protocol specifies
// the bytes each one is followed by.
const (
	PurposeEnvelope Purpose = "corridor/v1 envelope"
	PurposeReceipt  Purpose = "corridor/v1 receipt"
	PurposeTracking Purpose = "corridor/v1 tracking"
	// PurposeDirectory is a governance key's signature of a corridor
	// directory version.
	PurposeDirectory Purpose = "corridor/v1 directory"
	// PurposeNotice is the coordinator's signature of an overdue notice
	// it posts to an agency's webhook.
	PurposeNotice Purpose = "corridor/v1 notice"
	// PurposeIndicators is the coordinator's signature of a published
	// indicator set.
	PurposeIndicators Purpose = "corridor/v1 indicators"
)

// Sentinel errors. ErrUnknownKey is also what a PublicKeys implementation
// wraps when it has no key by that id for that member.
var (
	ErrBadSignature = errors.New("bad signature")
	ErrUnknownKey   = errors.New("unknown key")
)

// PublicKeys finds a member's signing public key by key id. The corridor
// directory implements it; an implementation returns an error wrapping
// ErrUnknownKey when it has no such key, and any other error when it cannot
// tell (the directory is unavailable or expired).
type PublicKeys interface {
	SigningKey(member corridor.MemberCode, keyID string) (ed25519.PublicKey, error)
}

// GenerateKey returns a new Ed25519 key pair from crypto/rand.
func GenerateKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate signing key: %w", err)
	}
	return pub, priv, nil
}

// Message returns the exact bytes that are signed for msg under purpose:
// the purpose's length as a 4-byte big-endian integer, the purpose, then msg.
// The length prefix keeps one purpose from being a prefix of another's
// message.
func Message(purpose Purpose, msg []byte) []byte {
	b := make([]byte, 0, 4+len(purpose)+len(msg))
	b = binary.BigEndian.AppendUint32(b, uint32(len(purpose)))
	b = append(b, purpose...)
	return append(b, msg...)
}

// Sign signs msg for purpose with priv.
func Sign(priv ed25519.PrivateKey, purpose Purpose, msg []byte) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("sign %s: private key is %d bytes, want %d", purpose, len(priv), ed25519.PrivateKeySize)
	}
	if purpose == "" {
		return nil, errors.New("sign: empty purpose")
	}
	return ed25519.Sign(priv, Message(purpose, msg)), nil
}

// Verify checks that sig is pub's signature of msg for purpose. It returns
// an error wrapping ErrBadSignature when it is not.
func Verify(pub ed25519.PublicKey, purpose Purpose, msg, sig []byte) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("verify %s: public key is %d bytes, want %d", purpose, len(pub), ed25519.PublicKeySize)
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, Message(purpose, msg), sig) {
		return fmt.Errorf("verify %s: %w", purpose, ErrBadSignature)
	}
	return nil
}

// VerifyFrom looks up member's key keyID in keys and verifies sig with it.
// The error wraps ErrUnknownKey when keys has no such key, ErrBadSignature
// when the signature does not verify, and the lookup's own error otherwise.
func VerifyFrom(keys PublicKeys, member corridor.MemberCode, keyID string, purpose Purpose, msg, sig []byte) error {
	pub, err := keys.SigningKey(member, keyID)
	if err != nil {
		return fmt.Errorf("look up signing key %q of %s: %w", keyID, member, err)
	}
	return Verify(pub, purpose, msg, sig)
}

// EncodeKey encodes key bytes as standard base64 with padding (RFC 4648
// section 4), the encoding of keys in the directory and in key files.
func EncodeKey(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// DecodeKey decodes a key encoded by EncodeKey and checks its length.
func DecodeKey(s string, size int) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decode key: %w", err)
	}
	if len(b) != size {
		return nil, fmt.Errorf("decode key: %d bytes, want %d", len(b), size)
	}
	return b, nil
}

// ParsePublicKey decodes a base64 Ed25519 public key (32 bytes).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := DecodeKey(s, ed25519.PublicKeySize)
	if err != nil {
		return nil, fmt.Errorf("parse signing public key: %w", err)
	}
	return ed25519.PublicKey(b), nil
}

// EncodePrivateKey encodes priv as the base64 of its 32-byte RFC 8032 seed,
// the private key format every Ed25519 library understands.
func EncodePrivateKey(priv ed25519.PrivateKey) string { return EncodeKey(priv.Seed()) }

// ParsePrivateKey decodes a private key encoded by EncodePrivateKey.
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	seed, err := DecodeKey(s, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("parse signing private key: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
