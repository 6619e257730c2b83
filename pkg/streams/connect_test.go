package streams_test

import (
	"errors"
	"github.com/corridor-org/corridor/pkg/logtest"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
	"github.com/corridor-org/corridor/pkg/secretfile"
	"github.com/corridor-org/corridor/pkg/streams"
)

// connectTimeout bounds waiting for a connection on a loaded machine.
const connectTimeout = 30 * time.Second

// TestConnectOutlivesTheServer connects before the server is up, loses it,
// and gets it back, logging both.
func TestConnectOutlivesTheServer(t *testing.T) {
	t.Parallel()
	hub := natstest.StartHub(t)
	ci := natstest.StartMember(t, hub, "ci")
	creds := ci.Credentials(t, natsconf.UserRelay)
	var logs logtest.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))

	nc, err := streams.Connect(ci.ClientURL(), "test", creds.SeedFile, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	natstest.WaitFor(t, connectTimeout, "connected", nc.IsConnected)

	ci.Stop()
	natstest.WaitFor(t, connectTimeout, "the disconnection is logged", func() bool {
		return strings.Contains(logs.String(), "disconnected from NATS")
	})
	ci.Restart(t)
	natstest.WaitFor(t, connectTimeout, "reconnected and logged", func() bool {
		return nc.IsConnected() && strings.Contains(logs.String(), "reconnected to NATS")
	})
}

// TestConnectWithoutAServer returns a connection that keeps trying, not an
// error: services start in any order.
func TestConnectWithoutAServer(t *testing.T) {
	t.Parallel()
	port, err := natsconf.FreePort(natstest.Host)
	if err != nil {
		t.Fatal(err)
	}
	url := "nats://" + net.JoinHostPort(natstest.Host, strconv.Itoa(port))
	k, err := natsconf.NewNkey()
	if err != nil {
		t.Fatal(err)
	}
	seed := filepath.Join(t.TempDir(), "nobody.nk")
	if err := natsconf.WriteSeedFile(seed, k); err != nil {
		t.Fatal(err)
	}
	nc, err := streams.Connect(url, "test", seed, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Connect without a server = %v, want a connection that retries", err)
	}
	defer nc.Close()
	if nc.IsConnected() {
		t.Error("connected to nothing")
	}
}

// TestConnectRefusesAnExposedSeed: a seed file others can read is refused
// before anything is sent, as a key file is.
func TestConnectRefusesAnExposedSeed(t *testing.T) {
	t.Parallel()
	k, err := natsconf.NewNkey()
	if err != nil {
		t.Fatal(err)
	}
	seed := filepath.Join(t.TempDir(), "relay.nk")
	if err := natsconf.WriteSeedFile(seed, k); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(seed, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = streams.Connect("nats://127.0.0.1:1", "test", seed, slog.New(slog.DiscardHandler))
	if !errors.Is(err, secretfile.ErrExposed) {
		t.Fatalf("Connect with a 0644 seed file = %v, want secretfile.ErrExposed", err)
	}
	if _, err := streams.Connect("nats://127.0.0.1:1", "test", "", slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("Connect without a seed file succeeded")
	}
}
