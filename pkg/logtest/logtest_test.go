package logtest_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/corridor-org/corridor/pkg/logtest"
)

// TestBufferConcurrent writes from many goroutines while reading; -race
// reports it if Buffer is not safe, and nothing written may be lost.
func TestBufferConcurrent(t *testing.T) {
	t.Parallel()
	var b logtest.Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("x\n"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "x\n"); n != 800 {
		t.Fatalf("buffer holds %d lines, want 800", n)
	}
}
