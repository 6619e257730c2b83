package directory

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory/internal/atomicfile"
	"github.com/corridor-org/corridor/pkg/signing"
)

// SignedFormat names the signed directory file format, version 1.
const SignedFormat = "corridor/v1 signed directory"

// MaxSignedSize bounds a signed directory file: a corridor of a few dozen
// members with their keys and agencies is far smaller, and a reader never
// parses more than this.
const MaxSignedSize = 4 << 20

// Errors of signed directory verification, in the order the checks run
// (docs/protocol/README.md §7.2). Each names a case of the test vectors.
var (
	ErrMalformed      = errors.New("malformed signed directory")
	ErrInvalid        = errors.New("invalid directory document")
	ErrOtherCorridor  = errors.New("directory of another corridor")
	ErrRollback       = errors.New("directory version older than the one in force")
	ErrVersionReused  = errors.New("directory version already in force with other content")
	ErrUnknownSigner  = errors.New("signature by a key that is not a governance key")
	ErrBadSignature   = errors.New("bad directory signature")
	ErrBelowThreshold = errors.New("too few members co-signed the directory")
)

// SignedDirectory is a directory version with its governance signatures.
// Document holds the exact bytes signed (base64 in the file), so that no
// verifier ever re-encodes the directory: what was signed is what is read.
type SignedDirectory struct {
	Format     string      `json:"format"`
	Document   []byte      `json:"document"`
	Signatures []Signature `json:"signatures"`
}

// Signature is one governance key's signature of a document:
// signing.Sign(key, signing.PurposeDirectory, document).
type Signature struct {
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
}

// Propose encodes d as a signed directory without signatures yet. d must
// be valid and carry its governance.
func Propose(d *Directory) (*SignedDirectory, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("propose corridor directory: %w", err)
	}
	if d.Governance == nil {
		return nil, fmt.Errorf("propose corridor directory: %w", corridor.Invalid("the corridor directory is not valid",
			corridor.FieldError{Field: "governance", Message: "is required to sign the directory"}))
	}
	doc, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("propose corridor directory: %w", err)
	}
	return &SignedDirectory{Format: SignedFormat, Document: append(doc, '\n'), Signatures: []Signature{}}, nil
}

// ParseSigned decodes a signed directory file. It checks the file's own
// structure only; Verify checks the document and its signatures.
func ParseSigned(data []byte) (*SignedDirectory, error) {
	if len(data) > MaxSignedSize {
		return nil, fmt.Errorf("parse signed directory: %d bytes, at most %d: %w", len(data), MaxSignedSize, ErrMalformed)
	}
	var s SignedDirectory
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("parse signed directory: %v: %w", err, ErrMalformed)
	}
	if dec.More() {
		return nil, fmt.Errorf("parse signed directory: data after the JSON object: %w", ErrMalformed)
	}
	if s.Format != SignedFormat {
		return nil, fmt.Errorf("parse signed directory: format %q, want %q: %w", s.Format, SignedFormat, ErrMalformed)
	}
	if len(s.Document) == 0 {
		return nil, fmt.Errorf("parse signed directory: no document: %w", ErrMalformed)
	}
	seen := map[string]bool{}
	for i, sig := range s.Signatures {
		if sig.KeyID == "" || len(sig.Signature) != ed25519.SignatureSize {
			return nil, fmt.Errorf("parse signed directory: signatures[%d] needs a key_id and a %d-byte signature: %w", i, ed25519.SignatureSize, ErrMalformed)
		}
		if seen[sig.KeyID] {
			return nil, fmt.Errorf("parse signed directory: two signatures by key %q: %w", sig.KeyID, ErrMalformed)
		}
		seen[sig.KeyID] = true
	}
	return &s, nil
}

// LoadSigned reads and parses the signed directory file at path.
func LoadSigned(path string) (*SignedDirectory, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, fmt.Errorf("load signed directory: %w", err)
	}
	s, err := ParseSigned(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return s, nil
}

// Marshal returns the file's bytes.
func (s *SignedDirectory) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode signed directory: %w", err)
	}
	return append(b, '\n'), nil
}

// Save writes the file atomically to path (mode 0644: it is public).
func (s *SignedDirectory) Save(path string) error {
	b, err := s.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, b, 0o644); err != nil {
		return fmt.Errorf("save signed directory: %w", err)
	}
	return nil
}

// Directory decodes and validates the document, without looking at the
// clock or the signatures: what a proposal says, not whether to trust it.
func (s *SignedDirectory) Directory() (*Directory, error) {
	var d Directory
	if err := json.Unmarshal(s.Document, &d); err != nil {
		return nil, fmt.Errorf("read directory document: %w", errors.Join(ErrInvalid,
			corridor.Invalid("the corridor directory is not valid JSON: "+err.Error())))
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("read directory document: %w", errors.Join(ErrInvalid, err))
	}
	if d.Governance == nil {
		return nil, fmt.Errorf("read directory document: %w", errors.Join(ErrInvalid, corridor.Invalid("the corridor directory is not valid",
			corridor.FieldError{Field: "governance", Message: "is required in a signed directory"})))
	}
	return &d, nil
}

// Sign adds the signature of governance key keyID, replacing an earlier one
// by the same key. The key must be one of the document's governance keys
// (the version in force normally lists the same ones; a version that
// changes the governance is signed by both sets, see Verify) and priv must
// be its private half.
func (s *SignedDirectory) Sign(keyID string, priv ed25519.PrivateKey, inForce *Governance) error {
	d, err := s.Directory()
	if err != nil {
		return fmt.Errorf("sign directory: %w", err)
	}
	k, ok := d.Governance.Key(keyID)
	if !ok && inForce != nil {
		k, ok = inForce.Key(keyID)
	}
	if !ok {
		return fmt.Errorf("sign directory: key %q is not a governance key of corridor %s: %w", keyID, d.Corridor, ErrUnknownSigner)
	}
	if len(priv) != ed25519.PrivateKeySize || !ed25519.PublicKey(k.PublicKey).Equal(priv.Public()) {
		return fmt.Errorf("sign directory: the private key is not the one of governance key %q", keyID)
	}
	sig, err := signing.Sign(priv, signing.PurposeDirectory, s.Document)
	if err != nil {
		return fmt.Errorf("sign directory: %w", err)
	}
	s.Signatures = slices.DeleteFunc(s.Signatures, func(x Signature) bool { return x.KeyID == keyID })
	s.Signatures = append(s.Signatures, Signature{KeyID: keyID, Signature: sig})
	return nil
}

// Trust is what a new directory version is verified against: the version
// in force, or, before any, the anchor configured locally.
type Trust struct {
	// Corridor is the corridor's id; a directory of another is refused.
	Corridor string
	// Governance is the governance in force: a threshold of its members
	// must sign the next version.
	Governance Governance
	// Version and Document are those of the version in force; zero and nil
	// for an anchor, which accepts any version.
	Version  int64
	Document []byte
}

// TrustIn returns the trust that the verified version s establishes: its
// corridor, governance, version and bytes.
func TrustIn(d *Directory, s *SignedDirectory) Trust {
	return Trust{Corridor: d.Corridor, Governance: *d.Governance, Version: d.Version, Document: s.Document}
}

// Verified is the outcome of a successful verification.
type Verified struct {
	Directory *Directory
	// Signers are the members whose valid signatures counted.
	Signers []corridor.MemberCode
	// Unchanged is true when the file is the version in force again, byte
	// for byte.
	Unchanged bool
}

// Verify checks that s may replace the version in force described by t at
// time now. In order (the first failure decides the error):
//
//  1. the document is a valid directory with governance (ErrInvalid);
//  2. it is of t's corridor (ErrOtherCorridor);
//  3. its version is newer than t's (ErrRollback if lower; the same
//     version is accepted only as the identical bytes, ErrVersionReused
//     otherwise);
//  4. every signature is by a governance key of t or of the document
//     (ErrUnknownSigner) and verifies (ErrBadSignature): a bad signature is
//     never ignored, since it means someone tampered with the file;
//  5. valid signatures come from at least t's threshold of t's members, and
//     at least the document's own threshold of its own members
//     (ErrBelowThreshold): a change of governance is approved by the old
//     set and accepted by the new;
//  6. the document has not expired at now (ErrExpired).
//
// ParseSigned has already refused a malformed file (ErrMalformed).
func Verify(s *SignedDirectory, t Trust, now time.Time) (*Verified, error) {
	v, err := verifySignatures(s, t)
	if err != nil {
		return nil, err
	}
	if err := v.Directory.CheckExpiry(now); err != nil {
		return nil, fmt.Errorf("verify directory: %w", err)
	}
	return v, nil
}

// VerifySelf checks a version accepted earlier (a cache, the file an
// operator published) for corruption: a valid document signed by a
// threshold of its own governance. Signatures by keys of a governance it
// replaced are ignored, and so is the clock: an expired version is still
// the trust its successor is verified against.
func VerifySelf(s *SignedDirectory) (*Verified, error) {
	d, err := s.Directory()
	if err != nil {
		return nil, fmt.Errorf("verify directory: %w", err)
	}
	own := *s
	own.Signatures = slices.DeleteFunc(slices.Clone(s.Signatures), func(sig Signature) bool {
		_, ok := d.Governance.Key(sig.KeyID)
		return !ok
	})
	return verifySignatures(&own, Trust{Corridor: d.Corridor, Governance: *d.Governance})
}

// verifySignatures runs Verify's checks 1 to 5: everything but the clock.
func verifySignatures(s *SignedDirectory, t Trust) (*Verified, error) {
	d, err := s.Directory()
	if err != nil {
		return nil, fmt.Errorf("verify directory: %w", err)
	}
	if d.Corridor != t.Corridor {
		return nil, fmt.Errorf("verify directory: it is of corridor %q, not %q: %w", d.Corridor, t.Corridor, ErrOtherCorridor)
	}
	unchanged := false
	switch {
	case d.Version < t.Version:
		return nil, fmt.Errorf("verify directory: version %d is older than version %d in force: %w", d.Version, t.Version, ErrRollback)
	case d.Version == t.Version && !bytes.Equal(s.Document, t.Document):
		return nil, fmt.Errorf("verify directory: version %d is in force with other content; a change needs a new version: %w", d.Version, ErrVersionReused)
	case d.Version == t.Version:
		unchanged = true
	}
	// A key id in both governances must be the same key: the signature is
	// checked against each, so a reused id with another key fails.
	inForce, next := map[corridor.MemberCode]bool{}, map[corridor.MemberCode]bool{}
	for _, sig := range s.Signatures {
		old, inOld := t.Governance.Key(sig.KeyID)
		neu, inNew := d.Governance.Key(sig.KeyID)
		if !inOld && !inNew {
			return nil, fmt.Errorf("verify directory: signature by key %q: %w", sig.KeyID, ErrUnknownSigner)
		}
		for _, c := range []struct {
			listed  bool
			key     GovernanceKey
			members map[corridor.MemberCode]bool
		}{{inOld, old, inForce}, {inNew, neu, next}} {
			if !c.listed {
				continue
			}
			if err := signing.Verify(c.key.PublicKey, signing.PurposeDirectory, s.Document, sig.Signature); err != nil {
				return nil, fmt.Errorf("verify directory: signature by key %q of %s: %w", sig.KeyID, c.key.Member, ErrBadSignature)
			}
			c.members[c.key.Member] = true
		}
	}
	if err := reachThreshold("in force", &t.Governance, inForce); err != nil {
		return nil, fmt.Errorf("verify directory version %d: %w", d.Version, err)
	}
	if err := reachThreshold("of the new version", d.Governance, next); err != nil {
		return nil, fmt.Errorf("verify directory version %d: %w", d.Version, err)
	}
	var signers []corridor.MemberCode
	for _, m := range append(t.Governance.Members(), d.Governance.Members()...) {
		if (inForce[m] || next[m]) && !slices.Contains(signers, m) {
			signers = append(signers, m)
		}
	}
	return &Verified{Directory: d, Signers: signers, Unchanged: unchanged}, nil
}

// reachThreshold checks that at least g's threshold of its members signed
// with keys of g (signed), naming who did.
func reachThreshold(which string, g *Governance, signed map[corridor.MemberCode]bool) error {
	members := signed
	if len(members) >= g.Threshold {
		return nil
	}
	var names []string
	for m := range members {
		names = append(names, string(m))
	}
	slices.Sort(names)
	if len(names) == 0 {
		names = []string{"none"}
	}
	return fmt.Errorf("%d of the %d members required by the governance %s signed (%s): %w",
		len(members), g.Threshold, which, strings.Join(names, ", "), ErrBelowThreshold)
}
