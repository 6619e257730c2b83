package directory_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/directory"
)

// clock is a settable time for FileSource.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func save(t *testing.T, s *directory.SignedDirectory, path string) {
	t.Helper()
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
}

func (g governed) anchor() directory.Trust {
	return directory.Trust{Corridor: "ci-bf", Governance: *g.governance()}
}

// TestFileSource publishes, one after the other, what a relay may find in
// its directory file, and checks which version is in force after each.
func TestFileSource(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := newGoverned(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "directory.json")
	save(t, sign(t, g.directory(t, 3), nil, g.ci, g.bf), path)

	var logs bytes.Buffer
	c := &clock{now}
	src, err := directory.NewFileSource(directory.FileSourceConfig{
		Path: path, Anchor: g.anchor(), CachePath: filepath.Join(dir, "cache.json"),
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: c.now,
	})
	if err != nil {
		t.Fatalf("NewFileSource: %v", err)
	}
	var _ directory.Source = src

	v4 := g.directory(t, 4)
	v4.ExpiresAt = expires.AddDate(1, 0, 0)
	reused := g.directory(t, 4)
	reused.ExpiresAt = expires.AddDate(1, 0, 0)
	reused.Members[0].Agencies[0].Name = "Another agency"
	tampered := sign(t, g.directory(t, 5), nil, g.ci, g.bf)
	tampered.Document = bytes.Replace(tampered.Document, []byte(`"version": 5`), []byte(`"version": 6`), 1)

	steps := []struct {
		name    string
		publish func()
		version int64
		refused error // what Status reports, nil if the step was accepted
	}{
		{name: "first version", publish: func() {}, version: 3},
		{name: "newer version", publish: func() { save(t, sign(t, v4, nil, g.ci, g.coord), path) }, version: 4},
		{name: "same bytes again", publish: func() {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(b, ' '), 0o644); err != nil { // a change of file, not of signed bytes
				t.Fatal(err)
			}
		}, version: 4},
		{name: "same version, other content", publish: func() { save(t, sign(t, reused, nil, g.ci, g.bf), path) }, version: 4, refused: directory.ErrVersionReused},
		{name: "older version", publish: func() { save(t, sign(t, g.directory(t, 2), nil, g.ci, g.bf), path) }, version: 4, refused: directory.ErrRollback},
		{name: "badly signed", publish: func() { save(t, tampered, path) }, version: 4, refused: directory.ErrBadSignature},
		{name: "below threshold", publish: func() { save(t, sign(t, g.directory(t, 5), nil, g.bf), path) }, version: 4, refused: directory.ErrBelowThreshold},
		{name: "unsigned", publish: func() {
			if err := g.directory(t, 5).Save(path); err != nil {
				t.Fatal(err)
			}
		}, version: 4, refused: directory.ErrMalformed},
		{name: "broken file", publish: func() {
			if err := os.WriteFile(path, []byte(`{"format": "corridor/v1`), 0o644); err != nil {
				t.Fatal(err)
			}
		}, version: 4, refused: directory.ErrMalformed},
		{name: "file removed", publish: func() {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, version: 4, refused: directory.ErrMalformed},
	}
	for _, step := range steps {
		step.publish()
		cur, err := src.Current(ctx)
		if err != nil {
			t.Fatalf("%s: Current: %v", step.name, err)
		}
		if cur.Version != step.version {
			t.Fatalf("%s: version %d in force, want %d", step.name, cur.Version, step.version)
		}
		if step.name == "same version, other content" && cur.Members[0].Agencies[0].Name == "Another agency" {
			t.Fatalf("%s: the other content is in force", step.name)
		}
		st := src.Status()
		if step.refused == nil && st.Refused != "" {
			t.Errorf("%s: status reports a refusal: %s", step.name, st.Refused)
		}
		if step.refused != nil && st.Refused == "" {
			t.Errorf("%s: status reports no refusal", step.name)
		}
	}
	if !strings.Contains(logs.String(), "reload refused") {
		t.Errorf("no log of the refused reloads: %s", logs.String())
	}

	// Once version 4 expires with nothing newer, fail closed, and say why.
	c.t = v4.ExpiresAt
	_, err = src.Current(ctx)
	if !errors.Is(err, directory.ErrExpired) || !strings.Contains(err.Error(), "version 4 expired") {
		t.Fatalf("Current after expiry = %v, want ErrExpired naming version 4", err)
	}
	if st := src.Status(); !st.Expired || st.Version != 4 {
		t.Errorf("status after expiry = %+v", st)
	}
	// A valid newer version brings the source back.
	v5 := g.directory(t, 5)
	v5.IssuedAt, v5.ExpiresAt = v4.ExpiresAt.Add(-time.Hour), v4.ExpiresAt.AddDate(1, 0, 0)
	save(t, sign(t, v5, nil, g.ci, g.bf), path)
	if cur, err := src.Current(ctx); err != nil || cur.Version != 5 {
		t.Fatalf("after publishing version 5: %v, %v", cur, err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := src.Current(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("Current with a cancelled context = %v", err)
	}
}

// TestFileSourceCache restarts a source on an older file than the one it
// accepted before, and after the governance changed.
func TestFileSourceCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := newGoverned(t)
	dir := t.TempDir()
	path, cache := filepath.Join(dir, "directory.json"), filepath.Join(dir, "cache.json")
	logger := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	open := func() (*directory.FileSource, error) {
		return directory.NewFileSource(directory.FileSourceConfig{
			Path: path, Anchor: g.anchor(), CachePath: cache, Logger: logger, Now: func() time.Time { return now },
		})
	}
	v3 := sign(t, g.directory(t, 3), nil, g.ci, g.bf)
	save(t, v3, path)
	if _, err := open(); err != nil {
		t.Fatal(err)
	}

	// Version 4 changes the governance: BF's key is replaced.
	bfNew := newGovernor(t, "bf-gov-2", "BF")
	v4 := g.directory(t, 4)
	v4.Governance.Keys[2] = bfNew.key()
	save(t, sign(t, v4, g.governance(), g.ci, g.bf, bfNew), path)
	src, err := open()
	if err != nil {
		t.Fatal(err)
	}
	if cur, err := src.Current(ctx); err != nil || cur.Version != 4 {
		t.Fatalf("version 4: %v, %v", cur, err)
	}

	// Version 5, signed by the new key and CI, verifies against version 4
	// in the cache, though not against the anchor.
	v5 := g.directory(t, 5)
	v5.Governance = v4.Governance
	save(t, sign(t, v5, nil, g.ci, bfNew), path)
	if _, err := directory.Verify(sign(t, v5, nil, bfNew, g.ci), g.anchor(), now); !errors.Is(err, directory.ErrBelowThreshold) {
		t.Fatalf("version 5 against the anchor = %v, want ErrBelowThreshold", err)
	}
	src, err = open()
	if err != nil {
		t.Fatalf("restart on version 5: %v", err)
	}
	if cur, err := src.Current(ctx); err != nil || cur.Version != 5 {
		t.Fatalf("version 5: %v, %v", cur, err)
	}

	// Someone puts version 3 back: the restarted source keeps version 5.
	save(t, v3, path)
	src, err = open()
	if err != nil {
		t.Fatalf("restart on version 3: %v", err)
	}
	if cur, err := src.Current(ctx); err != nil || cur.Version != 5 {
		t.Fatalf("after a rollback and a restart: %v, %v", cur, err)
	}

	// A corrupt cache stops the start rather than fall back to the anchor.
	if err := os.WriteFile(cache, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := open(); !errors.Is(err, directory.ErrMalformed) {
		t.Errorf("start with a corrupt cache = %v, want ErrMalformed", err)
	}
}

func TestNewFileSourceRefuses(t *testing.T) {
	t.Parallel()
	g := newGoverned(t)
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	good := filepath.Join(dir, "good.json")
	save(t, sign(t, g.directory(t, 3), nil, g.ci, g.bf), good)
	unsigned := filepath.Join(dir, "unsigned.json")
	if err := g.directory(t, 3).Save(unsigned); err != nil {
		t.Fatal(err)
	}
	weak := filepath.Join(dir, "weak.json")
	save(t, sign(t, g.directory(t, 3), nil, g.ci), weak)
	after := func() time.Time { return expires }
	otherAnchor := newGoverned(t).anchor()

	tests := []struct {
		name string
		cfg  directory.FileSourceConfig
		want error
	}{
		{"missing file", directory.FileSourceConfig{Path: filepath.Join(dir, "missing.json"), Anchor: g.anchor(), Logger: logger}, os.ErrNotExist},
		{"expired", directory.FileSourceConfig{Path: good, Anchor: g.anchor(), Logger: logger, Now: after}, directory.ErrExpired},
		{"unsigned", directory.FileSourceConfig{Path: unsigned, Anchor: g.anchor(), Logger: logger}, directory.ErrMalformed},
		{"below threshold", directory.FileSourceConfig{Path: weak, Anchor: g.anchor(), Logger: logger}, directory.ErrBelowThreshold},
		{"other governance", directory.FileSourceConfig{Path: good, Anchor: otherAnchor, Logger: logger}, directory.ErrBadSignature},
		{"no anchor", directory.FileSourceConfig{Path: good, Logger: logger}, nil},
		{"no path", directory.FileSourceConfig{Anchor: g.anchor(), Logger: logger}, nil},
		{"no logger", directory.FileSourceConfig{Path: good, Anchor: g.anchor()}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.cfg.Now == nil {
				tc.cfg.Now = func() time.Time { return now }
			}
			_, err := directory.NewFileSource(tc.cfg)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("NewFileSource = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAnchorFile(t *testing.T) {
	t.Parallel()
	g := newGoverned(t)
	path := filepath.Join(t.TempDir(), "anchor.json")
	a, err := directory.AnchorOf(g.directory(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	if err := directory.SaveAnchor(path, a); err != nil {
		t.Fatal(err)
	}
	got, err := directory.LoadAnchor(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Corridor != "ci-bf" || got.Governance.Threshold != 2 || len(got.Governance.Keys) != 4 {
		t.Errorf("anchor = %+v", got)
	}
	bad := a
	bad.Governance.Threshold = 5
	if err := directory.SaveAnchor(path, bad); err == nil {
		t.Error("SaveAnchor with an unreachable threshold: no error")
	}
	if err := os.WriteFile(path, []byte(`{"corridor": "ci-bf", "governance": {"threshold": 1, "keys": []}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := directory.LoadAnchor(path); err == nil {
		t.Error("LoadAnchor without keys: no error")
	}
}
