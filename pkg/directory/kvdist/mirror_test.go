package kvdist_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/directorytest"
	"github.com/corridor-org/corridor/pkg/directory/kvdist"
	"github.com/corridor-org/corridor/pkg/logtest"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
)

// attemptTimeout bounds a write that must be refused: a denied or
// unrouted publish fails only when its deadline passes.
const attemptTimeout = 2 * time.Second

// TestMirrorIsReadOnly runs the shipped configurations: the bucket lives
// in the coordinator's domain, only the coordinator's publisher puts into
// it, and a member's read-only mirror in its own domain gets every version
// (a follower reading that local mirror writes the services' file). No
// one else can write the bucket: neither a member's operator through its
// mirror (the put is sent on to the coordinator's domain, and nothing
// routes it), nor a member's relay, nor the coordinator's own operator or
// service, nor whoever controls a member's account on the hub.
func TestMirrorIsReadOnly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := natstest.StartCorridor(t, "ci", "bf", "coord")
	coord, ci := c.Members["coord"], c.Members["ci"]

	op := coord.JetStream(t, natsconf.UserOperator)
	if _, err := kvdist.EnsureBucket(ctx, op); err != nil {
		t.Fatal(err)
	}
	if err := kvdist.EnsureMirrorConsumers(ctx, op, "coord", []string{"ci", "bf"}); err != nil {
		t.Fatal(err)
	}
	mirror, err := kvdist.EnsureMirror(ctx, ci.JetStream(t, natsconf.UserOperator), "coord", "ci")
	if err != nil {
		t.Fatal(err)
	}

	bucket, err := coord.JetStream(t, natsconf.UserPublisher).KeyValue(ctx, kvdist.Bucket)
	if err != nil {
		t.Fatalf("the publisher cannot open the bucket: %v", err)
	}
	v1 := version(t, 1)
	signed := directorytest.NewGovernors(t, v1.Members).Sign(t, v1)
	rev, err := kvdist.Publish(ctx, bucket, signed)
	if err != nil {
		t.Fatalf("the publisher cannot publish: %v", err)
	}

	// The follower next to CI's services reads CI's own mirror.
	anchor, err := directory.AnchorOf(v1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "directory.json")
	var logs logtest.Buffer
	f := &kvdist.Follower{KV: mirror, Path: path, Anchor: anchor, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(runCtx) }()
	natstest.WaitFor(t, 30*time.Second, "CI's follower writes version 1 from CI's mirror", func() bool {
		s, err := directory.LoadSigned(path)
		return err == nil && s != nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("follow: %v\n%s", err, logs.String())
	}

	put := func(kv jetstream.KeyValue) error {
		ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
		defer cancel()
		_, err := kv.Put(ctx, kvdist.Key, []byte("forged"))
		return err
	}
	publish := func(nc *nats.Conn, subject string) error {
		js, err := jetstream.New(nc)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
		defer cancel()
		_, err = js.Publish(ctx, subject, []byte("forged"))
		return err
	}
	quiet := nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})
	attempts := []struct {
		name  string
		write func() error
	}{
		{"CI's operator, through its mirror", func() error { return put(mirror) }},
		{"CI's operator, to the bucket's subject in the coordinator's domain", func() error {
			return publish(ci.Connect(t, natsconf.UserOperator, quiet), "$JS.coord.API.$KV.corridor_directory.signed")
		}},
		{"CI's relay", func() error {
			return publish(ci.Connect(t, natsconf.UserRelay, quiet), "$KV.corridor_directory.signed")
		}},
		{"the coordinator's operator", func() error {
			return publish(coord.Connect(t, natsconf.UserOperator, quiet), "$KV.corridor_directory.signed")
		}},
		{"the coordinator service", func() error {
			return publish(coord.Connect(t, natsconf.UserRelay, quiet), "$KV.corridor_directory.signed")
		}},
		{"CI's account on the hub", func() error {
			return publish(c.Hub.ConnectAccount(t, "CI", quiet), "$JS.coord.API.$KV.corridor_directory.signed")
		}},
	}
	for _, a := range attempts {
		if err := a.write(); err == nil {
			t.Errorf("%s wrote into the directory bucket", a.name)
		}
	}
	e, err := bucket.Get(ctx, kvdist.Key)
	if err != nil {
		t.Fatal(err)
	}
	if e.Revision() != rev || string(e.Value()) == "forged" {
		t.Errorf("the bucket holds revision %d, want the publisher's %d alone", e.Revision(), rev)
	}
	if latest, err := kvdist.Latest(ctx, mirror); err != nil || latest == nil {
		t.Errorf("CI's mirror: %v, %v", latest, err)
	}
}
