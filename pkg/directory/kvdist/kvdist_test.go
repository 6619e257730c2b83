package kvdist_test

import (
	"context"
	"crypto/hpke"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/directorytest"
	"github.com/corridor-org/corridor/pkg/directory/kvdist"
	"github.com/corridor-org/corridor/pkg/logtest"
	"github.com/corridor-org/corridor/pkg/natstest"
)

// version returns version v of a small valid corridor.
func version(t *testing.T, v int64) *directory.Directory {
	t.Helper()
	now := time.Now()
	d := &directory.Directory{
		Corridor: "ci-bf", Version: v, IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour),
		TimeLimits: directory.TimeLimits{RespondWithinHours: 72, InformationResponseWithinHours: 72, HandoverWithinDays: 30, FollowUpEveryDays: 180},
	}
	for _, code := range []corridor.MemberCode{"CI", "BF"} {
		k, err := hpke.MLKEM768X25519().GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		key := func(id, alg string, pub []byte) directory.Key {
			return directory.Key{ID: id, Algorithm: alg, PublicKey: pub, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
		}
		d.Members = append(d.Members, directory.Member{
			Code: code, Name: string(code), JetStreamDomain: code.Domain(),
			EncryptionKeys: []directory.Key{key(code.Domain()+"-enc", directory.EncryptionAlgorithm, k.PublicKey().Bytes())},
			SigningKeys:    []directory.Key{key(code.Domain()+"-sig", directory.SigningAlgorithm, make([]byte, 32))},
			Agencies:       []directory.Agency{{ID: code.Domain() + "-agency", Name: "Agency"}},
		})
	}
	return d
}

// TestFollow publishes versions to a bucket in the coordinator's domain
// and checks that a follower reading it from another connection writes
// only the valid, newer ones to its file.
func TestFollow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := natstest.StartJetStream(t, "coord")
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.NewWithDomain(nc, "coord")
	if err != nil {
		t.Fatal(err)
	}
	kv, err := kvdist.EnsureBucket(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := kvdist.Latest(ctx, kv); s != nil || err != nil {
		t.Fatalf("Latest of an empty bucket = %v, %v", s, err)
	}

	v1 := version(t, 1)
	gov := directorytest.NewGovernors(t, v1.Members)
	signed1 := gov.Sign(t, v1)
	anchor, err := directory.AnchorOf(v1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "directory.json")
	var logs logtest.Buffer
	f := &kvdist.Follower{KV: kv, Path: path, Anchor: anchor, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(runCtx) }()

	inFile := func(want int64) func() bool {
		return func() bool {
			s, err := directory.LoadSigned(path)
			if err != nil {
				return false
			}
			d, err := s.Directory()
			return err == nil && d.Version == want
		}
	}
	if _, err := kvdist.Publish(ctx, kv, signed1); err != nil {
		t.Fatal(err)
	}
	natstest.WaitFor(t, 30*time.Second, "version 1 is written", inFile(1))

	// An unsigned version 3, then a valid version 2: the first is refused,
	// the second written (the watch delivers them in order).
	v3 := version(t, 3)
	gov.Sign(t, v3) // gives v3 its governance
	unsigned, err := directory.Propose(v3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kvdist.Publish(ctx, kv, unsigned); err != nil {
		t.Fatal(err)
	}
	if _, err := kvdist.Publish(ctx, kv, gov.Sign(t, version(t, 2))); err != nil {
		t.Fatal(err)
	}
	natstest.WaitFor(t, 30*time.Second, "version 2 is written", inFile(2))
	if !strings.Contains(logs.String(), "published directory refused") {
		t.Errorf("the unsigned version was not reported:\n%s", logs.String())
	}
	// Version 1 again is a rollback: refused, and version 2 stays.
	if err := f.Apply(ctx, mustMarshal(t, signed1)); !errors.Is(err, directory.ErrRollback) {
		t.Errorf("Apply of version 1 after 2 = %v, want ErrRollback", err)
	}
	if latest, err := kvdist.Latest(ctx, kv); err != nil || latest == nil {
		t.Errorf("Latest = %v, %v", latest, err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func mustMarshal(t *testing.T, s *directory.SignedDirectory) []byte {
	t.Helper()
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
