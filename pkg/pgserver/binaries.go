package pgserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrBinariesNotFound is returned when no PostgreSQL server binaries can be
// found on PATH or in the Debian/Ubuntu versioned directories.
var ErrBinariesNotFound = errors.New("PostgreSQL server binaries not found: install them (Debian/Ubuntu: apt-get install postgresql)")

// debianRoot is where Debian and Ubuntu install each major version's server
// binaries, deliberately off PATH (/usr/lib/postgresql/<version>/bin).
const debianRoot = "/usr/lib/postgresql"

// Binaries are the absolute paths of the server programs a cluster needs.
type Binaries struct {
	Initdb   string
	PgCtl    string
	Postgres string
}

// FindBinaries looks for initdb, pg_ctl and postgres on PATH and, failing
// that, in the highest-versioned /usr/lib/postgresql/<version>/bin. The three
// come from one place so that a data directory is never initialised by one
// major version and started by another.
func FindBinaries() (Binaries, error) { return findBinaries(debianRoot) }

func findBinaries(root string) (Binaries, error) {
	if b, err := binariesOnPath(); err == nil {
		return b, nil
	}
	dirs, err := versionedDirs(root)
	if err != nil {
		return Binaries{}, err
	}
	for _, dir := range dirs {
		if b, ok := binariesIn(dir); ok {
			return b, nil
		}
	}
	return Binaries{}, ErrBinariesNotFound
}

func binariesOnPath() (Binaries, error) {
	var b Binaries
	for _, p := range []struct {
		name string
		dst  *string
	}{{"initdb", &b.Initdb}, {"pg_ctl", &b.PgCtl}, {"postgres", &b.Postgres}} {
		path, err := exec.LookPath(p.name)
		if err != nil {
			return Binaries{}, fmt.Errorf("look up %s: %w", p.name, err)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return Binaries{}, fmt.Errorf("resolve %s: %w", path, err)
		}
		*p.dst = abs
	}
	return b, nil
}

func binariesIn(dir string) (Binaries, bool) {
	b := Binaries{
		Initdb:   filepath.Join(dir, "initdb"),
		PgCtl:    filepath.Join(dir, "pg_ctl"),
		Postgres: filepath.Join(dir, "postgres"),
	}
	for _, p := range []string{b.Initdb, b.PgCtl, b.Postgres} {
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return Binaries{}, false
		}
	}
	return b, true
}

// versionedDirs returns root/<version>/bin for every numeric version under
// root, highest version first. A missing root is not an error: it just means
// no packaged server is installed.
func versionedDirs(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", root, err)
	}
	type version struct {
		parts []int
		dir   string
	}
	var vs []version
	for _, e := range entries {
		parts, ok := parseVersion(e.Name())
		if !ok || !e.IsDir() {
			continue
		}
		vs = append(vs, version{parts: parts, dir: filepath.Join(root, e.Name(), "bin")})
	}
	sort.Slice(vs, func(i, j int) bool { return versionLess(vs[j].parts, vs[i].parts) })
	dirs := make([]string, len(vs))
	for i, v := range vs {
		dirs[i] = v.dir
	}
	return dirs, nil
}

// parseVersion parses "15" or "9.6" into its numeric parts.
func parseVersion(s string) ([]int, bool) {
	var parts []int
	for _, f := range strings.Split(s, ".") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, false
		}
		parts = append(parts, n)
	}
	return parts, true
}

func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
