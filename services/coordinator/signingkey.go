package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
)

// keyFile is the part of a member key file (the format pkg/directory/keyfile
// writes) the coordinator reads: its signing keys. The keyfile package
// itself links the envelope code, which the coordinator must not link.
type keyFile struct {
	Member      corridor.MemberCode `json:"member"`
	SigningKeys []struct {
		ID         string    `json:"id"`
		Algorithm  string    `json:"algorithm"`
		PrivateKey []byte    `json:"private_key"`
		NotBefore  time.Time `json:"not_before"`
		NotAfter   time.Time `json:"not_after"`
	} `json:"signing_keys"`
}

// loadSigningKey returns the coordinator's signing key from the key file at
// path: one valid at now whose public half the directory lists for COORD,
// so that a receiver of a signed notice can verify it with the directory.
func loadSigningKey(path string, dir *directory.Directory, now time.Time) (string, ed25519.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", nil, fmt.Errorf("load signing key: %w", err)
	}
	if perm := fi.Mode().Perm(); !fi.Mode().IsRegular() || perm&^0o600 != 0 {
		return "", nil, fmt.Errorf("load signing key %s: not a regular file of mode 0600", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("load signing key: %w", err)
	}
	var f keyFile
	if err := json.Unmarshal(data, &f); err != nil {
		// The decoder's message can quote the file; never echo key bytes.
		return "", nil, fmt.Errorf("load signing key %s: the key file is not valid JSON", path)
	}
	if f.Member != corridor.Coordinator {
		return "", nil, fmt.Errorf("load signing key %s: the key file is %s's, not the coordinator's", path, f.Member)
	}
	for _, k := range f.SigningKeys {
		if k.Algorithm != directory.SigningAlgorithm || len(k.PrivateKey) != ed25519.SeedSize ||
			now.Before(k.NotBefore) || !now.Before(k.NotAfter) {
			continue
		}
		priv := ed25519.NewKeyFromSeed(k.PrivateKey)
		pub, err := dir.SigningKey(corridor.Coordinator, k.ID)
		if err != nil || !bytes.Equal(pub, priv.Public().(ed25519.PublicKey)) {
			continue
		}
		return k.ID, priv, nil
	}
	return "", nil, fmt.Errorf("load signing key %s: no Ed25519 key valid now whose public half the directory lists for %s", path, corridor.Coordinator)
}
