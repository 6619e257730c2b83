package envelope_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/exchange"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
)

var sentinels = []error{
	envelope.ErrTooLarge, envelope.ErrMalformed, envelope.ErrWrongRecipient,
	envelope.ErrUnknownKey, envelope.ErrBadSignature, envelope.ErrHeaderAltered, envelope.ErrNotCanonical,
}

// checkErr fails unless err matches want and no other sentinel, so a test
// cannot pass on the wrong rejection.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	for _, s := range sentinels {
		if s != want && errors.Is(err, s) {
			t.Fatalf("error %v matches %v as well as %v", err, s, want)
		}
	}
}

func maxHeader() envelope.Header {
	long := strings.Repeat("x", envelope.MaxFieldSize)
	h := header()
	h.MessageID, h.Corridor, h.SenderAgency, h.RecipientAgency, h.CaseRef, h.ReferralID = long, long, long, long, long, long
	h.SenderMember, h.RecipientMember = "CIXXXXXX", "BFXXXXXX"
	h.MessageType = string(exchange.TypeHandoverConfirmation)
	return h
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	long := strings.Repeat("k", envelope.MaxFieldSize)

	tests := []struct {
		name      string
		header    envelope.Header
		plaintext []byte
		to        envelope.EncryptionKey
		signer    envelope.SigningKey
		opener    *envelope.Opener
	}{
		{name: "referral", header: header(), plaintext: []byte("a serialized referral"), to: w.bfEnc, signer: w.ciSign, opener: w.bfOpener},
		{name: "empty plaintext", header: header(), plaintext: nil, to: w.bfEnc, signer: w.ciSign, opener: w.bfOpener},
		{name: "previous keys during rotation", header: header(), plaintext: []byte("p"), to: w.bfEncOld, signer: w.ciSignOld, opener: w.bfOpener},
		{
			name: "reply from BF to CI",
			header: func() envelope.Header {
				h := header()
				h.SenderMember, h.RecipientMember = "BF", "CI"
				h.SenderAgency, h.RecipientAgency = h.RecipientAgency, h.SenderAgency
				h.MessageType = string(exchange.TypeDecision)
				return h
			}(),
			plaintext: []byte("accepted"),
			to: func() envelope.EncryptionKey {
				// CI receives with a key of its own.
				return w.mlEnc
			}(),
			signer: w.bfSign,
			opener: &envelope.Opener{Self: "CI", Keys: []envelope.DecryptionKey{w.mlDec}, Peers: w.peers},
		},
		{
			name: "largest envelope",
			header: func() envelope.Header {
				h := maxHeader()
				h.SenderMember, h.RecipientMember = "CI", "BF"
				return h
			}(),
			plaintext: bytes.Repeat([]byte{0xa5}, envelope.MaxPlaintextSize),
			to:        envelope.EncryptionKey{ID: long[:envelope.MaxFieldSize], Public: w.bfEnc.Public},
			signer:    w.ciSign,
			opener:    &envelope.Opener{Self: "BF", Keys: []envelope.DecryptionKey{{ID: long, Private: w.bfDec.Private}}, Peers: w.peers},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := envelope.Seal(tc.header, tc.plaintext, tc.to, tc.signer)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if len(data) > envelope.MaxEnvelopeSize {
				t.Fatalf("envelope is %d bytes, over MaxEnvelopeSize %d", len(data), envelope.MaxEnvelopeSize)
			}
			h, pt, err := tc.opener.Open(data)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			want := tc.header
			want.SenderKeyID, want.RecipientKeyID = tc.signer.ID, tc.to.ID
			want.SentAt = want.SentAt.Truncate(time.Microsecond)
			if h != want {
				t.Errorf("header = %+v, want %+v", h, want)
			}
			if h.SentAt.Location() != time.UTC {
				t.Errorf("SentAt location = %v, want UTC", h.SentAt.Location())
			}
			if !bytes.Equal(pt, tc.plaintext) {
				t.Errorf("plaintext differs: got %d bytes, want %d", len(pt), len(tc.plaintext))
			}
			peeked, err := envelope.PeekHeader(data)
			if err != nil || peeked != want {
				t.Errorf("PeekHeader = %+v, %v; want %+v", peeked, err, want)
			}
		})
	}
}

// Sealing twice gives different envelopes (fresh HPKE encapsulation), so a
// recorded envelope says nothing about another with the same content.
func TestSealIsRandomized(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a, b := w.seal(t, header(), []byte("x")), w.seal(t, header(), []byte("x"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same message are identical")
	}
}

// mutate unmarshals an envelope, applies f and marshals it again.
func mutate(t *testing.T, data []byte, f func(*corridorv1.Envelope)) []byte {
	t.Helper()
	var env corridorv1.Envelope
	if err := proto.Unmarshal(data, &env); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	f(&env)
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&env)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// reversedFields returns data's top-level fields in reverse order: the same
// message, not its canonical bytes.
func reversedFields(t *testing.T, data []byte) []byte {
	t.Helper()
	var fields [][]byte
	for rest := data; len(rest) > 0; {
		_, _, n := protowire.ConsumeField(rest)
		if n < 0 {
			t.Fatalf("consume field: %v", protowire.ParseError(n))
		}
		fields, rest = append(fields, rest[:n]), rest[n:]
	}
	var out []byte
	for i := len(fields) - 1; i >= 0; i-- {
		out = append(out, fields[i]...)
	}
	return out
}

// paddedSentAt re-encodes the envelope's sent_at (field 9) as a varint one
// byte longer than needed: the same value, other bytes.
func paddedSentAt(t *testing.T, data []byte) []byte {
	t.Helper()
	var out []byte
	for rest := data; len(rest) > 0; {
		num, typ, n := protowire.ConsumeField(rest)
		if n < 0 {
			t.Fatalf("consume field: %v", protowire.ParseError(n))
		}
		if num == 9 && typ == protowire.VarintType {
			_, _, tagLen := protowire.ConsumeTag(rest)
			v, _ := protowire.ConsumeVarint(rest[tagLen:])
			out = protowire.AppendTag(out, 9, protowire.VarintType)
			b := protowire.AppendVarint(nil, v)
			b[len(b)-1] |= 0x80
			out = append(append(out, b...), 0x00)
		} else {
			out = append(out, rest[:n]...)
		}
		rest = rest[n:]
	}
	return out
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	valid := w.seal(t, header(), []byte("a serialized referral"))
	unavailable := errors.New("directory unavailable")

	// Sealed by someone holding a key that is not CI's, under CI's key id.
	impostor, err := envelope.GenerateSigningKey(w.ciSign.ID)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := envelope.Seal(header(), []byte("forged"), w.bfEnc, impostor)
	if err != nil {
		t.Fatal(err)
	}
	toMali, err := envelope.Seal(func() envelope.Header { h := header(); h.RecipientMember = "ML"; return h }(), []byte("p"), w.mlEnc, w.ciSign)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		data   []byte
		opener *envelope.Opener
		want   error
	}{
		{name: "too large", data: make([]byte, envelope.MaxEnvelopeSize+1), want: envelope.ErrTooLarge},
		{name: "too large valid prefix", data: append(bytes.Clone(valid), make([]byte, envelope.MaxEnvelopeSize)...), want: envelope.ErrTooLarge},
		{name: "empty", data: nil, want: envelope.ErrMalformed},
		{name: "garbage", data: []byte("not an envelope at all"), want: envelope.ErrMalformed},
		{name: "truncated by one byte", data: valid[:len(valid)-1], want: envelope.ErrMalformed},
		{name: "truncated in half", data: valid[:len(valid)/2], want: envelope.ErrMalformed},
		{name: "truncated to the header", data: valid[:120], want: envelope.ErrMalformed},
		{name: "signature dropped", data: mutate(t, valid, func(e *corridorv1.Envelope) { e.Signature = nil }), want: envelope.ErrMalformed},
		{name: "signature short", data: mutate(t, valid, func(e *corridorv1.Envelope) { e.Signature = e.Signature[:63] }), want: envelope.ErrMalformed},
		{name: "enc short", data: mutate(t, valid, func(e *corridorv1.Envelope) { e.Enc = e.Enc[:1119] }), want: envelope.ErrMalformed},
		{name: "ciphertext shorter than a tag", data: mutate(t, valid, func(e *corridorv1.Envelope) { e.Ciphertext = e.Ciphertext[:15] }), want: envelope.ErrMalformed},
		{name: "message id missing", data: mutate(t, valid, func(e *corridorv1.Envelope) { e.MessageId = "" }), want: envelope.ErrMalformed},
		{name: "message type unknown", data: mutate(t, valid, func(e *corridorv1.Envelope) { e.MessageType = "gossip" }), want: envelope.ErrMalformed},
		{name: "sent_at zero", data: mutate(t, valid, func(e *corridorv1.Envelope) { e.SentAt = 0 }), want: envelope.ErrMalformed},
		{name: "case_ref with a space", data: mutate(t, valid, func(e *corridorv1.Envelope) { e.CaseRef = "Awa Traoré" }), want: envelope.ErrMalformed},
		{name: "unknown field", data: protowire.AppendBytes(protowire.AppendTag(bytes.Clone(valid), 99, protowire.BytesType), []byte("x")), want: envelope.ErrMalformed},
		{name: "fields out of order", data: reversedFields(t, valid), want: envelope.ErrNotCanonical},
		{name: "field repeated", data: protowire.AppendString(protowire.AppendTag(bytes.Clone(valid), 1, protowire.BytesType), header().MessageID), want: envelope.ErrNotCanonical},
		{name: "padded varint", data: paddedSentAt(t, valid), want: envelope.ErrNotCanonical},
		{name: "wrong recipient", data: toMali, want: envelope.ErrWrongRecipient},
		{name: "opened by the sender", data: valid, opener: w.ciOpener, want: envelope.ErrWrongRecipient},
		{name: "recipient key not held", data: valid, opener: &envelope.Opener{Self: "BF", Keys: []envelope.DecryptionKey{w.bfDecOld}, Peers: w.peers}, want: envelope.ErrUnknownKey},
		{name: "sender key not in directory", data: valid, opener: &envelope.Opener{Self: "BF", Keys: w.bfOpener.Keys, Peers: keyMap{"CI": {w.ciSignOld.ID: w.ciSignOld.Public()}}}, want: envelope.ErrUnknownKey},
		{name: "forged by another key under the sender's key id", data: forged, want: envelope.ErrBadSignature},
		{name: "ciphertext altered", data: mutate(t, valid, func(e *corridorv1.Envelope) { e.Ciphertext[3] ^= 1 }), want: envelope.ErrBadSignature},
		{name: "ciphertext extended", data: mutate(t, valid, func(e *corridorv1.Envelope) { e.Ciphertext = append(e.Ciphertext, 0) }), want: envelope.ErrBadSignature},
		{name: "enc altered", data: mutate(t, valid, func(e *corridorv1.Envelope) { e.Enc[1000] ^= 1 }), want: envelope.ErrBadSignature},
		{name: "signature altered", data: mutate(t, valid, func(e *corridorv1.Envelope) { e.Signature[0] ^= 1 }), want: envelope.ErrBadSignature},
		{name: "body of another envelope from the same sender", data: mutate(t, valid, func(e *corridorv1.Envelope) {
			var other corridorv1.Envelope
			if err := proto.Unmarshal(w.seal(t, func() envelope.Header { h := header(); h.MessageID = "msg-other"; return h }(), []byte("other")), &other); err != nil {
				t.Fatal(err)
			}
			e.Enc, e.Ciphertext, e.Signature = other.Enc, other.Ciphertext, other.Signature
		}), want: envelope.ErrHeaderAltered},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := tc.opener
			if o == nil {
				o = w.bfOpener
			}
			h, pt, err := o.Open(tc.data)
			checkErr(t, err, tc.want)
			if h != (envelope.Header{}) || pt != nil {
				t.Errorf("rejected envelope returned header %+v and %d plaintext bytes", h, len(pt))
			}
		})
	}

	t.Run("directory unavailable", func(t *testing.T) {
		t.Parallel()
		o := &envelope.Opener{Self: "BF", Keys: w.bfOpener.Keys, Peers: failingKeys{unavailable}}
		_, _, err := o.Open(valid)
		if !errors.Is(err, unavailable) {
			t.Fatalf("error = %v, want %v", err, unavailable)
		}
		for _, s := range sentinels {
			if errors.Is(err, s) {
				t.Errorf("an unavailable directory is reported as %v: the relay would quarantine instead of retrying", s)
			}
		}
	})
}

// Every header field is bound to the body. Altering one is reported as an
// altered header, except where an earlier check already rejects the
// envelope: a changed recipient is the wrong recipient, and a changed
// member or key id names a key that either is unknown or cannot have made
// the signature.
func TestHeaderFieldAltered(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	valid := w.seal(t, header(), []byte("a serialized referral"))

	tests := []struct {
		field string
		alter func(*corridorv1.Envelope)
		want  error
	}{
		{"message_id", func(e *corridorv1.Envelope) { e.MessageId = "msg-another" }, envelope.ErrHeaderAltered},
		{"corridor", func(e *corridorv1.Envelope) { e.Corridor = "ml-bf" }, envelope.ErrHeaderAltered},
		{"sender_member", func(e *corridorv1.Envelope) { e.SenderMember = "GH" }, envelope.ErrUnknownKey},
		{"sender_agency", func(e *corridorv1.Envelope) { e.SenderAgency = "ci-police" }, envelope.ErrHeaderAltered},
		{"recipient_member", func(e *corridorv1.Envelope) { e.RecipientMember = "ML" }, envelope.ErrWrongRecipient},
		{"recipient_agency", func(e *corridorv1.Envelope) { e.RecipientAgency = "bf-other" }, envelope.ErrHeaderAltered},
		{"message_type", func(e *corridorv1.Envelope) { e.MessageType = string(exchange.TypeWithdrawal) }, envelope.ErrHeaderAltered},
		{"case_ref", func(e *corridorv1.Envelope) { e.CaseRef = "case-another" }, envelope.ErrHeaderAltered},
		{"referral_id", func(e *corridorv1.Envelope) { e.ReferralId = "ref-another" }, envelope.ErrHeaderAltered},
		{"sent_at", func(e *corridorv1.Envelope) { e.SentAt++ }, envelope.ErrHeaderAltered},
		{"sender_key_id unknown", func(e *corridorv1.Envelope) { e.SenderKeyId = "ci-sig-9" }, envelope.ErrUnknownKey},
		{"sender_key_id another of the sender's", func(e *corridorv1.Envelope) { e.SenderKeyId = w.ciSignOld.ID }, envelope.ErrBadSignature},
		{"recipient_key_id unknown", func(e *corridorv1.Envelope) { e.RecipientKeyId = "bf-enc-9" }, envelope.ErrUnknownKey},
		{"recipient_key_id another of the recipient's", func(e *corridorv1.Envelope) { e.RecipientKeyId = w.bfDecOld.ID }, envelope.ErrHeaderAltered},
	}
	fields := (&corridorv1.Envelope{}).ProtoReflect().Descriptor().Fields()
	covered := map[string]bool{}
	for _, tc := range tests {
		covered[strings.Fields(tc.field)[0]] = true
		t.Run(tc.field, func(t *testing.T) {
			t.Parallel()
			_, _, err := w.bfOpener.Open(mutate(t, valid, tc.alter))
			checkErr(t, err, tc.want)
		})
	}
	// A header field added to the schema must get a case here.
	for i := range fields.Len() {
		name := string(fields.Get(i).Name())
		if name == "enc" || name == "ciphertext" || name == "signature" {
			continue
		}
		if !covered[name] {
			t.Errorf("header field %s is not altered by any case", name)
		}
	}
}

func TestSealRejects(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	with := func(f func(*envelope.Header)) envelope.Header {
		h := header()
		f(&h)
		return h
	}

	tests := []struct {
		name      string
		header    envelope.Header
		plaintext []byte
		to        envelope.EncryptionKey
		signer    envelope.SigningKey
		field     string // the field the *corridor.Error names
		want      error
	}{
		{name: "message id missing", header: with(func(h *envelope.Header) { h.MessageID = "" }), field: "message_id"},
		{name: "corridor too long", header: with(func(h *envelope.Header) { h.Corridor = strings.Repeat("c", envelope.MaxFieldSize+1) }), field: "corridor"},
		{name: "sender member lower case", header: with(func(h *envelope.Header) { h.SenderMember = "ci" }), field: "sender_member"},
		{name: "sender agency missing", header: with(func(h *envelope.Header) { h.SenderAgency = "" }), field: "sender_agency"},
		{name: "recipient member too long", header: with(func(h *envelope.Header) { h.RecipientMember = "BURKINAFASO" }), field: "recipient_member"},
		{name: "recipient agency not ASCII", header: with(func(h *envelope.Header) { h.RecipientAgency = "bf-dpe-ouagadougou-é" }), field: "recipient_agency"},
		{name: "message type unknown", header: with(func(h *envelope.Header) { h.MessageType = "receipt" }), field: "message_type"},
		{name: "case ref with a space", header: with(func(h *envelope.Header) { h.CaseRef = "case 1" }), field: "case_ref"},
		{name: "sent at zero", header: with(func(h *envelope.Header) { h.SentAt = time.Time{} }), field: "sent_at"},
		{name: "signer id missing", header: header(), signer: envelope.SigningKey{Private: w.ciSign.Private}, field: "sender_key_id"},
		{name: "recipient key id missing", header: header(), to: envelope.EncryptionKey{Public: w.bfEnc.Public}, field: "recipient_key_id"},
		{name: "plaintext too large", header: header(), plaintext: make([]byte, envelope.MaxPlaintextSize+1), want: envelope.ErrTooLarge},
		{name: "encryption key not a key", header: header(), to: envelope.EncryptionKey{ID: "bf-enc-2", Public: w.bfEnc.Public[:100]}},
		{name: "signing key not a key", header: header(), signer: envelope.SigningKey{ID: "ci-sig-2", Private: w.ciSign.Private[:10]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			to, signer := tc.to, tc.signer
			if to.ID == "" && to.Public == nil {
				to = w.bfEnc
			}
			if signer.ID == "" && signer.Private == nil {
				signer = w.ciSign
			}
			data, err := envelope.Seal(tc.header, tc.plaintext, to, signer)
			if err == nil {
				t.Fatalf("Seal succeeded with %d bytes", len(data))
			}
			if tc.want != nil {
				checkErr(t, err, tc.want)
			}
			if tc.field == "" {
				return
			}
			var ce *corridor.Error
			if !errors.As(err, &ce) || ce.Kind != corridor.KindInvalid {
				t.Fatalf("error = %v, want a *corridor.Error of kind invalid", err)
			}
			if len(ce.Fields) != 1 || ce.Fields[0].Field != tc.field {
				t.Errorf("fields = %+v, want only %s", ce.Fields, tc.field)
			}
		})
	}
}

func TestPeekHeader(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	valid := w.seal(t, header(), []byte("p"))
	// A forged body still has a readable header: that is what a quarantine
	// record keeps.
	forged := mutate(t, valid, func(e *corridorv1.Envelope) { e.Ciphertext[0] ^= 1 })
	h, err := envelope.PeekHeader(forged)
	if err != nil || h.MessageID != header().MessageID || h.SenderKeyID != w.ciSign.ID {
		t.Errorf("PeekHeader(forged) = %+v, %v", h, err)
	}
	_, err = envelope.PeekHeader(valid[:len(valid)-1])
	checkErr(t, err, envelope.ErrMalformed)
	_, err = envelope.PeekHeader(make([]byte, envelope.MaxEnvelopeSize+1))
	checkErr(t, err, envelope.ErrTooLarge)
}

func TestKeys(t *testing.T) {
	t.Parallel()
	dec, enc, err := envelope.GenerateDecryptionKey("bf-enc-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(dec.Private) != envelope.DecryptionKeySize || len(enc.Public) != envelope.EncryptionPublicKeySize {
		t.Errorf("key sizes = %d, %d; want %d, %d", len(dec.Private), len(enc.Public), envelope.DecryptionKeySize, envelope.EncryptionPublicKeySize)
	}
	derived, err := dec.EncryptionKey()
	if err != nil || derived.ID != enc.ID || !bytes.Equal(derived.Public, enc.Public) {
		t.Errorf("EncryptionKey() = %v, %v; want the generated public key", derived.ID, err)
	}
	if _, err := (envelope.DecryptionKey{ID: "x", Private: []byte{1, 2}}).EncryptionKey(); err == nil {
		t.Error("EncryptionKey of a 2-byte private key: no error")
	}
	for _, id := range []string{"", "has space", strings.Repeat("k", envelope.MaxFieldSize+1)} {
		if _, err := envelope.GenerateSigningKey(id); err == nil {
			t.Errorf("GenerateSigningKey(%q): no error", id)
		}
		if _, _, err := envelope.GenerateDecryptionKey(id); err == nil {
			t.Errorf("GenerateDecryptionKey(%q): no error", id)
		}
	}
}

// docs/protocol states the largest canonical header; partners with an HPKE
// library that limits info size need the number.
func TestCanonicalHeaderBound(t *testing.T) {
	t.Parallel()
	h := maxHeader()
	h.SenderKeyID = strings.Repeat("s", envelope.MaxFieldSize)
	h.RecipientKeyID = strings.Repeat("r", envelope.MaxFieldSize)
	if n := len(envelope.CanonicalHeader(h)); n != 1135 {
		t.Errorf("largest canonical header is %d bytes, docs/protocol says 1,135", n)
	}
}
