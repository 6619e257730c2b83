package keyfile

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/signing"
)

// GovernanceFile is one governance officer's private key: it co-signs
// corridor directory versions and nothing else. It is kept apart from the
// relay's key file, ideally offline: a relay never needs it.
type GovernanceFile struct {
	Member    corridor.MemberCode `json:"member"`
	ID        string              `json:"id"`
	Algorithm string              `json:"algorithm"`
	// PrivateKey is the 32-byte RFC 8032 seed (base64 in JSON).
	PrivateKey []byte `json:"private_key"`
}

// GenerateGovernance returns a new governance key for member, with a random
// id prefixed by the member's domain ("ci-gov-…").
func GenerateGovernance(member corridor.MemberCode) (*GovernanceFile, error) {
	_, priv, err := signing.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate governance key: %w", err)
	}
	g := &GovernanceFile{Member: member, ID: corridor.NewID(member.Domain() + "-gov-"), Algorithm: directory.SigningAlgorithm, PrivateKey: priv.Seed()}
	if err := g.validate(); err != nil {
		return nil, fmt.Errorf("generate governance key: %w", err)
	}
	return g, nil
}

// LoadGovernance reads the governance key file at path, refusing it if
// anyone other than its owner and group may read it.
func LoadGovernance(path string) (*GovernanceFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load governance key: %w", err)
	}
	if fi.Mode().Perm()&0o007 != 0 {
		return nil, fmt.Errorf("load governance key %s: mode %v lets anyone read a private key; chmod 600 it", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load governance key: %w", err)
	}
	var g GovernanceFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		// Never echo the file: it holds a private key.
		return nil, fmt.Errorf("load governance key %s: not a valid governance key file", path)
	}
	if err := g.validate(); err != nil {
		return nil, fmt.Errorf("load governance key %s: %w", path, err)
	}
	return &g, nil
}

// Save writes g to path atomically with mode 0600.
func (g *GovernanceFile) Save(path string) error {
	if err := g.validate(); err != nil {
		return fmt.Errorf("save governance key: %w", err)
	}
	return saveJSON(path, g, Mode)
}

func (g *GovernanceFile) validate() error {
	return checkSigningKey("governance key", g.Member, g.ID, g.Algorithm, g.PrivateKey, ed25519.SeedSize)
}

// PublicKey returns the key's entry for a directory's governance.
func (g *GovernanceFile) PublicKey() directory.GovernanceKey {
	return directory.GovernanceKey{
		ID: g.ID, Member: g.Member, Algorithm: g.Algorithm,
		PublicKey: ed25519.NewKeyFromSeed(g.PrivateKey).Public().(ed25519.PublicKey),
	}
}

// Sign adds g's signature to s (see directory.SignedDirectory.Sign).
func (g *GovernanceFile) Sign(s *directory.SignedDirectory, inForce *directory.Governance) error {
	return s.Sign(g.ID, ed25519.NewKeyFromSeed(g.PrivateKey), inForce)
}
