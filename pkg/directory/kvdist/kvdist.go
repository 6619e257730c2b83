// Package kvdist distributes signed corridor directory versions through a
// JetStream key-value bucket: the coordinator's domain holds the bucket,
// operators publish to it, and a follower next to each member's services
// watches it (across the hub, or through a read-only mirror in the member's
// own domain) and writes every version it verifies to the file the services
// watch. The file is the member's on-disk cache: the services verify it
// again (directory.FileSource), so neither the bucket, the hub nor the
// coordinator is trusted with the directory's content.
package kvdist

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/directory"
)

// Bucket is the key-value bucket, in the coordinator's JetStream domain,
// and Key the key that holds the signed directory file.
const (
	Bucket = "corridor_directory"
	Key    = "signed"
)

// Stream is the bucket's stream: in the coordinator's domain, and as a
// read-only mirror in every member's.
const Stream = "KV_" + Bucket

// history is how many versions the bucket keeps: enough to see what was
// published recently; the directory's own versions say which is newest.
const history = 16

// EnsureBucket returns the bucket, creating it (file storage: a published
// version must survive a restart of the coordinator's server) if it does
// not exist.
func EnsureBucket(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "corridor directory, signed versions",
		History:     history,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("ensure directory bucket: %w", err)
	}
	return kv, nil
}

// MirrorConsumer returns the name of the durable consumer on the
// coordinator's bucket that member's mirror reads through: "dir-<member>".
func MirrorConsumer(member string) string { return "dir-" + member }

// MirrorDeliverPrefix returns the subjects the consumer for member on
// origin's bucket delivers under; the hub routes them to member only.
func MirrorDeliverPrefix(origin, member string) string {
	return "corridor.directory." + origin + "." + member
}

// mirrorDeliverSubject is the deliver subject of MirrorConsumer, inside
// MirrorDeliverPrefix.
func mirrorDeliverSubject(origin, member string) string {
	return MirrorDeliverPrefix(origin, member) + ".durable"
}

// mirrorMaxAckPending bounds what a mirror consumer pushes before the
// member's flow-control replies acknowledge it.
const mirrorMaxAckPending = 256

// EnsureMirrorConsumers makes, on the bucket in origin's domain (the
// coordinator's), the durable consumer each of members' mirrors reads
// through, or brings it to its configuration. Origin's operator makes
// them, so origin fixes everything about them: a member's server may only
// reset its own (what the hub and origin's server let through), never
// create a consumer, choose its deliver subject, or put into the bucket.
func EnsureMirrorConsumers(ctx context.Context, js jetstream.JetStream, origin string, members []string) error {
	for _, m := range members {
		_, err := js.CreateOrUpdatePushConsumer(ctx, Stream, jetstream.ConsumerConfig{
			Durable:        MirrorConsumer(m),
			Description:    "what " + m + "'s read-only mirror of the directory bucket reads",
			DeliverSubject: mirrorDeliverSubject(origin, m),
			DeliverPolicy:  jetstream.DeliverAllPolicy,
			// Durable sourcing requires these: acknowledged by the mirror's
			// flow-control replies, a heartbeat of one second.
			AckPolicy:     jetstream.AckFlowControlPolicy,
			FlowControl:   true,
			IdleHeartbeat: time.Second,
			MaxAckPending: mirrorMaxAckPending,
		})
		if err != nil {
			return fmt.Errorf("ensure mirror consumer of %s: %w", m, err)
		}
	}
	return nil
}

// EnsureMirror makes, in member's own domain, the read-only mirror of the
// bucket in origin's domain, through the consumer origin made for member
// (EnsureMirrorConsumers), and returns it. Member's services and its
// follower read this mirror, so they keep reading the last versions while
// the hub is away. A put into it is sent on to origin's bucket, and no
// configuration routes that: members cannot write the directory bucket.
func EnsureMirror(ctx context.Context, js jetstream.JetStream, origin, member string) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "corridor directory, read-only mirror of " + origin + "'s bucket",
		History:     history,
		Storage:     jetstream.FileStorage,
		Mirror: &jetstream.StreamSource{
			Name: Stream,
			External: &jetstream.ExternalStream{
				APIPrefix:     "$JS." + origin + ".API",
				DeliverPrefix: MirrorDeliverPrefix(origin, member),
			},
			Consumer: &jetstream.StreamConsumerSource{
				Name:           MirrorConsumer(member),
				DeliverSubject: mirrorDeliverSubject(origin, member),
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("ensure directory mirror: %w", err)
	}
	return kv, nil
}

// Latest returns the signed directory in the bucket, or nil if none was
// published yet.
func Latest(ctx context.Context, kv jetstream.KeyValue) (*directory.SignedDirectory, error) {
	e, err := kv.Get(ctx, Key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get published directory: %w", err)
	}
	s, err := directory.ParseSigned(e.Value())
	if err != nil {
		return nil, fmt.Errorf("published directory, revision %d: %w", e.Revision(), err)
	}
	return s, nil
}

// Publish puts s in the bucket. It does not verify s: callers verify it
// against the version in force first (corridorctl directory publish does),
// and followers verify it again.
func Publish(ctx context.Context, kv jetstream.KeyValue, s *directory.SignedDirectory) (uint64, error) {
	b, err := s.Marshal()
	if err != nil {
		return 0, err
	}
	rev, err := kv.Put(ctx, Key, b)
	if err != nil {
		return 0, fmt.Errorf("publish directory: %w", err)
	}
	return rev, nil
}

// Follower writes the versions published in a bucket to a file.
type Follower struct {
	// KV is the bucket, or the member's read-only mirror of it.
	KV jetstream.KeyValue
	// Path is the file the services read (CORRIDOR_DIRECTORY).
	Path string
	// Anchor is the trust before anything is at Path.
	Anchor directory.Trust
	Logger *slog.Logger
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// Run watches the bucket until ctx ends. Each version published is
// verified against the version at Path (or the anchor) and written there
// if it is newer; anything else is logged and skipped, so that the file
// only ever moves forward.
func (f *Follower) Run(ctx context.Context) error {
	if f.Now == nil {
		f.Now = time.Now
	}
	w, err := f.KV.Watch(ctx, Key)
	if err != nil {
		return fmt.Errorf("watch directory bucket: %w", err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("watch directory bucket: the watch ended")
			}
			if e == nil { // the initial values have been delivered
				continue
			}
			if e.Operation() != jetstream.KeyValuePut {
				f.Logger.WarnContext(ctx, "directory bucket entry deleted; keeping the file", "revision", e.Revision())
				continue
			}
			if err := f.Apply(ctx, e.Value()); err != nil {
				f.Logger.ErrorContext(ctx, "published directory refused; keeping the file",
					"revision", e.Revision(), "path", f.Path, "error", err)
			}
		}
	}
}

// Apply verifies a signed directory file against the version at f.Path
// (checked against its own governance) or, if there is none, the anchor,
// and writes it to f.Path if it is newer.
func (f *Follower) Apply(ctx context.Context, data []byte) error {
	s, err := directory.ParseSigned(data)
	if err != nil {
		return err
	}
	trust := f.Anchor
	cur, err := directory.LoadSigned(f.Path)
	switch {
	case err == nil:
		v, err := directory.VerifySelf(cur)
		if err != nil {
			return fmt.Errorf("version at %s: %w", f.Path, err)
		}
		if v.Directory.Corridor != f.Anchor.Corridor {
			return fmt.Errorf("version at %s is of corridor %q, not %q: %w", f.Path, v.Directory.Corridor, f.Anchor.Corridor, directory.ErrOtherCorridor)
		}
		trust = directory.TrustIn(v.Directory, cur)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	v, err := directory.Verify(s, trust, f.Now())
	if err != nil {
		return err
	}
	if v.Unchanged {
		return nil
	}
	if err := s.Save(f.Path); err != nil {
		return err
	}
	f.Logger.InfoContext(ctx, "published directory written", "path", f.Path,
		"corridor", v.Directory.Corridor, "version", v.Directory.Version, "signed_by", v.Signers)
	return nil
}
