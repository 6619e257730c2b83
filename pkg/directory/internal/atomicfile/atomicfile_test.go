package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/corridor-org/corridor/pkg/directory/internal/atomicfile"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")

	tests := []struct {
		name string
		data string
		perm os.FileMode
	}{
		{"create", "one", 0o600},
		{"replace with another mode", "two", 0o644},
	}
	for _, tc := range tests {
		if err := atomicfile.Write(path, []byte(tc.data), tc.perm); err != nil {
			t.Fatalf("%s: Write: %v", tc.name, err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != tc.data {
			t.Fatalf("%s: read %q, %v; want %q", tc.name, got, err, tc.data)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != tc.perm {
			t.Fatalf("%s: mode %v, %v; want %v", tc.name, fi.Mode().Perm(), err, tc.perm)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("directory holds %d entries (%v), want only the file", len(entries), err)
	}
	if err := atomicfile.Write(filepath.Join(dir, "missing", "f"), nil, 0o600); err == nil {
		t.Error("Write into a missing directory: no error")
	}
}
