package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// FileName is the state file's name inside the sandbox directory.
const FileName = "state.json"

// version is bumped when the file's meaning changes; an older file is then
// refused with a hint to reset rather than half-understood.
const version = 1

// State is what a sandbox remembers between runs. Ports and secrets are
// created on first use and kept, so adding a process to the sandbox later
// allocates only what is new.
type State struct {
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	// SeededAt is set once the synthetic cases were filed, so that a second
	// run does not file them again.
	SeededAt time.Time `json:"seeded_at,omitzero"`
	// Ports are loopback TCP ports by name ("postgres", "nats-ci").
	Ports map[string]int `json:"ports"`
	// Secrets are the seeds of the nkeys the sandbox made, by name
	// ("nats-leaf-ci"). No NATS user has a password.
	Secrets map[string]string `json:"secrets"`
}

// New returns an empty state created at now.
func New(now time.Time) *State {
	return &State{
		Version:   version,
		CreatedAt: now.UTC(),
		Ports:     map[string]int{},
		Secrets:   map[string]string{},
	}
}

// Load reads the state file at path. A missing file gives an error that
// errors.Is(err, os.ErrNotExist).
func Load(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse state %s: %w", path, err)
	}
	if s.Version != version {
		return nil, fmt.Errorf("parse state %s: version %d, this sandbox understands %d: reset it", path, s.Version, version)
	}
	if s.Ports == nil {
		s.Ports = map[string]int{}
	}
	if s.Secrets == nil {
		s.Secrets = map[string]string{}
	}
	return &s, nil
}

// Save writes the state to path atomically, readable by its owner only: it
// holds passwords.
func (s *State) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := WriteFileAtomic(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// Port returns the port named name, choosing a free loopback port the first
// time. A chosen port is never one already given to another name.
func (s *State) Port(name string) (int, error) {
	if p, ok := s.Ports[name]; ok {
		return p, nil
	}
	taken := map[int]bool{}
	for _, p := range s.Ports {
		taken[p] = true
	}
	// The kernel may hand back a port it just gave us once we closed it.
	for range 20 {
		p, err := freePort()
		if err != nil {
			return 0, fmt.Errorf("choose port %s: %w", name, err)
		}
		if !taken[p] {
			s.Ports[name] = p
			return p, nil
		}
	}
	return 0, fmt.Errorf("choose port %s: no unused free port found", name)
}

// BusyPorts returns the names of the remembered ports that cannot be bound
// on the loopback interface now, sorted: something else (or a sandbox still
// running) holds them.
func (s *State) BusyPorts() []string {
	var busy []string
	for _, name := range slices.Sorted(maps.Keys(s.Ports)) {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Ports[name])))
		if err != nil {
			busy = append(busy, name)
			continue
		}
		l.Close()
	}
	return busy
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WriteFileAtomic writes data to a temporary file beside path and renames it
// over path, so that readers (a script polling for endpoints.json) never see
// half a file.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Chmod(tmp, perm); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return nil
}
