package directory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"
)

// FileSourceConfig configures a FileSource.
type FileSourceConfig struct {
	// Path of the signed directory file that operators publish to.
	Path string
	// Anchor is the trust configured locally (LoadAnchor): the first
	// version accepted must be signed by a threshold of its members.
	// Required.
	Anchor Trust
	// CachePath, when set, is where the source keeps the last version it
	// accepted. At start that version, not the anchor, is in force, so a
	// restart neither accepts an older file than the one accepted before
	// nor needs a new anchor after the governance changed. It is local
	// state, as protected as the relay's own files. Optional.
	CachePath string
	// Logger receives reload events. Required.
	Logger *slog.Logger
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// FileSource is a Source backed by a signed directory file, reloaded when
// the file changes (replaced, as corridorctl directory publish does, or
// rewritten). A new file replaces the version in force only if Verify
// accepts it against that version: newer, of the same corridor, co-signed
// by a threshold of the governance in force, unexpired. Anything else (a
// broken or badly signed file, an older version, the same version with
// other content) is logged and ignored: the last good version stays in force
// until it expires, then Current fails closed.
type FileSource struct {
	path      string
	cachePath string
	logger    *slog.Logger
	now       func() time.Time

	mu      sync.Mutex
	trust   Trust
	dir     *Directory
	stat    os.FileInfo
	refused error
}

// NewFileSource establishes the trust in force (the cache, or the anchor)
// and loads the file at cfg.Path against it. It fails if, after that, no
// valid unexpired version is in force.
func NewFileSource(cfg FileSourceConfig) (*FileSource, error) {
	if cfg.Path == "" {
		return nil, errors.New("new directory source: no path")
	}
	if cfg.Logger == nil {
		return nil, errors.New("new directory source: no logger")
	}
	if err := cfg.Anchor.validate(); err != nil {
		return nil, fmt.Errorf("new directory source: anchor: %w", err)
	}
	s := &FileSource{path: cfg.Path, cachePath: cfg.CachePath, logger: cfg.Logger, now: cfg.Now, trust: cfg.Anchor}
	s.trust.Version, s.trust.Document = 0, nil
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.loadCache(); err != nil {
		return nil, fmt.Errorf("new directory source: %w", err)
	}
	now := s.now()
	fi, err := os.Stat(s.path)
	switch {
	case err == nil:
		s.stat = fi
		if err := s.accept(context.Background(), now); err != nil {
			if s.dir == nil {
				return nil, fmt.Errorf("new directory source: %w", err)
			}
			s.logger.Error("corridor directory file refused; the cached version stays in force",
				"path", s.path, "version", s.dir.Version, "error", err)
		}
	case s.dir == nil:
		return nil, fmt.Errorf("new directory source: %w", err)
	default:
		s.logger.Warn("corridor directory file unreadable; the cached version is in force",
			"path", s.path, "version", s.dir.Version, "error", err)
	}
	if err := s.dir.CheckExpiry(now); err != nil {
		return nil, fmt.Errorf("new directory source: %w", err)
	}
	return s, nil
}

// loadCache makes the cached version, if any, the one in force. The cache
// was verified when it was accepted; here it must still be a signed
// directory of the anchor's corridor that its own governance signed, which
// catches corruption and a cache of another corridor. Its expiry does not
// matter: it is the trust a newer file is checked against.
func (s *FileSource) loadCache() error {
	if s.cachePath == "" {
		return nil
	}
	signed, err := LoadSigned(s.cachePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cached directory: %w", err)
	}
	v, err := VerifySelf(signed)
	if err != nil {
		return fmt.Errorf("cached directory %s: %w", s.cachePath, err)
	}
	if v.Directory.Corridor != s.trust.Corridor {
		return fmt.Errorf("cached directory %s: corridor %q, not %q: %w", s.cachePath, v.Directory.Corridor, s.trust.Corridor, ErrOtherCorridor)
	}
	s.trust, s.dir = TrustIn(v.Directory, signed), v.Directory
	return nil
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
		if s.refused != nil {
			err = fmt.Errorf("%w (the last file published was refused: %v)", err, s.refused)
		}
		return nil, fmt.Errorf("get current corridor directory: %w", err)
	}
	return s.dir, nil
}

// reload verifies the file if it changed since it was last looked at.
func (s *FileSource) reload(ctx context.Context, now time.Time) {
	fi, err := os.Stat(s.path)
	if err != nil {
		s.logger.WarnContext(ctx, "corridor directory file unreadable; keeping the version in force",
			"path", s.path, "version", s.dir.Version, "error", err)
		return
	}
	if s.stat != nil && os.SameFile(fi, s.stat) && fi.ModTime().Equal(s.stat.ModTime()) && fi.Size() == s.stat.Size() {
		return
	}
	// Remember the file even if it is refused, so a bad file is reported
	// once and not on every call.
	s.stat = fi
	if err := s.accept(ctx, now); err != nil {
		s.logger.ErrorContext(ctx, "corridor directory reload refused; keeping the version in force",
			"path", s.path, "version", s.dir.Version, "error", err)
	}
}

// accept verifies the file against the trust in force and, if it is a
// newer version, puts it in force and caches it.
func (s *FileSource) accept(ctx context.Context, now time.Time) error {
	signed, err := LoadSigned(s.path)
	if err == nil {
		var v *Verified
		v, err = Verify(signed, s.trust, now)
		if err == nil {
			s.refused = nil
			if v.Unchanged && s.dir != nil {
				return nil
			}
			s.trust, s.dir = TrustIn(v.Directory, signed), v.Directory
			s.logger.InfoContext(ctx, "corridor directory version in force",
				"corridor", v.Directory.Corridor, "version", v.Directory.Version,
				"expires_at", v.Directory.ExpiresAt, "signed_by", v.Signers)
			if s.cachePath != "" {
				if err := signed.Save(s.cachePath); err != nil {
					// The version is verified and in force; only a restart
					// would miss it, and would then load it again.
					s.logger.ErrorContext(ctx, "corridor directory not cached", "path", s.cachePath, "error", err)
				}
			}
			return nil
		}
	}
	s.refused = err
	return err
}

// SourceStatus describes the version in force, for status pages.
type SourceStatus struct {
	Corridor  string    `json:"corridor"`
	Version   int64     `json:"version"`
	ExpiresAt time.Time `json:"expires_at"`
	Expired   bool      `json:"expired"`
	// Refused is why the last file published was refused, if it was.
	Refused string `json:"refused,omitempty"`
}

// Status returns the state of the source without reloading the file.
func (s *FileSource) Status() SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SourceStatus{Corridor: s.dir.Corridor, Version: s.dir.Version, ExpiresAt: s.dir.ExpiresAt,
		Expired: s.dir.CheckExpiry(s.now()) != nil}
	if s.refused != nil {
		st.Refused = s.refused.Error()
	}
	return st
}

// OpenFileSource loads the anchor file at anchorPath and returns a
// FileSource on the signed directory at path, caching the version in force
// at cachePath when it is set: what a service's configuration names
// (CORRIDOR_DIRECTORY, CORRIDOR_DIRECTORY_ANCHOR, CORRIDOR_DIRECTORY_CACHE).
func OpenFileSource(path, anchorPath, cachePath string, logger *slog.Logger) (*FileSource, error) {
	anchor, err := LoadAnchor(anchorPath)
	if err != nil {
		return nil, fmt.Errorf("open corridor directory: %w", err)
	}
	return NewFileSource(FileSourceConfig{Path: path, Anchor: anchor, CachePath: cachePath, Logger: logger})
}
