// Package canonical checks that protobuf bytes are the one canonical
// encoding of the message they carry. Protobuf lets one message travel as
// many byte strings (fields in any order or repeated, zero values written
// out, padded varints); where bytes are signed, digested or compared, a
// receiver accepts only the deterministic encoding, so that one message has
// one byte string and one digest.
package canonical

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
)

// ErrNotCanonical is wrapped by Check's error for bytes that parse but are
// not the canonical encoding.
var ErrNotCanonical = errors.New("not canonically encoded")

// Check fails with an error wrapping ErrNotCanonical unless data is exactly
// the deterministic encoding (proto.MarshalOptions{Deterministic: true}) of
// m, the message that was parsed from it.
func Check(data []byte, m proto.Message) error {
	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return fmt.Errorf("re-encode %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	if !bytes.Equal(want, data) {
		return fmt.Errorf("%d bytes differ from the %d-byte canonical encoding: %w", len(data), len(want), ErrNotCanonical)
	}
	return nil
}

// Digest returns the SHA-256 of m's canonical (deterministic) encoding: the
// one digest of a message, whoever encodes it.
func Digest(m proto.Message) ([sha256.Size]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("encode %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	return sha256.Sum256(b), nil
}
