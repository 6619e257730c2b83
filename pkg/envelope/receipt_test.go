package envelope_test

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/envelope"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
)

func receipt() envelope.Receipt {
	return envelope.Receipt{
		MessageID:      "msg-0123456789abcdefghjkmnpqrs",
		ReceiverMember: "BF",
		ReceiverAgency: "bf-dpe-kadiogo",
		SenderMember:   "CI",
		ReceivedAt:     time.Date(2026, 3, 14, 9, 27, 1, 123456789, time.FixedZone("GMT", 0)),
		EnvelopeSHA256: sha256.Sum256([]byte("the envelope")),
	}
}

func mutateReceipt(t *testing.T, data []byte, f func(*corridorv1.Receipt)) []byte {
	t.Helper()
	var r corridorv1.Receipt
	if err := proto.Unmarshal(data, &r); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	f(&r)
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&r)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

func TestReceiptRoundTrip(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	data, err := envelope.SignReceipt(receipt(), w.bfSign)
	if err != nil {
		t.Fatalf("SignReceipt: %v", err)
	}
	if len(data) > envelope.MaxReceiptSize {
		t.Fatalf("receipt is %d bytes, over %d", len(data), envelope.MaxReceiptSize)
	}
	got, err := envelope.OpenReceipt(data, w.peers)
	if err != nil {
		t.Fatalf("OpenReceipt: %v", err)
	}
	want := receipt()
	want.KeyID = w.bfSign.ID
	want.ReceivedAt = want.ReceivedAt.Truncate(time.Microsecond).UTC()
	if got != want {
		t.Errorf("receipt = %+v, want %+v", got, want)
	}
}

func TestReceiptRejects(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	valid, err := envelope.SignReceipt(receipt(), w.bfSign)
	if err != nil {
		t.Fatal(err)
	}
	// CI's key signing a receipt that claims to come from BF.
	byCI, err := envelope.SignReceipt(receipt(), envelope.SigningKey{ID: w.bfSign.ID, Private: w.ciSign.Private})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"too large", make([]byte, envelope.MaxReceiptSize+1), envelope.ErrTooLarge},
		{"garbage", []byte("receipt"), envelope.ErrMalformed},
		{"truncated", valid[:len(valid)-1], envelope.ErrMalformed},
		{"unknown field", protowire.AppendVarint(protowire.AppendTag(bytes.Clone(valid), 42, protowire.VarintType), 1), envelope.ErrMalformed},
		{"digest short", mutateReceipt(t, valid, func(r *corridorv1.Receipt) { r.EnvelopeSha256 = r.EnvelopeSha256[:31] }), envelope.ErrMalformed},
		{"message id missing", mutateReceipt(t, valid, func(r *corridorv1.Receipt) { r.MessageId = "" }), envelope.ErrMalformed},
		{"received_at missing", mutateReceipt(t, valid, func(r *corridorv1.Receipt) { r.ReceivedAt = 0 }), envelope.ErrMalformed},
		{"signature missing", mutateReceipt(t, valid, func(r *corridorv1.Receipt) { r.Signature = nil }), envelope.ErrMalformed},
		{"fields out of order", reversedFields(t, valid), envelope.ErrNotCanonical},
		{"field repeated", protowire.AppendString(protowire.AppendTag(bytes.Clone(valid), 1, protowire.BytesType), receipt().MessageID), envelope.ErrNotCanonical},
		{"unknown key id", mutateReceipt(t, valid, func(r *corridorv1.Receipt) { r.KeyId = "bf-sig-9" }), envelope.ErrUnknownKey},
		{"receiver not in directory", mutateReceipt(t, valid, func(r *corridorv1.Receipt) { r.ReceiverMember = "ML" }), envelope.ErrUnknownKey},
		{"signed by another member's key", byCI, envelope.ErrBadSignature},
		{"message id altered", mutateReceipt(t, valid, func(r *corridorv1.Receipt) { r.MessageId = "msg-other" }), envelope.ErrBadSignature},
		{"receiver agency altered", mutateReceipt(t, valid, func(r *corridorv1.Receipt) { r.ReceiverAgency = "bf-other" }), envelope.ErrBadSignature},
		{"sender altered", mutateReceipt(t, valid, func(r *corridorv1.Receipt) { r.SenderMember = "GH" }), envelope.ErrBadSignature},
		{"received_at altered", mutateReceipt(t, valid, func(r *corridorv1.Receipt) { r.ReceivedAt-- }), envelope.ErrBadSignature},
		{"digest altered", mutateReceipt(t, valid, func(r *corridorv1.Receipt) { r.EnvelopeSha256[0] ^= 1 }), envelope.ErrBadSignature},
		{"signature altered", mutateReceipt(t, valid, func(r *corridorv1.Receipt) { r.Signature[5] ^= 1 }), envelope.ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := envelope.OpenReceipt(tc.data, w.peers)
			checkErr(t, err, tc.want)
			if r != (envelope.Receipt{}) {
				t.Errorf("rejected receipt returned %+v", r)
			}
		})
	}
}

func TestSignReceiptRejects(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tests := []struct {
		name   string
		r      envelope.Receipt
		signer envelope.SigningKey
	}{
		{"no message id", func() envelope.Receipt { r := receipt(); r.MessageID = ""; return r }(), w.bfSign},
		{"bad receiver", func() envelope.Receipt { r := receipt(); r.ReceiverMember = "bf"; return r }(), w.bfSign},
		{"no received_at", func() envelope.Receipt { r := receipt(); r.ReceivedAt = time.Time{}; return r }(), w.bfSign},
		{"no key id", receipt(), envelope.SigningKey{Private: w.bfSign.Private}},
		{"short key", receipt(), envelope.SigningKey{ID: "bf-sig-1", Private: w.bfSign.Private[:32]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := envelope.SignReceipt(tc.r, tc.signer); err == nil {
				t.Error("SignReceipt: no error")
			}
		})
	}
}
