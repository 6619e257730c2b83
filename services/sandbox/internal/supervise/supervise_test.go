package supervise_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/corridor-org/corridor/services/sandbox/internal/supervise"
)

// The test binary doubles as the supervised child: TestMain turns into one of
// these behaviours when childEnv is set.
const childEnv = "SUPERVISE_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "serve": // says hello, then runs until SIGTERM
		fmt.Println("hello from", os.Getpid())
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		<-ch
		fmt.Println("bye from", os.Getpid())
		os.Exit(0)
	case "stubborn": // ignores SIGTERM
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("hello from", os.Getpid())
		// Not select{}: with no other goroutine the runtime would call
		// that a deadlock and exit, which is not ignoring the signal.
		for {
			time.Sleep(time.Hour)
		}
	default:
		os.Exit(3)
	}
}

func spec(t *testing.T, mode string) supervise.Spec {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return supervise.Spec{
		Name:        "child-" + mode,
		Path:        exe,
		Env:         []string{childEnv + "=" + mode},
		LogFile:     filepath.Join(t.TempDir(), mode+".log"),
		StopTimeout: 5 * time.Second,
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.After(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out after %s waiting for %s", d, what)
		case <-tick.C:
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

func TestRestartsAKilledChild(t *testing.T) {
	t.Parallel()
	var restarted atomic.Int32
	sup := supervise.New(discard(), supervise.Config{
		MinBackoff: 10 * time.Millisecond,
		OnRestart:  func(*supervise.Process) { restarted.Add(1) },
	})
	sp := spec(t, "serve")
	p, err := sup.Start(sp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sup.StopAll(context.Background()) })

	first := p.PID()
	eventually(t, "first greeting", 10*time.Second, func() bool {
		return strings.Contains(readFile(t, sp.LogFile), fmt.Sprint("hello from ", first))
	})
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a new incarnation", 10*time.Second, func() bool {
		return p.PID() != first && p.Restarts() == 1 && restarted.Load() == 1
	})
	second := p.PID()
	eventually(t, "second greeting in the same log", 10*time.Second, func() bool {
		return strings.Contains(readFile(t, sp.LogFile), fmt.Sprint("hello from ", second))
	})

	if err := p.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !strings.Contains(readFile(t, sp.LogFile), fmt.Sprint("bye from ", second)) {
		t.Errorf("child did not get SIGTERM; log:\n%s", readFile(t, sp.LogFile))
	}
	if processAlive(second) {
		t.Errorf("pid %d still alive after Stop", second)
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done not closed after Stop")
	}
	if got := p.Restarts(); got != 1 {
		t.Errorf("Restarts after Stop = %d, want 1 (a stopped process is not restarted)", got)
	}
}

func TestStopKillsAChildThatIgnoresTheSignal(t *testing.T) {
	t.Parallel()
	sup := supervise.New(discard(), supervise.Config{})
	sp := spec(t, "stubborn")
	sp.StopTimeout = 300 * time.Millisecond
	p, err := sup.Start(sp)
	if err != nil {
		t.Fatal(err)
	}
	pid := p.PID()
	eventually(t, "greeting", 10*time.Second, func() bool {
		return strings.Contains(readFile(t, sp.LogFile), "hello from")
	})
	err = p.Stop(context.Background())
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Stop = %v, want an error saying it was killed", err)
	}
	if processAlive(pid) {
		t.Errorf("pid %d still alive", pid)
	}
}

func TestCustomStopFunction(t *testing.T) {
	t.Parallel()
	sup := supervise.New(discard(), supervise.Config{})
	sp := spec(t, "stubborn")
	var called atomic.Int32
	// The custom stop is how pg_ctl stops PostgreSQL; here it kills outright.
	sp.Stop = func(_ context.Context, pid int) error {
		called.Add(1)
		return syscall.Kill(pid, syscall.SIGKILL)
	}
	p, err := sup.Start(sp)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if called.Load() != 1 {
		t.Errorf("custom stop called %d times, want 1", called.Load())
	}
}

func TestStopAllStopsInReverseOrder(t *testing.T) {
	t.Parallel()
	sup := supervise.New(discard(), supervise.Config{})
	var order []string
	var procs []*supervise.Process
	for _, name := range []string{"first", "second", "third"} {
		sp := spec(t, "serve")
		sp.Name = name
		sp.Stop = func(_ context.Context, pid int) error {
			order = append(order, name) // StopAll stops one at a time
			return syscall.Kill(pid, syscall.SIGTERM)
		}
		p, err := sup.Start(sp)
		if err != nil {
			t.Fatal(err)
		}
		procs = append(procs, p)
	}
	if err := sup.StopAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(order, ","), "third,second,first"; got != want {
		t.Errorf("stop order = %s, want %s", got, want)
	}
	for _, p := range procs {
		if p.PID() != 0 && processAlive(p.PID()) {
			t.Errorf("%s (pid %d) still alive", p.Name(), p.PID())
		}
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	sup := supervise.New(discard(), supervise.Config{})
	tests := []struct {
		name string
		spec supervise.Spec
	}{
		{"no name", supervise.Spec{Path: "/bin/true", LogFile: filepath.Join(t.TempDir(), "x.log")}},
		{"missing program", supervise.Spec{Name: "ghost", Path: filepath.Join(t.TempDir(), "nope"), LogFile: filepath.Join(t.TempDir(), "x.log")}},
		{"unwritable log", supervise.Spec{Name: "nolog", Path: "/bin/true", LogFile: filepath.Join(t.TempDir(), "missing", "x.log")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sup.Start(tt.spec); err == nil {
				t.Error("Start succeeded, want an error")
			}
		})
	}
}
