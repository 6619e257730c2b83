package directory

import (
	"context"
	"fmt"
	"time"
)

// Source gives the corridor directory in force. Current fails, and says
// why, when there is no valid unexpired directory: callers must not fall back
// to anything.
type Source interface {
	Current(ctx context.Context) (*Directory, error)
}

// Static returns a Source that always gives d, refusing it once it has
// expired (by time.Now). It suits tests and tools that load a directory once.
func Static(d *Directory) Source { return staticSource{d} }

type staticSource struct{ d *Directory }

func (s staticSource) Current(ctx context.Context) (*Directory, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get current corridor directory: %w", err)
	}
	if err := s.d.CheckExpiry(time.Now()); err != nil {
		return nil, fmt.Errorf("get current corridor directory: %w", err)
	}
	return s.d, nil
}
