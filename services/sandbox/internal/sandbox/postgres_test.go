package sandbox

import (
	"slices"
	"testing"
)

// TestPostgresIsDurable checks that the server the sandbox runs keeps what
// was committed across a crash: fsync, synchronous commit and full-page
// writes on, on its command line, whatever postgresql.conf says.
func TestPostgresIsDurable(t *testing.T) {
	t.Parallel()
	args := postgresArgs(postgresCluster(t.TempDir(), 5432))
	for _, want := range []string{"fsync=on", "synchronous_commit=on", "full_page_writes=on"} {
		i := slices.Index(args, want)
		if i < 1 || args[i-1] != "-c" {
			t.Errorf("postgres arguments %q lack -c %s", args, want)
		}
	}
	for _, fast := range []string{"fsync=off", "synchronous_commit=off", "full_page_writes=off"} {
		if slices.Contains(args, fast) {
			t.Errorf("postgres arguments %q contain %s", args, fast)
		}
	}
}
