package keyfile

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/internal/atomicfile"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/secretfile"
	"github.com/corridor-org/corridor/pkg/validation"
)

// Mode is the file mode Save writes. Load refuses a file that anyone but
// its owner may read or write (any permission bit outside 0600), and a file
// that the user running the service does not own: private keys are for the
// relay alone.
const Mode = secretfile.Mode

// ErrExposed is wrapped by Load's error for a key file whose mode or owner
// lets someone other than the service read or replace the keys
// (secretfile.Check).
var ErrExposed = secretfile.ErrExposed

// File is a member's private keys. Private keys are base64 in JSON: the
// 32-byte RFC 8032 seed for Ed25519, the 32-byte RFC 9180
// SerializePrivateKey output for MLKEM768-X25519.
type File struct {
	Member         corridor.MemberCode `json:"member" validate:"required,iso3166_1_alpha2|eq=COORD"`
	SigningKeys    []PrivateKey        `json:"signing_keys" validate:"min=1,dive"`
	DecryptionKeys []PrivateKey        `json:"decryption_keys" validate:"dive"`
}

// PrivateKey is a private key with the id and validity period its public
// half has in the directory.
type PrivateKey struct {
	ID         string    `json:"id" validate:"required,ident"`
	Algorithm  string    `json:"algorithm" validate:"required"`
	PrivateKey []byte    `json:"private_key" validate:"required"`
	NotBefore  time.Time `json:"not_before" validate:"required"`
	NotAfter   time.Time `json:"not_after" validate:"required,gtfield=NotBefore"`
}

// String returns the key's redacted form: private keys never reach a log
// by accident. Save writes the bytes (JSON marshalling is not redacted).
func (k PrivateKey) String() string {
	return "PrivateKey{ID: " + strconv.Quote(k.ID) + ", Algorithm: " + strconv.Quote(k.Algorithm) + ", PrivateKey: " + envelope.Redacted + "}"
}

// GoString returns the key's redacted form, for %#v.
func (k PrivateKey) GoString() string { return k.String() }

// Format prints the redacted form whatever the verb.
func (k PrivateKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue logs the key's id, algorithm and validity only.
func (k PrivateKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.ID), slog.String("algorithm", k.Algorithm),
		slog.Time("not_before", k.NotBefore), slog.Time("not_after", k.NotAfter),
		slog.String("private_key", envelope.Redacted))
}

// LogValue logs the member and its key ids only.
func (f *File) LogValue() slog.Value {
	ids := func(keys []PrivateKey) []string {
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = k.ID
		}
		return out
	}
	return slog.GroupValue(slog.String("member", string(f.Member)),
		slog.Any("signing_keys", ids(f.SigningKeys)), slog.Any("decryption_keys", ids(f.DecryptionKeys)))
}

func (k PrivateKey) validAt(at time.Time) bool {
	return !at.Before(k.NotBefore) && at.Before(k.NotAfter)
}

// Generate returns a key file for member with one new signing key and one
// new decryption key, both valid from notBefore to notAfter, with random ids
// prefixed by the member's domain ("ci-sig-…", "ci-enc-…").
func Generate(member corridor.MemberCode, notBefore, notAfter time.Time) (*File, error) {
	sk, err := envelope.GenerateSigningKey(corridor.NewID(member.Domain() + "-sig-"))
	if err != nil {
		return nil, fmt.Errorf("generate key file: %w", err)
	}
	dk, _, err := envelope.GenerateDecryptionKey(corridor.NewID(member.Domain() + "-enc-"))
	if err != nil {
		return nil, fmt.Errorf("generate key file: %w", err)
	}
	f := &File{
		Member: member,
		SigningKeys: []PrivateKey{{
			ID: sk.ID, Algorithm: directory.SigningAlgorithm, PrivateKey: sk.Private.Seed(),
			NotBefore: notBefore, NotAfter: notAfter,
		}},
		DecryptionKeys: []PrivateKey{{
			ID: dk.ID, Algorithm: directory.EncryptionAlgorithm, PrivateKey: dk.Private,
			NotBefore: notBefore, NotAfter: notAfter,
		}},
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("generate key file: %w", err)
	}
	return f, nil
}

// Load reads and validates the key file at path.
func Load(path string) (*File, error) {
	if err := secretfile.Check(path); err != nil {
		return nil, fmt.Errorf("load key file: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load key file: %w", err)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		// The decoder's message can quote the file; never echo key bytes.
		return nil, fmt.Errorf("load key file %s: %w", path, corridor.Invalid("the key file is not valid JSON"))
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("load key file %s: %w", path, err)
	}
	return &f, nil
}

// Save validates f and writes it to path atomically with mode 0600.
func (f *File) Save(path string) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("save key file: %w", err)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("save key file: %w", err)
	}
	if err := atomicfile.Write(path, append(b, '\n'), Mode); err != nil {
		return fmt.Errorf("save key file: %w", err)
	}
	return nil
}

// Validate checks f: member code, unique key ids, algorithms, and private
// keys that parse. Errors name JSON paths and never include key bytes.
func (f *File) Validate() error {
	val, err := validation.Default()
	if err != nil {
		return fmt.Errorf("validate key file: %w", err)
	}
	fields, err := val.Fields(f)
	if err != nil {
		return fmt.Errorf("validate key file: %w", err)
	}
	add := func(field, msg string) { fields = append(fields, corridor.FieldError{Field: field, Message: msg}) }

	ids := map[string]bool{}
	check := func(kind string, keys []PrivateKey, algorithm string, parse func([]byte) error) {
		for i, k := range keys {
			p := fmt.Sprintf("%s[%d]", kind, i)
			if ids[k.ID] {
				add(p+".id", "duplicate key id")
			}
			ids[k.ID] = true
			if k.Algorithm != algorithm {
				add(p+".algorithm", "must be "+algorithm)
			}
			if err := parse(k.PrivateKey); err != nil {
				add(p+".private_key", "is not a valid "+algorithm+" private key")
			}
		}
	}
	check("signing_keys", f.SigningKeys, directory.SigningAlgorithm, func(b []byte) error {
		if len(b) != ed25519.SeedSize {
			return errors.New("wrong size")
		}
		return nil
	})
	check("decryption_keys", f.DecryptionKeys, directory.EncryptionAlgorithm, func(b []byte) error {
		_, err := envelope.DecryptionKey{Private: b}.EncryptionKey()
		return err
	})
	if len(fields) > 0 {
		return corridor.Invalid("the key file is not valid", fields...)
	}
	return nil
}

// SigningKey returns the key to sign with at time at: of the signing keys
// valid then, the one that became valid last.
func (f *File) SigningKey(at time.Time) (envelope.SigningKey, error) {
	var best *PrivateKey
	for i := range f.SigningKeys {
		if k := &f.SigningKeys[i]; k.validAt(at) && (best == nil || !k.NotBefore.Before(best.NotBefore)) {
			best = k
		}
	}
	if best == nil {
		return envelope.SigningKey{}, fmt.Errorf("key file of %s has no signing key valid at %s: %w", f.Member, at.UTC().Format(time.RFC3339), directory.ErrNoCurrentKey)
	}
	if len(best.PrivateKey) != ed25519.SeedSize {
		return envelope.SigningKey{}, fmt.Errorf("signing key %q is %d bytes, want %d", best.ID, len(best.PrivateKey), ed25519.SeedSize)
	}
	return envelope.SigningKey{ID: best.ID, Private: ed25519.NewKeyFromSeed(best.PrivateKey)}, nil
}

// EnvelopeKeys returns every decryption key, whatever its validity, for an
// envelope.Opener: an envelope sealed to a key just before it expired may
// arrive after.
func (f *File) EnvelopeKeys() []envelope.DecryptionKey {
	keys := make([]envelope.DecryptionKey, len(f.DecryptionKeys))
	for i, k := range f.DecryptionKeys {
		keys[i] = envelope.DecryptionKey{ID: k.ID, Private: k.PrivateKey}
	}
	return keys
}

// Opener returns an opener for envelopes addressed to f.Member, with the
// senders' keys from peers (the corridor directory).
func (f *File) Opener(peers envelope.PublicKeys) *envelope.Opener {
	return &envelope.Opener{Self: f.Member, Keys: f.EnvelopeKeys(), Peers: peers}
}

// PublicKeys returns the public halves of f's keys as directory entries, to
// publish in the member's directory entry.
func (f *File) PublicKeys() (encryption, signing []directory.Key, err error) {
	for _, k := range f.DecryptionKeys {
		pub, err := envelope.DecryptionKey{ID: k.ID, Private: k.PrivateKey}.EncryptionKey()
		if err != nil {
			return nil, nil, fmt.Errorf("public keys of %s: %w", f.Member, err)
		}
		encryption = append(encryption, directory.Key{
			ID: k.ID, Algorithm: k.Algorithm, PublicKey: pub.Public, NotBefore: k.NotBefore, NotAfter: k.NotAfter,
		})
	}
	for _, k := range f.SigningKeys {
		if len(k.PrivateKey) != ed25519.SeedSize {
			return nil, nil, fmt.Errorf("public keys of %s: signing key %q is %d bytes", f.Member, k.ID, len(k.PrivateKey))
		}
		signing = append(signing, directory.Key{
			ID: k.ID, Algorithm: k.Algorithm, PublicKey: ed25519.NewKeyFromSeed(k.PrivateKey).Public().(ed25519.PublicKey),
			NotBefore: k.NotBefore, NotAfter: k.NotAfter,
		})
	}
	return encryption, signing, nil
}

// CheckDirectory fails unless the relay holding f can work under d at time
// at: the key f signs with is published for f.Member with the same public
// key, and f holds the private half of the encryption key peers will seal to.
// Run it at startup so a key mix-up fails closed there rather than as
// rejected envelopes at the peers.
func (f *File) CheckDirectory(d *directory.Directory, at time.Time) error {
	sk, err := f.SigningKey(at)
	if err != nil {
		return fmt.Errorf("check keys against directory: %w", err)
	}
	pub, err := d.SigningKey(f.Member, sk.ID)
	if err != nil {
		return fmt.Errorf("check keys against directory: signing key not published: %w", err)
	}
	if !pub.Equal(sk.Public()) {
		return fmt.Errorf("check keys against directory: signing key %q of %s differs from the published one", sk.ID, f.Member)
	}
	cur, err := d.CurrentEncryptionKey(f.Member, at)
	if err != nil {
		return fmt.Errorf("check keys against directory: %w", err)
	}
	for _, k := range f.EnvelopeKeys() {
		if k.ID != cur.ID {
			continue
		}
		pub, err := k.EncryptionKey()
		if err != nil {
			return fmt.Errorf("check keys against directory: %w", err)
		}
		if !bytes.Equal(pub.Public, cur.PublicKey) {
			return fmt.Errorf("check keys against directory: encryption key %q of %s differs from the published one", cur.ID, f.Member)
		}
		return nil
	}
	return fmt.Errorf("check keys against directory: peers seal to encryption key %q of %s, which this key file does not hold", cur.ID, f.Member)
}
