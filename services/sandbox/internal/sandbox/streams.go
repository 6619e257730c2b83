package sandbox

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/kvdist"
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
	return s.provisionDirectoryBucket(ctx, js, peers)
}

// provisionDirectoryBucket does what `corridorctl directory bucket` does
// as each member's operator: the directory bucket in the coordinator's
// domain with a consumer for each member's mirror, then each country's
// read-only mirror of it.
func (s *Sandbox) provisionDirectoryBucket(ctx context.Context, js map[string]jetstream.JetStream, peers func(member) []string) error {
	ctx, cancel := context.WithTimeout(ctx, provisionTimeout)
	defer cancel()
	coord := coordinatorMember().domain()
	if _, err := kvdist.EnsureBucket(ctx, js[coord]); err != nil {
		return fmt.Errorf("provision the directory bucket: %w", err)
	}
	if err := kvdist.EnsureMirrorConsumers(ctx, js[coord], coord, peers(coordinatorMember())); err != nil {
		return fmt.Errorf("provision the directory bucket: %w", err)
	}
	for _, m := range countries() {
		if _, err := kvdist.EnsureMirror(ctx, js[m.domain()], coord, m.domain()); err != nil {
			return fmt.Errorf("provision the directory mirror of %s: %w", m.domain(), err)
		}
	}
	return nil
}

// publishDirectory puts the directory the sandbox issued into the bucket,
// as the coordinator's publisher (the one user that may), for the members'
// mirrors to carry. The sandbox's services read the file the sandbox
// writes; a deployment's read the file a follower writes from the mirror.
func (s *Sandbox) publishDirectory(ctx context.Context, natsEnv map[string]natsconf.MemberEnv, trust trustFiles) error {
	coord := coordinatorMember().domain()
	nkey, err := streams.NkeyOption(s.natsSeedFile(coord, natsconf.UserPublisher))
	if err != nil {
		return fmt.Errorf("publish the directory: %w", err)
	}
	nc, err := nats.Connect(natsURL(natsEnv[coord].Port), nats.Name("sandbox directory publisher"), nkey, nats.Timeout(10*time.Second))
	if err != nil {
		return fmt.Errorf("publish the directory: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("publish the directory: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, provisionTimeout)
	defer cancel()
	kv, err := js.KeyValue(ctx, kvdist.Bucket)
	if err != nil {
		return fmt.Errorf("publish the directory: %w", err)
	}
	signed, err := directory.LoadSigned(trust.Directory)
	if err != nil {
		return fmt.Errorf("publish the directory: %w", err)
	}
	if _, err := kvdist.Publish(ctx, kv, signed); err != nil {
		return fmt.Errorf("publish the directory: %w", err)
	}
	return nil
}
