package envelope_test

import (
	"fmt"
	"testing"

	"github.com/corridor-org/corridor/pkg/envelope"
)

var benchSizes = []int{1 << 10, 64 << 10, envelope.MaxPlaintextSize}

func BenchmarkSeal(b *testing.B) {
	w := newWorld(b)
	for _, size := range benchSizes {
		plaintext := make([]byte, size)
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := envelope.Seal(header(), plaintext, w.bfEnc, w.ciSign); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	w := newWorld(b)
	for _, size := range benchSizes {
		data := w.seal(b, header(), make([]byte, size))
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, _, err := w.bfOpener.Open(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
