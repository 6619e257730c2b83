package keyfile_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/corridor-org/corridor/pkg/directory/keyfile"
)

func TestAuditKeyRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, err := keyfile.GenerateAudit("CI")
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := filepath.Join(dir, "audit.json"), filepath.Join(dir, "audit.pub.json")
	if err := a.Save(priv); err != nil {
		t.Fatal(err)
	}
	if err := a.Public().Save(pub); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(priv); err != nil || fi.Mode().Perm() != keyfile.Mode {
		t.Fatalf("audit key file mode = %v, %v", fi.Mode(), err)
	}
	got, err := keyfile.LoadAudit(priv)
	if err != nil || got.ID != a.ID || !got.SigningKey().Equal(a.SigningKey()) {
		t.Fatalf("LoadAudit = %+v, %v", got, err)
	}
	p, err := keyfile.LoadAuditPublic(pub)
	if err != nil || p.ID != a.ID || !bytes.Equal(p.PublicKey, a.Public().PublicKey) {
		t.Fatalf("LoadAuditPublic = %+v, %v", p, err)
	}
	// A key file others may read is refused.
	if err := os.Chmod(priv, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := keyfile.LoadAudit(priv); !errors.Is(err, keyfile.ErrExposed) {
		t.Errorf("LoadAudit of a 0640 file = %v, want ErrExposed", err)
	}
}
