package directorytest_test

import (
	"bytes"
	"context"
	"crypto/hpke"
	"log/slog"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/directorytest"
)

// TestWrite checks that what Write publishes opens as a file source.
func TestWrite(t *testing.T) {
	t.Parallel()
	now := time.Now()
	d := &directory.Directory{
		Corridor: "ci-bf", Version: 1, IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour),
		TimeLimits: directory.TimeLimits{RespondWithinHours: 1, InformationResponseWithinHours: 1, HandoverWithinDays: 1, FollowUpEveryDays: 1},
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
	f := directorytest.Write(t, d, t.TempDir())
	src, err := directory.OpenFileSource(f.Directory, f.Anchor, "", slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := src.Current(context.Background()); err != nil || got.Governance.Threshold != 2 {
		t.Fatalf("Current = %v, %v", got, err)
	}
}
