package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/kvdist"
	"github.com/corridor-org/corridor/pkg/envconf"
	"github.com/corridor-org/corridor/pkg/streams"
)

// connect connects to the NATS server at url with the nkey whose seed file
// NATS_NKEY_SEED_FILE names, or with no credentials if it names none.
func connect(t *tool, url string) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name("corridorctl"), nats.Timeout(15 * time.Second)}
	if seedFile := t.getenv(envconf.NATSSeedFile); seedFile != "" {
		nkey, err := streams.NkeyOption(seedFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, nkey)
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	return nc, nil
}

// connectBucket connects to NATS with the nkey whose seed file
// NATS_NKEY_SEED_FILE names (none: no credentials) and returns the
// directory bucket in domain, creating it if it does not exist yet and
// create is set.
func connectBucket(ctx context.Context, t *tool, url, domain string, create bool) (*nats.Conn, jetstream.KeyValue, error) {
	nc, err := connect(t, url)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.NewWithDomain(nc, domain)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("connect to JetStream domain %s: %w", domain, err)
	}
	// The coordinator's operator makes the bucket (kvdist.EnsureBucket);
	// the publisher, the one user that may put into it, may not make it.
	kv, err := js.KeyValue(ctx, kvdist.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) && create {
		kv, err = kvdist.EnsureBucket(ctx, js)
	}
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("directory bucket in domain %s: %w", domain, err)
	}
	return nc, kv, nil
}

// publishToBucket verifies the file against the version in the bucket (or
// the anchor, for the first) and puts it there.
func publishToBucket(ctx context.Context, t *tool, in, url, domain, anchorPath string) error {
	nc, kv, err := connectBucket(ctx, t, url, domain, true)
	if err != nil {
		return err
	}
	defer nc.Close()
	latest, err := kvdist.Latest(ctx, kv)
	if err != nil {
		return err
	}
	var trust directory.Trust
	switch {
	case latest != nil:
		v, err := directory.VerifySelf(latest)
		if err != nil {
			return fmt.Errorf("version in the bucket: %w", err)
		}
		trust = directory.TrustIn(v.Directory, latest)
	case anchorPath != "":
		if trust, err = directory.LoadAnchor(anchorPath); err != nil {
			return err
		}
	default:
		return errors.New("nothing is published in the bucket yet: give -anchor to publish a first version")
	}
	s, v, err := verifyFile(in, trust, t.now())
	if err != nil {
		return fmt.Errorf("not published: %w", err)
	}
	if v.Unchanged {
		fmt.Fprintf(t.stdout, "version %d is already published in %s\n", v.Directory.Version, kvdist.Bucket)
		return nil
	}
	rev, err := kvdist.Publish(ctx, kv, s)
	if err != nil {
		return err
	}
	report(t, fmt.Sprintf("published to bucket %s (domain %s, revision %d)", kvdist.Bucket, domain, rev), v)
	return nil
}

func directoryFollow(ctx context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	natsURL := fs.String("nats-url", "", "the member's NATS server (nkey seed file from NATS_NKEY_SEED_FILE)")
	domain := fs.String("domain", "coord", "JetStream domain of the bucket: the coordinator's, or the member's own for a mirror")
	to := fs.String("to", "", "the file the services watch (CORRIDOR_DIRECTORY)")
	anchorPath := fs.String("anchor", "", "the anchor (CORRIDOR_DIRECTORY_ANCHOR)")
	if err := parse(fs, args, "nats-url", "to", "anchor"); err != nil {
		return err
	}
	anchor, err := directory.LoadAnchor(*anchorPath)
	if err != nil {
		return err
	}
	nc, kv, err := connectBucket(ctx, t, *natsURL, *domain, false)
	if err != nil {
		return err
	}
	defer nc.Close()
	logger := slog.New(slog.NewJSONHandler(t.stdout, nil)).With("service", "corridorctl directory follow")
	logger.Info("following the directory bucket", "bucket", kvdist.Bucket, "domain", *domain, "path", *to)
	f := &kvdist.Follower{KV: kv, Path: *to, Anchor: anchor, Logger: logger, Now: t.now}
	return f.Run(ctx)
}

// directoryBucket sets up directory distribution on one member's server,
// as that member's NATS operator: on the coordinator's, the bucket and the
// consumer each other member's mirror reads through; on a member's, the
// read-only mirror its follower and services read.
func directoryBucket(ctx context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	natsURL := fs.String("nats-url", "", "this member's NATS server, as its operator (nkey seed file from NATS_NKEY_SEED_FILE)")
	in := fs.String("directory", "", "the signed directory in force (names the members and the coordinator)")
	member := fs.String("member", "", "this member's code (CI, or COORD for the coordinator)")
	if err := parse(fs, args, "nats-url", "directory", "member"); err != nil {
		return err
	}
	d, _, err := inForce(*in)
	if err != nil {
		return err
	}
	me, err := d.Member(memberCode(*member))
	if err != nil {
		return err
	}
	coord, err := d.Member(corridor.Coordinator)
	if err != nil {
		return fmt.Errorf("the directory has no coordinator to hold the bucket: %w", err)
	}
	nc, err := connect(t, *natsURL)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if me.Code == corridor.Coordinator {
		if _, err := kvdist.EnsureBucket(ctx, js); err != nil {
			return err
		}
		members := d.PeerDomains(me.Code)
		if err := kvdist.EnsureMirrorConsumers(ctx, js, me.JetStreamDomain, members); err != nil {
			return err
		}
		fmt.Fprintf(t.stdout, "bucket %s ready in domain %s, mirrored by %v\n", kvdist.Bucket, me.JetStreamDomain, members)
		return nil
	}
	if _, err := kvdist.EnsureMirror(ctx, js, coord.JetStreamDomain, me.JetStreamDomain); err != nil {
		return err
	}
	fmt.Fprintf(t.stdout, "read-only mirror of %s's bucket %s ready in domain %s\n", coord.JetStreamDomain, kvdist.Bucket, me.JetStreamDomain)
	return nil
}
