// Package directorytest publishes signed corridor directories for tests of
// the services that load one: governors (one fresh governance key per
// member, threshold two) sign a directory and write the signed file and its
// anchor.
package directorytest

import (
	"crypto/ed25519"
	"path/filepath"
	"testing"

	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/signing"
)

// Files are the paths of a published directory.
type Files struct {
	Directory string // the signed directory (CORRIDOR_DIRECTORY)
	Anchor    string // its anchor (CORRIDOR_DIRECTORY_ANCHOR)
}

// Governors hold a corridor's governance keys.
type Governors struct {
	governance directory.Governance
	private    map[string]ed25519.PrivateKey
}

// NewGovernors makes one governance key for each member, with a threshold
// of two members (one if there is only one).
func NewGovernors(t testing.TB, members []directory.Member) *Governors {
	t.Helper()
	g := &Governors{governance: directory.Governance{Threshold: min(2, len(members))}, private: map[string]ed25519.PrivateKey{}}
	for _, m := range members {
		pub, priv, err := signing.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		id := m.Code.Domain() + "-gov-test"
		g.private[id] = priv
		g.governance.Keys = append(g.governance.Keys, directory.GovernanceKey{
			ID: id, Member: m.Code, Algorithm: directory.SigningAlgorithm, PublicKey: pub,
		})
	}
	return g
}

// Sign sets d's governance to the governors' and returns d signed by all
// of them.
func (g *Governors) Sign(t testing.TB, d *directory.Directory) *directory.SignedDirectory {
	t.Helper()
	gv := g.governance
	d.Governance = &gv
	s, err := directory.Propose(d)
	if err != nil {
		t.Fatal(err)
	}
	for id, priv := range g.private {
		if err := s.Sign(id, priv, nil); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// Write signs d and writes directory.json and anchor.json in dir.
func (g *Governors) Write(t testing.TB, d *directory.Directory, dir string) Files {
	t.Helper()
	s := g.Sign(t, d)
	f := Files{Directory: filepath.Join(dir, "directory.json"), Anchor: filepath.Join(dir, "anchor.json")}
	if err := s.Save(f.Directory); err != nil {
		t.Fatal(err)
	}
	anchor, err := directory.AnchorOf(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := directory.SaveAnchor(f.Anchor, anchor); err != nil {
		t.Fatal(err)
	}
	return f
}

// Write publishes d in dir with governors of its own members.
func Write(t testing.TB, d *directory.Directory, dir string) Files {
	t.Helper()
	return NewGovernors(t, d.Members).Write(t, d, dir)
}
