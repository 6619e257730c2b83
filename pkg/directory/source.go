package directory

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Source gives the corridor directory in force. Current fails, and says
// why, when there is no valid unexpired directory: callers must not fall back
// to anything.
type Source interface {
	Current(ctx context.Context) (*Directory, error)
}

// FileSourceConfig configures a FileSource.
type FileSourceConfig struct {
	// Path of the directory file.
	Path string
	// Logger receives reload events. Required.
	Logger *slog.Logger
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// FileSource is a Source backed by a JSON file, reloaded when the file
// changes (replaced, as Save does, or rewritten). A new version that fails to
// load, or whose version number is lower than the one in force, is logged
// and ignored: the last good directory stays in force until it expires.
type FileSource struct {
	path   string
	logger *slog.Logger
	now    func() time.Time

	mu   sync.Mutex
	dir  *Directory
	stat os.FileInfo
}

// NewFileSource loads the directory at cfg.Path and fails if it is invalid
// or expired.
func NewFileSource(cfg FileSourceConfig) (*FileSource, error) {
	if cfg.Path == "" {
		return nil, fmt.Errorf("new directory source: no path")
	}
	if cfg.Logger == nil {
		return nil, fmt.Errorf("new directory source: no logger")
	}
	s := &FileSource{path: cfg.Path, logger: cfg.Logger, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return nil, fmt.Errorf("new directory source: %w", err)
	}
	d, err := load(s.path, s.now())
	if err != nil {
		return nil, fmt.Errorf("new directory source: %w", err)
	}
	s.dir, s.stat = d, fi
	return s, nil
}

// Current returns the directory in force, reloading the file first if it
// changed. It returns an error wrapping ErrExpired once the directory in
// force has expired and no valid newer one has replaced it.
func (s *FileSource) Current(ctx context.Context) (*Directory, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get current corridor directory: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.reload(ctx, now)
	if err := s.dir.CheckExpiry(now); err != nil {
		return nil, fmt.Errorf("get current corridor directory: %w", err)
	}
	return s.dir, nil
}

// reload replaces the directory in force with the file's if the file
// changed and holds a valid version at least as new.
func (s *FileSource) reload(ctx context.Context, now time.Time) {
	fi, err := os.Stat(s.path)
	if err != nil {
		s.logger.WarnContext(ctx, "corridor directory file unreadable; keeping the version in force",
			"path", s.path, "version", s.dir.Version, "error", err)
		return
	}
	if os.SameFile(fi, s.stat) && fi.ModTime().Equal(s.stat.ModTime()) && fi.Size() == s.stat.Size() {
		return
	}
	// Remember the file even if it is refused, so a bad file is reported
	// once and not on every call.
	s.stat = fi
	d, err := load(s.path, now)
	if err != nil {
		s.logger.ErrorContext(ctx, "corridor directory reload refused; keeping the version in force",
			"path", s.path, "version", s.dir.Version, "error", err)
		return
	}
	if d.Corridor != s.dir.Corridor || d.Version < s.dir.Version {
		s.logger.ErrorContext(ctx, "corridor directory reload refused: other corridor or older version",
			"path", s.path, "corridor", d.Corridor, "version", d.Version, "in_force", s.dir.Version)
		return
	}
	s.dir = d
	s.logger.InfoContext(ctx, "corridor directory reloaded",
		"corridor", d.Corridor, "version", d.Version, "expires_at", d.ExpiresAt)
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
