package keyfile_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/directory/keyfile"
)

func TestGovernanceFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g, err := keyfile.GenerateGovernance("CI")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(g.ID, "ci-gov-") {
		t.Errorf("id = %q", g.ID)
	}
	path := filepath.Join(dir, "gov.json")
	if err := g.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v", fi.Mode().Perm(), err)
	}
	got, err := keyfile.LoadGovernance(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.PublicKey(), g.PublicKey()) {
		t.Error("the loaded key differs")
	}

	bad := []struct{ name, content string }{
		{"not JSON", `{`},
		{"short seed", `{"member": "CI", "id": "ci-gov-1", "algorithm": "Ed25519", "private_key": "AAAA"}`},
		{"wrong algorithm", `{"member": "CI", "id": "ci-gov-1", "algorithm": "RSA", "private_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`},
		{"unknown field", `{"member": "CI", "id": "ci-gov-1", "algorithm": "Ed25519", "private_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "x": 1}`},
	}
	for _, tc := range bad {
		p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
		if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := keyfile.LoadGovernance(p); err == nil {
			t.Errorf("%s: loaded", tc.name)
		}
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := keyfile.LoadGovernance(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key loaded: %v", err)
	}
}
