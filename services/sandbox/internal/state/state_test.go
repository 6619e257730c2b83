package state_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/corridor-org/corridor/services/sandbox/internal/state"
)

func TestPortsAndSecretsSurviveSaveAndLoad(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), state.FileName)
	created := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	s := state.New(created)

	names := []string{"postgres", "nats-hub", "nats-hub-leaf", "nats-ci", "casework-ci"}
	seen := map[int]string{}
	for _, name := range names {
		p, err := s.Port(name)
		if err != nil {
			t.Fatal(err)
		}
		if p <= 0 || p > 65535 {
			t.Fatalf("Port(%s) = %d", name, p)
		}
		if other, dup := seen[p]; dup {
			t.Fatalf("port %d given to %s and %s", p, other, name)
		}
		seen[p] = name
		if again, _ := s.Port(name); again != p {
			t.Errorf("Port(%s) changed from %d to %d", name, p, again)
		}
	}
	const seed = "SUAEXAMPLESEEDONLYFORTHISTEST"
	s.Secrets["nats-leaf-ci"] = seed
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode = %v, want 0600 (it holds nkey seeds)", fi.Mode().Perm())
	}

	loaded, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !loaded.CreatedAt.Equal(created) {
		t.Errorf("CreatedAt = %v, want %v", loaded.CreatedAt, created)
	}
	for _, name := range names {
		want := s.Ports[name]
		if got, _ := loaded.Port(name); got != want {
			t.Errorf("loaded Port(%s) = %d, want %d", name, got, want)
		}
	}
	if got := loaded.Secrets["nats-leaf-ci"]; got != seed {
		t.Errorf("loaded secret = %q, want %q", got, seed)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name     string
		path     string
		notExist bool
	}{
		{"missing", filepath.Join(dir, "absent.json"), true},
		{"not json", write("garbage.json", "{"), false},
		{"other version", write("v9.json", `{"version": 9}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := state.Load(tt.path)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if got := errors.Is(err, os.ErrNotExist); got != tt.notExist {
				t.Errorf("errors.Is(err, ErrNotExist) = %v, want %v (err: %v)", got, tt.notExist, err)
			}
		})
	}
}

func TestBusyPorts(t *testing.T) {
	t.Parallel()
	s := state.New(time.Now())
	free, err := s.Port("free")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s.Ports["held"] = l.Addr().(*net.TCPAddr).Port

	if got := s.BusyPorts(); !slices.Equal(got, []string{"held"}) {
		t.Errorf("BusyPorts = %v, want [held] (free port %s)", got, strconv.Itoa(free))
	}
}

func TestWriteFileAtomicReplaces(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "endpoints.json")
	for _, content := range []string{"first", "second"} {
		if err := state.WriteFileAtomic(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != content {
			t.Errorf("content = %q, want %q", b, content)
		}
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file (no temporary leftovers)", len(entries))
	}
}
