package sandbox

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/streams"
)

// provisionTimeout bounds setting up one member's streams.
const provisionTimeout = 30 * time.Second

// provisionStreams does what each member's NATS operator does before the
// services start: it creates every member's OUTBOX with a source consumer
// for each other member, then every INBOX sourcing all the other members,
// or brings what an earlier version of the sandbox made up to date. The
// services' own users may only check the streams, never make or change
// them. Every OUTBOX comes first so that no source waits for its upstream
// consumer to appear.
func (s *Sandbox) provisionStreams(ctx context.Context, natsEnv map[string]natsconf.MemberEnv) error {
	js := map[string]jetstream.JetStream{}
	for _, m := range members() {
		env := natsEnv[m.domain()]
		nkey, err := streams.NkeyOption(s.natsSeedFile(m.domain(), natsconf.UserOperator))
		if err != nil {
			return fmt.Errorf("provision streams of %s: %w", m.domain(), err)
		}
		nc, err := nats.Connect(natsURL(env.Port),
			nats.Name("sandbox provisioning"),
			nkey,
			nats.Timeout(10*time.Second))
		if err != nil {
			return fmt.Errorf("provision streams of %s: %w", m.domain(), err)
		}
		defer nc.Close()
		if js[m.domain()], err = jetstream.New(nc); err != nil {
			return fmt.Errorf("provision streams of %s: %w", m.domain(), err)
		}
	}
	peers := func(m member) []string {
		var out []string
		for _, p := range members() {
			if p.Code != m.Code {
				out = append(out, p.domain())
			}
		}
		return out
	}
	for _, m := range members() {
		ctx, cancel := context.WithTimeout(ctx, provisionTimeout)
		err := streams.EnsureOutbox(ctx, js[m.domain()], m.domain(), peers(m))
		cancel()
		if err != nil {
			return fmt.Errorf("provision streams of %s: %w", m.domain(), err)
		}
	}
	for _, m := range members() {
		ctx, cancel := context.WithTimeout(ctx, provisionTimeout)
		err := streams.EnsureInbox(ctx, js[m.domain()], m.domain(), peers(m))
		cancel()
		if err != nil {
			return fmt.Errorf("provision streams of %s: %w", m.domain(), err)
		}
	}
	return nil
}
