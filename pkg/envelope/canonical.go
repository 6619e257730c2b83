package envelope

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// headerLabel starts the canonical header so that its bytes can never be
// mistaken for another structure's.
const headerLabel = "corridor/v1 header"

// appendLP appends b prefixed with its length as a 4-byte big-endian integer.
// Every variable-length value in the canonical encodings is written this way,
// so no two different inputs encode to the same bytes.
func appendLP[T ~string | ~[]byte](dst []byte, b T) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}

// appendTime appends t as microseconds since the Unix epoch, an 8-byte
// big-endian two's-complement integer.
func appendTime(dst []byte, t time.Time) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t.UnixMicro()))
}

// canonicalHeader is the AEAD additional data of an envelope, and its
// SHA-256 is the HPKE info: the label and every header field in field-number
// order (referral_id, field 15, last).
func canonicalHeader(h Header) []byte {
	b := make([]byte, 0, 4+len(headerLabel)+12*(4+MaxFieldSize))
	b = appendLP(b, headerLabel)
	b = appendLP(b, h.MessageID)
	b = appendLP(b, h.Corridor)
	b = appendLP(b, h.SenderMember)
	b = appendLP(b, h.SenderAgency)
	b = appendLP(b, h.RecipientMember)
	b = appendLP(b, h.RecipientAgency)
	b = appendLP(b, h.MessageType)
	b = appendLP(b, h.CaseRef)
	b = appendTime(b, h.SentAt)
	b = appendLP(b, h.SenderKeyID)
	b = appendLP(b, h.RecipientKeyID)
	b = appendLP(b, h.ReferralID)
	return b
}

// signedBody is what the sender signs (after the purpose prefix that package
// signing adds): the sender's key id, the encapsulated key and the ciphertext.
func signedBody(senderKeyID string, enc, ciphertext []byte) []byte {
	b := make([]byte, 0, 12+len(senderKeyID)+len(enc)+len(ciphertext))
	b = appendLP(b, senderKeyID)
	b = appendLP(b, enc)
	return appendLP(b, ciphertext)
}

// signedReceipt is what a receiver signs (after the purpose prefix).
func signedReceipt(r Receipt) []byte {
	b := make([]byte, 0, 256)
	b = appendLP(b, r.MessageID)
	b = appendLP(b, r.ReceiverMember)
	b = appendLP(b, r.ReceiverAgency)
	b = appendLP(b, r.SenderMember)
	b = appendTime(b, r.ReceivedAt)
	b = appendLP(b, r.EnvelopeSHA256[:])
	return appendLP(b, r.KeyID)
}

// hpkeInfo is the HPKE info for a canonical header: its SHA-256. Hashing
// keeps info within RFC 9180's recommended 64-byte limit for interoperability
// while binding every header field into the key schedule.
func hpkeInfo(ch []byte) []byte {
	sum := sha256.Sum256(ch)
	return sum[:]
}
