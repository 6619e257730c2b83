package streams

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
)

// Connect connects a service, as user, to its member's NATS server at url,
// for as long as the process runs. It returns at once even while the server
// cannot be reached, and keeps trying: services start in any order, and a
// service outlives any NATS outage (messages wait in the outbox, the INBOX
// waits for its consumer). Disconnections, reconnections and the errors the
// server reports asynchronously go to logger; a denied publish, for one,
// does not fail the publish call, only a deadline ends it.
func Connect(url, name, user, password string, logger *slog.Logger) (*nats.Conn, error) {
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.UserInfo(user, password),
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
