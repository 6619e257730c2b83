package directory_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/signing"
)

// go test ./directory -run TestDirectoryVectors -update rewrites the
// vectors with fresh keys; only needed when the protocol changes.
var update = flag.Bool("update", false, "rewrite docs/protocol/vectors/directory.json")

var vectorsPath = filepath.Join("..", "..", "docs", "protocol", "vectors", "directory.json")

// vectorErrors names the verification errors in the vectors.
var vectorErrors = map[string]error{
	"malformed":       directory.ErrMalformed,
	"invalid":         directory.ErrInvalid,
	"other_corridor":  directory.ErrOtherCorridor,
	"rollback":        directory.ErrRollback,
	"version_reused":  directory.ErrVersionReused,
	"unknown_signer":  directory.ErrUnknownSigner,
	"bad_signature":   directory.ErrBadSignature,
	"below_threshold": directory.ErrBelowThreshold,
	"expired":         directory.ErrExpired,
}

type vectorKey struct {
	ID     string              `json:"id"`
	Member corridor.MemberCode `json:"member"`
	// Seed is the Ed25519 private key's seed: signatures are deterministic,
	// so an implementation can reproduce them byte for byte.
	Seed      []byte `json:"seed"`
	PublicKey []byte `json:"public_key"`
}

type vectorCase struct {
	Name string `json:"name"`
	// InForce names the file of the version in force, or "anchor".
	InForce string `json:"in_force"`
	File    string `json:"file"`
	// Result is "ok", "unchanged" or an error name.
	Result  string                `json:"result"`
	Signers []corridor.MemberCode `json:"signers,omitempty"`
}

type vectorFile struct {
	Description string          `json:"description"`
	Purpose     string          `json:"purpose"`
	Now         time.Time       `json:"now"`
	Keys        []vectorKey     `json:"governance_keys"`
	Anchor      json.RawMessage `json:"anchor"`
	// Files are signed directory files, each the file's exact text.
	Files map[string]string `json:"files"`
	// SignedMessageSHA256 is, for files["v3"], the SHA-256 (hex) of
	// LP("corridor/v1 directory") || document: what each key signs.
	SignedMessageSHA256 string       `json:"signed_message_sha256"`
	Cases               []vectorCase `json:"cases"`
}

func TestDirectoryVectors(t *testing.T) {
	if *update {
		writeVectors(t)
	}
	data, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("read vectors (run with -update to create them): %v", err)
	}
	var vf vectorFile
	if err := json.Unmarshal(data, &vf); err != nil {
		t.Fatal(err)
	}
	anchorPath := filepath.Join(t.TempDir(), "anchor.json")
	if err := os.WriteFile(anchorPath, vf.Anchor, 0o644); err != nil {
		t.Fatal(err)
	}
	anchor, err := directory.LoadAnchor(anchorPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range vf.Keys {
		if !ed25519.NewKeyFromSeed(k.Seed).Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(k.PublicKey)) {
			t.Errorf("key %s: the seed does not give the public key", k.ID)
		}
		if got, ok := anchor.Governance.Key(k.ID); ok && !bytes.Equal(got.PublicKey, k.PublicKey) {
			t.Errorf("key %s: public key differs from the anchor's", k.ID)
		}
	}
	v3, err := directory.ParseSigned([]byte(vf.Files["v3"]))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(signing.Message(signing.PurposeDirectory, v3.Document))
	if hex.EncodeToString(sum[:]) != vf.SignedMessageSHA256 {
		t.Errorf("signed message SHA-256 = %x, want %s", sum, vf.SignedMessageSHA256)
	}
	// Signatures are deterministic: each key's signature of v3 is
	// reproduced from its seed.
	for _, sig := range v3.Signatures {
		i := slices.IndexFunc(vf.Keys, func(k vectorKey) bool { return k.ID == sig.KeyID })
		if i < 0 {
			t.Fatalf("v3 signed by unknown key %s", sig.KeyID)
		}
		again, err := signing.Sign(ed25519.NewKeyFromSeed(vf.Keys[i].Seed), signing.PurposeDirectory, v3.Document)
		if err != nil || !bytes.Equal(again, sig.Signature) {
			t.Errorf("signature by %s not reproduced", sig.KeyID)
		}
	}
	if len(vf.Cases) < 10 {
		t.Fatalf("only %d cases", len(vf.Cases))
	}
	for _, tc := range vf.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			trust := anchor
			if tc.InForce != "anchor" {
				s, err := directory.ParseSigned([]byte(vf.Files[tc.InForce]))
				if err != nil {
					t.Fatal(err)
				}
				v, err := directory.Verify(s, anchor, vf.Now)
				if err != nil {
					v, err = directory.VerifySelf(s)
				}
				if err != nil {
					t.Fatalf("version in force %s: %v", tc.InForce, err)
				}
				trust = directory.TrustIn(v.Directory, s)
			}
			var v *directory.Verified
			s, err := directory.ParseSigned([]byte(vf.Files[tc.File]))
			if err == nil {
				v, err = directory.Verify(s, trust, vf.Now)
			}
			switch tc.Result {
			case "ok", "unchanged":
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if v.Unchanged != (tc.Result == "unchanged") || !slices.Equal(v.Signers, tc.Signers) {
					t.Errorf("unchanged %v, signers %v; want %s, %v", v.Unchanged, v.Signers, tc.Result, tc.Signers)
				}
			default:
				want, ok := vectorErrors[tc.Result]
				if !ok {
					t.Fatalf("unknown result %q", tc.Result)
				}
				if !errors.Is(err, want) {
					t.Errorf("Verify = %v, want %s", err, tc.Result)
				}
			}
		})
	}
}

// writeVectors generates the vectors: a corridor whose governance is CI,
// BF and the coordinator (threshold two), versions 3 to 5, and the cases.
func writeVectors(t *testing.T) {
	t.Helper()
	g := newGoverned(t)
	vnow := now
	files := map[string]*directory.SignedDirectory{}
	add := func(name string, s *directory.SignedDirectory) { files[name] = s }

	add("v3", sign(t, g.directory(t, 3), nil, g.ci, g.bf))
	add("v4", sign(t, g.directory(t, 4), nil, g.bf, g.coord))
	other := g.directory(t, 3)
	other.Members[1].Name = "Burkina"
	add("v3_other_content", sign(t, other, nil, g.ci, g.bf))
	add("v4_one_member", sign(t, g.directory(t, 4), nil, g.ci))
	add("v4_two_keys_one_member", sign(t, g.directory(t, 4), nil, g.ci, g.ci2))
	tampered := sign(t, g.directory(t, 4), nil, g.ci, g.bf)
	tampered.Document = bytes.Replace(tampered.Document, []byte("Burkina Faso"), []byte("Burkina-Faso"), 1)
	add("v4_altered_after_signing", tampered)
	stranger := newGovernor(t, "ml-gov-1", "ML")
	unknown := sign(t, g.directory(t, 4), nil, g.ci, g.bf)
	sig, err := signing.Sign(stranger.priv, signing.PurposeDirectory, unknown.Document)
	if err != nil {
		t.Fatal(err)
	}
	unknown.Signatures = append(unknown.Signatures, directory.Signature{KeyID: stranger.id, Signature: sig})
	add("v4_unknown_signer", unknown)
	oc := g.directory(t, 4)
	oc.Corridor = "ci-ml"
	add("v4_other_corridor", sign(t, oc, nil, g.ci, g.bf))
	exp := g.directory(t, 4)
	exp.ExpiresAt = vnow.Add(-time.Hour)
	add("v4_expired", sign(t, exp, nil, g.ci, g.bf))
	noGov := g.directory(t, 4)
	noGov.Governance = nil
	doc, err := json.MarshalIndent(noGov, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	add("v4_without_governance", &directory.SignedDirectory{Format: directory.SignedFormat, Document: doc, Signatures: []directory.Signature{}})
	// Version 5 replaces BF's governance key: signed by the old set and
	// the new.
	bfNew := newGovernor(t, "bf-gov-2", "BF")
	rotated := g.directory(t, 5)
	rotated.Governance = &directory.Governance{Threshold: 2, Keys: []directory.GovernanceKey{g.ci.key(), bfNew.key(), g.coord.key()}}
	add("v5_governance_rotated", sign(t, rotated, g.governance(), g.ci, g.bf, bfNew))
	add("v5_new_governance_only", sign(t, rotated, nil, g.ci, bfNew))

	text := map[string]string{}
	for name, s := range files {
		b, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		text[name] = string(b)
	}
	text["wrong_format"] = `{"format": "corridor/v2 signed directory", "document": "e30=", "signatures": []}` + "\n"

	var keys []vectorKey
	for _, k := range []governor{g.ci, g.ci2, g.bf, g.coord, bfNew, stranger} {
		keys = append(keys, vectorKey{ID: k.id, Member: k.member, Seed: k.priv.Seed(), PublicKey: k.key().PublicKey})
	}
	anchorPath := filepath.Join(t.TempDir(), "anchor.json")
	a, err := directory.AnchorOf(g.directory(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	if err := directory.SaveAnchor(anchorPath, a); err != nil {
		t.Fatal(err)
	}
	anchorJSON, err := os.ReadFile(anchorPath)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(signing.Message(signing.PurposeDirectory, files["v3"].Document))
	ci, bf, coord := corridor.MemberCode("CI"), corridor.MemberCode("BF"), corridor.Coordinator
	vf := vectorFile{
		Description: "Corridor signed directory test vectors (docs/protocol/README.md §7). Verify files[file] against the version in force " +
			"(files[in_force], or the anchor) at time now; result is ok, unchanged or the first failing check. Binary values are base64 " +
			"(RFC 4648, padded) except signed_message_sha256 (hex). All data is fictional; the governance key seeds are published for testing only.",
		Purpose:             string(signing.PurposeDirectory),
		Now:                 vnow,
		Keys:                keys,
		Anchor:              json.RawMessage(bytes.TrimSpace(anchorJSON)),
		Files:               text,
		SignedMessageSHA256: hex.EncodeToString(sum[:]),
		Cases: []vectorCase{
			{Name: "first version, against the anchor", InForce: "anchor", File: "v3", Result: "ok", Signers: []corridor.MemberCode{ci, bf}},
			{Name: "next version", InForce: "v3", File: "v4", Result: "ok", Signers: []corridor.MemberCode{bf, coord}},
			{Name: "the version in force again, same bytes", InForce: "v3", File: "v3", Result: "unchanged", Signers: []corridor.MemberCode{ci, bf}},
			{Name: "governance rotated, signed by the old and the new", InForce: "v4", File: "v5_governance_rotated", Result: "ok", Signers: []corridor.MemberCode{ci, bf}},
			{Name: "wrong format", InForce: "v3", File: "wrong_format", Result: "malformed"},
			{Name: "document without governance", InForce: "v3", File: "v4_without_governance", Result: "invalid"},
			{Name: "other corridor", InForce: "v3", File: "v4_other_corridor", Result: "other_corridor"},
			{Name: "older version", InForce: "v4", File: "v3", Result: "rollback"},
			{Name: "same version, other content", InForce: "v3", File: "v3_other_content", Result: "version_reused"},
			{Name: "signature by a key outside the governance", InForce: "v3", File: "v4_unknown_signer", Result: "unknown_signer"},
			{Name: "document altered after signing", InForce: "v3", File: "v4_altered_after_signing", Result: "bad_signature"},
			{Name: "one member signed", InForce: "v3", File: "v4_one_member", Result: "below_threshold"},
			{Name: "two keys of one member signed", InForce: "v3", File: "v4_two_keys_one_member", Result: "below_threshold"},
			{Name: "new governance signed, old did not approve", InForce: "v4", File: "v5_new_governance_only", Result: "below_threshold"},
			{Name: "expired", InForce: "v3", File: "v4_expired", Result: "expired"},
		},
	}
	out, err := json.MarshalIndent(vf, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorsPath, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
