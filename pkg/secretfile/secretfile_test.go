package secretfile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/corridor-org/corridor/pkg/secretfile"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("SUSEED"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		path string
		want error // nil: accepted
	}{
		{"owner only", file("ok", 0o600), nil},
		{"owner read only", file("ro", 0o400), nil},
		{"group readable", file("group", 0o640), secretfile.ErrExposed},
		{"world readable", file("world", 0o604), secretfile.ErrExposed},
		{"a directory", dir, secretfile.ErrExposed},
		{"missing", filepath.Join(dir, "none"), fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := secretfile.Check(tc.path)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("Check = %v, want %v", err, tc.want)
			}
		})
	}
}
