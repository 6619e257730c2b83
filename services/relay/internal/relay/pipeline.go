package relay

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// outgoing is one message on its way to the relay's OUTBOX: sealed or
// signed, addressed, with the Nats-Msg-Id that deduplicates it.
type outgoing struct {
	subject, msgID string
	data           []byte
}

// parallel calls f(0) … f(n-1) on at most GOMAXPROCS goroutines: sealing
// and opening are CPU work, which more goroutines than cores only delay.
func parallel(n int, f func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// publishAll publishes every non-nil message of outs without waiting for
// each acknowledgement in turn, then awaits them all, within
// PublishTimeout: a batch costs the stream's fsync once, not once per
// message. It returns each message's error, in the order of outs (nil for
// a nil message). A publish the client cannot take now waits for room
// (the stall wait) within the same deadline.
func (r *Relay) publishAll(ctx context.Context, outs []*outgoing) []error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
	defer cancel()
	errs := make([]error, len(outs))
	futures := make([]jetstream.PubAckFuture, len(outs))
	for i, o := range outs {
		if o == nil {
			continue
		}
		f, err := r.cfg.JetStream.PublishMsgAsync(&nats.Msg{Subject: o.subject, Data: o.data},
			jetstream.WithMsgID(o.msgID), jetstream.WithStallWait(r.cfg.PublishTimeout))
		if err != nil {
			errs[i] = fmt.Errorf("publish to %s: %w", o.subject, err)
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs[i] = fmt.Errorf("publish to %s: %w", outs[i].subject, err)
		case <-ctx.Done():
			errs[i] = fmt.Errorf("publish to %s: no acknowledgement: %w", outs[i].subject, ctx.Err())
		}
	}
	return errs
}

// errorsFor returns n copies of err.
func errorsFor(n int, err error) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}
