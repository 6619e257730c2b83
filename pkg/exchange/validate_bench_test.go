package exchange

import "testing"

// BenchmarkValidate measures the cost of validating with a validator built
// per call, which keeps the package free of shared state.
func BenchmarkValidate(b *testing.B) {
	m := outboxMessage(TypeReferral)
	for b.Loop() {
		if err := validate("outbox message", m); err != nil {
			b.Fatal(err)
		}
	}
}
