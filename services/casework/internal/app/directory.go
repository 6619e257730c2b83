package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
)

// corridorDirectory answers casework's questions from the directory in
// force, which the file source reloads when the file changes. An expired
// directory fails every lookup: casework then files nothing rather than
// validate against stale agencies.
type corridorDirectory struct {
	src directory.Source
}

// openDirectory loads the signed directory cfg names and checks that it
// lists cfg.Member; it returns the corridor's id with it.
func openDirectory(ctx context.Context, cfg Config, logger *slog.Logger) (*corridorDirectory, string, error) {
	member := cfg.Member
	src, err := directory.OpenFileSource(cfg.DirectoryPath, cfg.DirectoryAnchor, cfg.DirectoryCache, logger)
	if err != nil {
		return nil, "", fmt.Errorf("start casework: %w", err)
	}
	d, err := src.Current(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("start casework: %w", err)
	}
	if _, err := d.Member(member); err != nil {
		return nil, "", fmt.Errorf("start casework: %w", err)
	}
	return &corridorDirectory{src: src}, d.Corridor, nil
}

// ready is the readiness check: casework is not ready once the directory
// in force has expired with no valid newer one.
func (c *corridorDirectory) ready(ctx context.Context) error {
	_, err := c.src.Current(ctx)
	return err
}

// Agency implements referral.Directory.
func (c *corridorDirectory) Agency(ctx context.Context, member corridor.MemberCode, id string) (referral.Agency, error) {
	d, err := c.src.Current(ctx)
	if err != nil {
		return referral.Agency{}, &corridor.Error{Kind: corridor.KindUnavailable,
			Message: "The corridor directory is not available; nothing can be sent until a current one is published.", Err: err}
	}
	a, err := d.Agency(member, id)
	if err != nil {
		return referral.Agency{}, err
	}
	return referral.Agency{Services: a.Services}, nil
}

// timeLimits are the corridor's agreed time limits, as the directory in
// force says: read once at start, since a directory that changes them
// applies from the next start.
func (c *corridorDirectory) timeLimits(ctx context.Context) (directory.TimeLimits, error) {
	d, err := c.src.Current(ctx)
	if err != nil {
		return directory.TimeLimits{}, fmt.Errorf("start casework: %w", err)
	}
	return d.TimeLimits, nil
}
