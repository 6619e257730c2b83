package streams

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/corridor-org/corridor/pkg/secretfile"
)

// Connect connects a service to its member's NATS server at url, signing
// in with the nkey whose seed is in the file seedFile (mode 0600, owned by
// the service's user: secretfile.Check; a service has no password),
// for as long as the process runs. It returns at once even while the server
// cannot be reached, and keeps trying: services start in any order, and a
// service outlives any NATS outage (messages wait in the outbox, the INBOX
// waits for its consumer). Disconnections, reconnections and the errors the
// server reports asynchronously go to logger; a denied publish, for one,
// does not fail the publish call, only a deadline ends it.
func Connect(url, name, seedFile string, logger *slog.Logger) (*nats.Conn, error) {
	nkey, err := NkeyOption(seedFile)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	nc, err := nats.Connect(url,
		nats.Name(name),
		nkey,
		// The default of two seconds has proved too short for a handshake
		// on a loaded machine.
		nats.Timeout(10*time.Second),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			logger.Warn("disconnected from NATS", "error", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			logger.Info("reconnected to NATS", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			logger.Error("NATS error", "error", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	return nc, nil
}

// NkeyOption returns the option that signs in with the nkey whose seed is
// in seedFile, after checking that only its owner, this process's user,
// can read it.
func NkeyOption(seedFile string) (nats.Option, error) {
	if seedFile == "" {
		return nil, errors.New("no nkey seed file given")
	}
	if err := secretfile.Check(seedFile); err != nil {
		return nil, fmt.Errorf("nkey seed file: %w", err)
	}
	opt, err := nats.NkeyOptionFromSeed(seedFile)
	if err != nil {
		return nil, fmt.Errorf("nkey seed file %s: %w", seedFile, err)
	}
	return opt, nil
}
