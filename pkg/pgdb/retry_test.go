package pgdb

import (
	"context"
	"errors"
	"testing"
)

func TestRetry(t *testing.T) {
	t.Parallel()
	errDown := errors.New("down")
	calls := 0
	err := retry(t.Context(), func(context.Context) error {
		calls++
		if calls < 3 {
			return errDown
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("retry = %v after %d calls; want nil after 3", err, calls)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = retry(ctx, func(context.Context) error { return errDown })
	if !errors.Is(err, errDown) {
		t.Errorf("retry with a cancelled context = %v; want the function's error", err)
	}
}
