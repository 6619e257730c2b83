package envelope_test

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/exchange"
)

// keyMap is a PublicKeys of fixed keys, as a directory would be.
type keyMap map[corridor.MemberCode]map[string]ed25519.PublicKey

func (m keyMap) SigningKey(member corridor.MemberCode, keyID string) (ed25519.PublicKey, error) {
	if k, ok := m[member][keyID]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("find signing key: %w", envelope.ErrUnknownKey)
}

// failingKeys stands for a directory that cannot answer at all.
type failingKeys struct{ err error }

func (f failingKeys) SigningKey(corridor.MemberCode, string) (ed25519.PublicKey, error) {
	return nil, f.err
}

// world is a corridor of two members: CI sends to BF. Each has two keys of
// each kind, as during a rotation.
type world struct {
	ciSign, ciSignOld  envelope.SigningKey
	bfSign             envelope.SigningKey
	bfDec, bfDecOld    envelope.DecryptionKey
	bfEnc, bfEncOld    envelope.EncryptionKey
	mlDec              envelope.DecryptionKey
	mlEnc              envelope.EncryptionKey
	peers              keyMap
	bfOpener, ciOpener *envelope.Opener
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{}
	sign := func(id string) envelope.SigningKey {
		k, err := envelope.GenerateSigningKey(id)
		if err != nil {
			t.Fatalf("GenerateSigningKey: %v", err)
		}
		return k
	}
	dec := func(id string) (envelope.DecryptionKey, envelope.EncryptionKey) {
		d, e, err := envelope.GenerateDecryptionKey(id)
		if err != nil {
			t.Fatalf("GenerateDecryptionKey: %v", err)
		}
		return d, e
	}
	w.ciSign, w.ciSignOld, w.bfSign = sign("ci-sig-2"), sign("ci-sig-1"), sign("bf-sig-1")
	w.bfDec, w.bfEnc = dec("bf-enc-2")
	w.bfDecOld, w.bfEncOld = dec("bf-enc-1")
	w.mlDec, w.mlEnc = dec("ml-enc-1")
	w.peers = keyMap{
		"CI": {w.ciSign.ID: w.ciSign.Public(), w.ciSignOld.ID: w.ciSignOld.Public()},
		"BF": {w.bfSign.ID: w.bfSign.Public()},
	}
	w.bfOpener = &envelope.Opener{Self: "BF", Keys: []envelope.DecryptionKey{w.bfDec, w.bfDecOld}, Peers: w.peers}
	w.ciOpener = &envelope.Opener{Self: "CI", Peers: w.peers}
	return w
}

func header() envelope.Header {
	return envelope.Header{
		MessageID:       "msg-0123456789abcdefghjkmnpqrs",
		Corridor:        "ci-bf",
		SenderMember:    "CI",
		SenderAgency:    "ci-dgtlpe",
		RecipientMember: "BF",
		RecipientAgency: "bf-dpe-kadiogo",
		MessageType:     string(exchange.TypeReferral),
		CaseRef:         "case-0123456789abcdefghjkmnpqrs",
		ReferralID:      "ref-0123456789abcdefghjkmnpqrs",
		SentAt:          time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC),
	}
}

func (w *world) seal(t testing.TB, h envelope.Header, plaintext []byte) []byte {
	t.Helper()
	b, err := envelope.Seal(h, plaintext, w.bfEnc, w.ciSign)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return b
}
