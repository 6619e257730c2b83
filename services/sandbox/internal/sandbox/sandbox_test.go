package sandbox

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeConfig is a sandbox configuration whose binaries exist but are never
// run: open, the ports and the state need only their presence.
func fakeConfig(t *testing.T, out *bytes.Buffer) Config {
	t.Helper()
	bin := t.TempDir()
	for _, name := range []string{"casework", "relay", "coordinator", "sandbox"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/false\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return Config{Dir: filepath.Join(t.TempDir(), ".sandbox"), BinDir: bin, Root: t.TempDir(), Out: out}
}

// openAndRemember opens the sandbox, chooses its ports, keeps them in the
// state, and closes it again.
func openAndRemember(t *testing.T, cfg Config) (map[string]int, bool) {
	t.Helper()
	s, err := open(cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	ports, err := s.allocatePorts()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.st.Save(s.path("state.json")); err != nil {
		t.Fatal(err)
	}
	reused := s.Reused()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ports, reused
}

func TestStateIsReusedUntilReset(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	cfg := fakeConfig(t, &out)

	first, reused := openAndRemember(t, cfg)
	if reused {
		t.Error("a fresh directory counted as reused")
	}
	if !strings.Contains(out.String(), "creating a new sandbox in") {
		t.Errorf("first start said %q", out.String())
	}
	marker := filepath.Join(cfg.Dir, "keys", "marker")
	if err := os.MkdirAll(filepath.Dir(marker), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(marker, []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	second, reused := openAndRemember(t, cfg)
	if !reused {
		t.Error("second start did not reuse the state")
	}
	if !strings.Contains(out.String(), "reusing ") || !strings.Contains(out.String(), "`make demo-reset` starts afresh") {
		t.Errorf("second start said %q, want it to say it reuses the state and how to reset", out.String())
	}
	if !maps.Equal(first, second) {
		t.Errorf("ports changed between runs:\nfirst  %v\nsecond %v", first, second)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("state files lost on reuse: %v", err)
	}

	out.Reset()
	cfg.Reset = true
	_, reused = openAndRemember(t, cfg)
	if reused {
		t.Error("a reset start counted as reused")
	}
	if !strings.Contains(out.String(), "reset: wiped") {
		t.Errorf("reset start said %q", out.String())
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("reset left state behind (stat marker: %v)", err)
	}
}

func TestOneSandboxPerDirectory(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	cfg := fakeConfig(t, &out)
	s, err := open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(cfg); err == nil || !strings.Contains(err.Error(), "another sandbox is running") {
		t.Errorf("second open = %v, want a lock error", err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	s2, err := open(cfg)
	if err != nil {
		t.Fatalf("open after the first stopped: %v", err)
	}
	_ = s2.Stop(context.Background())
}

func TestOpenRefusesMissingBinaries(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	cfg := fakeConfig(t, &out)
	if err := os.Remove(filepath.Join(cfg.BinDir, "relay")); err != nil {
		t.Fatal(err)
	}
	if _, err := open(cfg); err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("open = %v, want an error saying to build the services", err)
	}
}

func TestStopRemovesEndpoints(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s, err := open(fakeConfig(t, &out))
	if err != nil {
		t.Fatal(err)
	}
	e := sampleEndpoints(t)
	s.endpoints = &e
	if err := s.rewriteEndpoints(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.path(envFile), envShell(e, "/repo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{endpointsFile, envFile} {
		if _, err := os.Stat(s.path(f)); !os.IsNotExist(err) {
			t.Errorf("%s still there after Stop (%v)", f, err)
		}
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestNeverWipesForeignFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		state string // state.json content; empty for none
		reset bool
	}{
		{"no state", "", false},
		{"reset", `{"version": 1, "ports": {}, "secrets": {}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			cfg := fakeConfig(t, &out)
			cfg.Reset = tt.reset
			if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
				t.Fatal(err)
			}
			precious := filepath.Join(cfg.Dir, "thesis.tex")
			if err := os.WriteFile(precious, []byte("years of work"), 0o600); err != nil {
				t.Fatal(err)
			}
			if tt.state != "" {
				if err := os.WriteFile(filepath.Join(cfg.Dir, "state.json"), []byte(tt.state), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := open(cfg)
			if err == nil || !strings.Contains(err.Error(), "thesis.tex") {
				t.Errorf("open = %v, want a refusal naming the foreign file", err)
			}
			if _, err := os.Stat(precious); err != nil {
				t.Errorf("foreign file gone: %v", err)
			}
		})
	}
}

func TestResetRecoversFromABrokenState(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	cfg := fakeConfig(t, &out)
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Dir, "state.json"), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := open(cfg); err == nil || !strings.Contains(err.Error(), "make demo-reset") {
		t.Fatalf("open on a broken state = %v, want an error pointing to make demo-reset", err)
	}
	cfg.Reset = true
	if _, reused := openAndRemember(t, cfg); reused {
		t.Error("reset reused the broken state")
	}
	if !strings.Contains(out.String(), "reset: wiped") {
		t.Errorf("reset said %q", out.String())
	}
}
