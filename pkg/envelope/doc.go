// Package envelope seals, signs, verifies and opens the envelopes that carry
// Corridor's messages between member relays, and signs and checks delivery
// receipts.
//
// A payload is encrypted with HPKE (RFC 9180, Go's crypto/hpke) to the
// recipient's current key, with the hybrid post-quantum KEM MLKEM768-X25519,
// HKDF-SHA256 and ChaCha20-Poly1305, and the encrypted body is signed with the
// sender's Ed25519 key. The clear-text header is bound into the HPKE key
// schedule (info is its SHA-256) and the AEAD additional data rather than
// into the signature, so that Open can tell an altered header (the
// signature verifies, decryption fails) from a forged or corrupted body (the
// signature fails).
// docs/protocol/README.md specifies every byte and the order of checks;
// docs/protocol/vectors/ holds test vectors for other implementations.
//
// Errors never carry payload bytes; they name only identifiers from the
// header (message ids, member codes, key ids), which carry no personal data.
package envelope
