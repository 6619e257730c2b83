package envelope_test

import (
	"testing"

	"github.com/corridor-org/corridor/pkg/envelope"
)

// FuzzOpen feeds arbitrary bytes to Open. It must never panic, and anything
// it accepts must have a header that PeekHeader reads the same way.
func FuzzOpen(f *testing.F) {
	w := newWorld(f)
	valid := w.seal(f, header(), []byte("a serialized referral"))
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(valid[:len(valid)-64])
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, pt, err := w.bfOpener.Open(data)
		if err != nil {
			if pt != nil {
				t.Fatalf("Open returned plaintext with error %v", err)
			}
			return
		}
		peeked, err := envelope.PeekHeader(data)
		if err != nil || peeked != h {
			t.Fatalf("Open accepted a header PeekHeader reads as %+v, %v", peeked, err)
		}
		if h.RecipientMember != "BF" {
			t.Fatalf("Open accepted an envelope for %s", h.RecipientMember)
		}
	})
}

// FuzzOpenReceipt feeds arbitrary bytes to OpenReceipt; it must never panic.
func FuzzOpenReceipt(f *testing.F) {
	w := newWorld(f)
	valid, err := envelope.SignReceipt(receipt(), w.bfSign)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := envelope.OpenReceipt(data, w.peers)
		if err == nil && r.KeyID == "" {
			t.Fatalf("OpenReceipt accepted a receipt without a key id")
		}
	})
}
