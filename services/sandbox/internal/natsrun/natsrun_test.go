package natsrun_test

import (
	"context"
	"fmt"
	"github.com/corridor-org/corridor/pkg/logtest"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/corridor-org/corridor/services/sandbox/internal/natsrun"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// The tests are not parallel: nats-server's flag parsing writes a package
// variable, which is why the sandbox runs one server per process.

func TestRunServesUntilCancelled(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "server.conf")
	err := os.WriteFile(conf, []byte(fmt.Sprintf(`
listen: 127.0.0.1:%d
jetstream { store_dir: %q, domain: test }
accounts { A: { jetstream: enabled, users: [{user: op, password: s3cret}] } }
`, port, filepath.Join(dir, "store"))), 0o600)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs logtest.Buffer
	errc := make(chan error, 1)
	go func() { errc <- natsrun.Run(ctx, []string{"-c", conf}, &logs) }()

	url := fmt.Sprintf("nats://op:s3cret@127.0.0.1:%d", port)
	var nc *nats.Conn
	deadline := time.Now().Add(30 * time.Second)
	for {
		nc, err = nats.Connect(url, nats.Timeout(time.Second))
		if err == nil {
			break
		}
		select {
		case err := <-errc:
			t.Fatalf("Run returned before serving: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect: %v\n%s", err, logs.String())
		}
		<-time.After(20 * time.Millisecond)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AddStream(&nats.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatalf("JetStream from the config file is not on: %v", err)
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestRunRejectsBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte("port: $CORRIDOR_TEST_SURELY_UNSET_VARIABLE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"missing file", []string{"-c", filepath.Join(dir, "absent.conf")}},
		{"unset variable", []string{"-c", bad}},
		{"unknown flag", []string{"-no-such-flag"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logtest.Buffer
			if err := natsrun.Run(context.Background(), tt.args, &logs); err == nil {
				t.Error("Run succeeded, want an error")
			}
		})
	}
}
