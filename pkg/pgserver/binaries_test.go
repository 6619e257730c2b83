package pgserver

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestVersionedDirs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, v := range []string{"9.6", "15", "10", "16", "common", "14.2"} {
		if err := os.MkdirAll(filepath.Join(root, v, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := versionedDirs(root)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, v := range []string{"16", "15", "14.2", "10", "9.6"} {
		want = append(want, filepath.Join(root, v, "bin"))
	}
	if !slices.Equal(got, want) {
		t.Errorf("versionedDirs = %v, want %v", got, want)
	}

	missing, err := versionedDirs(filepath.Join(root, "absent"))
	if err != nil || len(missing) != 0 {
		t.Errorf("versionedDirs(missing) = %v, %v; want nothing, nil", missing, err)
	}
}

func TestBinariesIn(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files map[string]os.FileMode
		ok    bool
	}{
		{"all three", map[string]os.FileMode{"initdb": 0o755, "pg_ctl": 0o755, "postgres": 0o755}, true},
		{"client only", map[string]os.FileMode{"psql": 0o755, "pg_ctl": 0o755}, false},
		{"not executable", map[string]os.FileMode{"initdb": 0o644, "pg_ctl": 0o755, "postgres": 0o755}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, mode := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), nil, mode); err != nil {
					t.Fatal(err)
				}
			}
			b, ok := binariesIn(dir)
			if ok != tc.ok {
				t.Fatalf("binariesIn ok = %v, want %v", ok, tc.ok)
			}
			if ok && b.Postgres != filepath.Join(dir, "postgres") {
				t.Errorf("Postgres = %q", b.Postgres)
			}
		})
	}
}

func TestFindBinaries(t *testing.T) {
	root := t.TempDir()
	t.Setenv("PATH", t.TempDir())
	if _, err := findBinaries(root); !errors.Is(err, ErrBinariesNotFound) {
		t.Fatalf("findBinaries with nothing installed = %v, want ErrBinariesNotFound", err)
	}
	const want = "PostgreSQL server binaries not found: install them (Debian/Ubuntu: apt-get install postgresql)"
	if ErrBinariesNotFound.Error() != want {
		t.Errorf("message = %q, want %q", ErrBinariesNotFound, want)
	}

	// A client-only version beside a full one: the full one is chosen even
	// though it is older.
	for v, names := range map[string][]string{"16": {"pg_ctl"}, "15": {"initdb", "pg_ctl", "postgres"}} {
		dir := filepath.Join(root, v, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if err := os.WriteFile(filepath.Join(dir, name), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := findBinaries(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "15", "bin", "initdb"); b.Initdb != want {
		t.Errorf("Initdb = %q, want %q", b.Initdb, want)
	}

	// Binaries on PATH win.
	t.Setenv("PATH", filepath.Join(root, "15", "bin"))
	if b, err := findBinaries(filepath.Join(root, "none")); err != nil || b.PgCtl != filepath.Join(root, "15", "bin", "pg_ctl") {
		t.Errorf("findBinaries from PATH = %+v, %v", b, err)
	}
}
