package audit_test

import (
	"context"
	"testing"

	"github.com/corridor-org/corridor/pkg/audit"
)

// BenchmarkAppend measures what an audited request adds (one entry, its
// own transaction) and what a relay batch adds (100 entries in one).
func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(map[int]string{1: "one", 100: "batch_of_100"}[n], func(b *testing.B) {
			pool := pg.NewPool(b, schema)
			recs := make([]audit.Record, n)
			for i := range recs {
				recs[i] = record("message.sent")
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := audit.Append(ctx, pool, recs...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
