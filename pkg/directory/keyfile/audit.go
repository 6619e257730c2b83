package keyfile

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/internal/atomicfile"
	"github.com/corridor-org/corridor/pkg/secretfile"
	"github.com/corridor-org/corridor/pkg/signing"
	"github.com/corridor-org/corridor/pkg/validation"
)

// AuditFile is a member's audit key: it signs the checkpoints of the
// member's audit trail and nothing else. Casework holds it; an inquiry
// checks checkpoints with its public half (AuditPublicFile).
type AuditFile struct {
	Member    corridor.MemberCode `json:"member"`
	ID        string              `json:"id"`
	Algorithm string              `json:"algorithm"`
	// PrivateKey is the 32-byte RFC 8032 seed (base64 in JSON).
	PrivateKey []byte `json:"private_key"`
}

// AuditPublicFile is the public half of an audit key, as corridorctl
// audit verify reads it.
type AuditPublicFile struct {
	Member    corridor.MemberCode `json:"member"`
	ID        string              `json:"id"`
	Algorithm string              `json:"algorithm"`
	PublicKey []byte              `json:"public_key"` // 32 bytes, base64 in JSON
}

// GenerateAudit returns a new audit key for member, with a random id
// prefixed by the member's domain ("ci-audit-…").
func GenerateAudit(member corridor.MemberCode) (*AuditFile, error) {
	_, priv, err := signing.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate audit key: %w", err)
	}
	a := &AuditFile{Member: member, ID: corridor.NewID(member.Domain() + "-audit-"), Algorithm: directory.SigningAlgorithm, PrivateKey: priv.Seed()}
	if err := checkSigningKey("audit key", a.Member, a.ID, a.Algorithm, a.PrivateKey, ed25519.SeedSize); err != nil {
		return nil, fmt.Errorf("generate audit key: %w", err)
	}
	return a, nil
}

// LoadAudit reads the audit key file at path with Load's checks: mode
// 0600, owned by the user running the service.
func LoadAudit(path string) (*AuditFile, error) {
	if err := secretfile.Check(path); err != nil {
		return nil, fmt.Errorf("load audit key: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load audit key: %w", err)
	}
	var a AuditFile
	if err := decodeStrict(data, &a); err != nil {
		// Never echo the file: it holds a private key.
		return nil, fmt.Errorf("load audit key %s: not a valid audit key file", path)
	}
	if err := checkSigningKey("audit key", a.Member, a.ID, a.Algorithm, a.PrivateKey, ed25519.SeedSize); err != nil {
		return nil, fmt.Errorf("load audit key %s: %w", path, err)
	}
	return &a, nil
}

// Save writes a to path atomically with mode 0600.
func (a *AuditFile) Save(path string) error {
	if err := checkSigningKey("audit key", a.Member, a.ID, a.Algorithm, a.PrivateKey, ed25519.SeedSize); err != nil {
		return fmt.Errorf("save audit key: %w", err)
	}
	return saveJSON(path, a, Mode)
}

// SigningKey returns the key to sign checkpoints with.
func (a *AuditFile) SigningKey() ed25519.PrivateKey { return ed25519.NewKeyFromSeed(a.PrivateKey) }

// Public returns the key's public half.
func (a *AuditFile) Public() *AuditPublicFile {
	return &AuditPublicFile{Member: a.Member, ID: a.ID, Algorithm: a.Algorithm,
		PublicKey: a.SigningKey().Public().(ed25519.PublicKey)}
}

// Save writes p to path (mode 0644: it is public).
func (p *AuditPublicFile) Save(path string) error {
	if err := checkSigningKey("audit public key", p.Member, p.ID, p.Algorithm, p.PublicKey, ed25519.PublicKeySize); err != nil {
		return fmt.Errorf("save audit public key: %w", err)
	}
	return saveJSON(path, p, 0o644)
}

// LoadAuditPublic reads the audit public key file at path.
func LoadAuditPublic(path string) (*AuditPublicFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load audit public key: %w", err)
	}
	var p AuditPublicFile
	if err := decodeStrict(data, &p); err != nil {
		return nil, fmt.Errorf("load audit public key %s: not a valid audit public key file: %w", path, err)
	}
	if err := checkSigningKey("audit public key", p.Member, p.ID, p.Algorithm, p.PublicKey, ed25519.PublicKeySize); err != nil {
		return nil, fmt.Errorf("load audit public key %s: %w", path, err)
	}
	return &p, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func saveJSON(path string, v any, mode os.FileMode) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := atomicfile.Write(path, append(b, '\n'), mode); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

// checkSigningKey checks the fields of a single-key file.
func checkSigningKey(what string, member corridor.MemberCode, id, algorithm string, key []byte, size int) error {
	switch {
	case !validation.IsIdent(string(member)):
		return fmt.Errorf("%s: member %q is not a member code", what, member)
	case !validation.IsIdent(id):
		return fmt.Errorf("%s: id %q is not an identifier", what, id)
	case algorithm != directory.SigningAlgorithm:
		return fmt.Errorf("%s %s: algorithm must be %s", what, id, directory.SigningAlgorithm)
	case len(key) != size:
		return fmt.Errorf("%s %s: key must be %d bytes", what, id, size)
	}
	return nil
}
