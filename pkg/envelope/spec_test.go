package envelope_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"google.golang.org/protobuf/proto"

	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
)

// TestVectorsFollowTheSpec opens the committed valid vectors the way
// docs/protocol/README.md describes, written from the document and not from
// package envelope, so the document and the code cannot drift apart.
func TestVectorsFollowTheSpec(t *testing.T) {
	t.Parallel()
	var v envelopeVectors
	readJSON(t, "envelope.json", &v)

	lp := func(dst []byte, b []byte) []byte {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
		return append(dst, b...)
	}
	for _, vv := range v.Valid {
		var env corridorv1.Envelope
		if err := proto.Unmarshal(b64(t, vv.Envelope), &env); err != nil {
			t.Fatal(err)
		}
		// §3.1
		var h []byte
		h = lp(h, []byte("corridor/v1 header"))
		for _, s := range []string{env.MessageId, env.Corridor, env.SenderMember, env.SenderAgency,
			env.RecipientMember, env.RecipientAgency, env.MessageType, env.CaseRef} {
			h = lp(h, []byte(s))
		}
		h = binary.BigEndian.AppendUint64(h, uint64(env.SentAt))
		h = lp(h, []byte(env.SenderKeyId))
		h = lp(h, []byte(env.RecipientKeyId))
		h = lp(h, []byte(env.ReferralId))
		if !bytes.Equal(h, unhex(t, vv.CanonicalHeader)) {
			t.Errorf("%s: canonical header differs from the document's", vv.Name)
		}

		// §2 and §3.2 step 4
		var signed []byte
		signed = lp(signed, []byte("corridor/v1 envelope"))
		signed = lp(signed, []byte(env.SenderKeyId))
		signed = lp(signed, env.Enc)
		signed = lp(signed, env.Ciphertext)
		var pub ed25519.PublicKey
		for _, k := range v.Opener.SigningKeys {
			if string(k.Member) == env.SenderMember && k.ID == env.SenderKeyId {
				pub = b64(t, k.PublicKey)
			}
		}
		if pub == nil || !ed25519.Verify(pub, signed, env.Signature) {
			t.Errorf("%s: signature does not verify as documented", vv.Name)
		}

		// §3.2 steps 2 and 3
		var priv []byte
		for _, k := range v.Opener.DecryptionKeys {
			if k.ID == env.RecipientKeyId {
				priv = b64(t, k.PrivateKey)
			}
		}
		sk, err := hpke.MLKEM768X25519().NewPrivateKey(priv)
		if err != nil {
			t.Fatalf("%s: private key: %v", vv.Name, err)
		}
		info := sha256.Sum256(h)
		r, err := hpke.NewRecipient(env.Enc, sk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info[:])
		if err != nil {
			t.Fatalf("%s: %v", vv.Name, err)
		}
		pt, err := r.Open(h, env.Ciphertext)
		if err != nil || !bytes.Equal(pt, b64(t, vv.Plaintext)) {
			t.Errorf("%s: does not decrypt as documented: %v", vv.Name, err)
		}
	}
}
