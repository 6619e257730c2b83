package natstest

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// StartJetStream starts one JetStream server in JetStream domain domain,
// without accounts or leaf links, on a random port, and returns its client
// URL. It suits tests of a JetStream feature on its own (a key-value
// bucket); corridor topologies use StartHub and StartMember.
func StartJetStream(t testing.TB, domain string) string {
	t.Helper()
	srv, err := runServer(t, &server.Options{
		ServerName:      "single-" + domain,
		Host:            Host,
		Port:            -1,
		JetStream:       true,
		JetStreamDomain: domain,
		StoreDir:        t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return srv.ClientURL()
}
