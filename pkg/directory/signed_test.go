package directory_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/signing"
)

// governor is a governance officer: a key of one member.
type governor struct {
	id     string
	member corridor.MemberCode
	priv   ed25519.PrivateKey
}

func (g governor) key() directory.GovernanceKey {
	return directory.GovernanceKey{ID: g.id, Member: g.member, Algorithm: directory.SigningAlgorithm, PublicKey: g.priv.Public().(ed25519.PublicKey)}
}

func newGovernor(t *testing.T, id string, member corridor.MemberCode) governor {
	t.Helper()
	_, priv, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return governor{id: id, member: member, priv: priv}
}

// governed is the test corridor with its governance: one key for each of
// CI, BF and the coordinator, a second one for CI, and a threshold of two
// members.
type governed struct {
	ci, ci2, bf, coord governor
}

func newGoverned(t *testing.T) governed {
	t.Helper()
	return governed{
		ci:    newGovernor(t, "ci-gov-1", "CI"),
		ci2:   newGovernor(t, "ci-gov-2", "CI"),
		bf:    newGovernor(t, "bf-gov-1", "BF"),
		coord: newGovernor(t, "coord-gov-1", corridor.Coordinator),
	}
}

func (g governed) governance() *directory.Governance {
	return &directory.Governance{Threshold: 2, Keys: []directory.GovernanceKey{g.ci.key(), g.ci2.key(), g.bf.key(), g.coord.key()}}
}

// directory returns version v of the test corridor, governed by g.
func (g governed) directory(t *testing.T, v int64) *directory.Directory {
	t.Helper()
	d := testDirectory(t)
	d.Version = v
	d.Governance = g.governance()
	return d
}

// sign proposes d and signs it by each governor.
func sign(t *testing.T, d *directory.Directory, inForce *directory.Governance, by ...governor) *directory.SignedDirectory {
	t.Helper()
	s, err := directory.Propose(d)
	if err != nil {
		t.Fatalf("Propose: %v", err)
	}
	for _, g := range by {
		if err := s.Sign(g.id, g.priv, inForce); err != nil {
			t.Fatalf("Sign by %s: %v", g.id, err)
		}
	}
	return s
}

func TestVerify(t *testing.T) {
	t.Parallel()
	g := newGoverned(t)
	v3 := sign(t, g.directory(t, 3), nil, g.ci, g.bf)
	inForce := directory.Trust{Corridor: "ci-bf", Governance: *g.governance(), Version: 3, Document: v3.Document}
	anchor := directory.Trust{Corridor: "ci-bf", Governance: *g.governance()}

	// A new governance: BF's key replaced, threshold still two.
	bfNew := newGovernor(t, "bf-gov-2", "BF")
	rotated := g.directory(t, 4)
	rotated.Governance = &directory.Governance{Threshold: 2, Keys: []directory.GovernanceKey{g.ci.key(), bfNew.key(), g.coord.key()}}

	tampered := sign(t, g.directory(t, 4), nil, g.ci, g.bf)
	tampered.Document = bytes.Replace(tampered.Document, []byte("Burkina Faso"), []byte("Burkina-Faso"), 1)

	otherContent := g.directory(t, 3)
	otherContent.Members[1].Name = "Burkina"

	otherCorridor := g.directory(t, 4)
	otherCorridor.Corridor = "ci-ml"

	tests := []struct {
		name    string
		signed  *directory.SignedDirectory
		trust   directory.Trust
		wantErr error
		signers []corridor.MemberCode
	}{
		{name: "first version from the anchor", signed: v3, trust: anchor, signers: []corridor.MemberCode{"CI", "BF"}},
		{name: "newer version", signed: sign(t, g.directory(t, 4), nil, g.bf, g.coord), trust: inForce, signers: []corridor.MemberCode{"BF", "COORD"}},
		{name: "all three sign", signed: sign(t, g.directory(t, 4), nil, g.ci, g.bf, g.coord), trust: inForce, signers: []corridor.MemberCode{"CI", "BF", "COORD"}},
		{name: "same bytes again", signed: v3, trust: inForce, signers: []corridor.MemberCode{"CI", "BF"}},
		{name: "governance rotated, signed by old and new", signed: sign(t, rotated, g.governance(), g.ci, g.bf, bfNew), trust: inForce, signers: []corridor.MemberCode{"CI", "BF"}},
		{name: "same version, other content", signed: sign(t, otherContent, nil, g.ci, g.bf), trust: inForce, wantErr: directory.ErrVersionReused},
		{name: "older version", signed: sign(t, g.directory(t, 2), nil, g.ci, g.bf), trust: inForce, wantErr: directory.ErrRollback},
		{name: "other corridor", signed: sign(t, otherCorridor, nil, g.ci, g.bf), trust: inForce, wantErr: directory.ErrOtherCorridor},
		{name: "one member", signed: sign(t, g.directory(t, 4), nil, g.ci), trust: inForce, wantErr: directory.ErrBelowThreshold},
		{name: "two keys of one member", signed: sign(t, g.directory(t, 4), nil, g.ci, g.ci2), trust: inForce, wantErr: directory.ErrBelowThreshold},
		{name: "unsigned", signed: sign(t, g.directory(t, 4), nil), trust: inForce, wantErr: directory.ErrBelowThreshold},
		{name: "document altered after signing", signed: tampered, trust: inForce, wantErr: directory.ErrBadSignature},
		{name: "new governance only", signed: sign(t, rotated, nil, g.ci, bfNew), trust: inForce, wantErr: directory.ErrBelowThreshold},
		{name: "old governance only", signed: sign(t, rotated, g.governance(), g.bf, g.coord), trust: inForce, wantErr: directory.ErrBelowThreshold},
		{name: "expired", signed: func() *directory.SignedDirectory {
			d := g.directory(t, 4)
			d.ExpiresAt = now
			return sign(t, d, nil, g.ci, g.bf)
		}(), trust: inForce, wantErr: directory.ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := directory.Verify(tc.signed, tc.trust, now)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Verify = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !equalMembers(got.Signers, tc.signers) {
				t.Errorf("signers = %v, want %v", got.Signers, tc.signers)
			}
		})
	}
}

// A new governance may not give an existing key id to another key: the
// signature by that id is checked against both and fails one.
func TestVerifyKeyIDReused(t *testing.T) {
	t.Parallel()
	g := newGoverned(t)
	other := newGovernor(t, g.bf.id, "BF")
	d := g.directory(t, 4)
	d.Governance = &directory.Governance{Threshold: 2, Keys: []directory.GovernanceKey{g.ci.key(), other.key(), g.coord.key()}}
	s := sign(t, d, nil, g.ci, g.coord)
	sig, err := signing.Sign(g.bf.priv, signing.PurposeDirectory, s.Document)
	if err != nil {
		t.Fatal(err)
	}
	s.Signatures = append(s.Signatures, directory.Signature{KeyID: g.bf.id, Signature: sig})
	trust := directory.Trust{Corridor: "ci-bf", Governance: *g.governance(), Version: 3}
	if _, err := directory.Verify(s, trust, now); !errors.Is(err, directory.ErrBadSignature) {
		t.Errorf("Verify = %v, want ErrBadSignature", err)
	}
}

func equalMembers(a, b []corridor.MemberCode) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestVerifyUnknownSigner(t *testing.T) {
	t.Parallel()
	g := newGoverned(t)
	s := sign(t, g.directory(t, 4), nil, g.ci, g.bf)
	stranger := newGovernor(t, "ml-gov-1", "ML")
	sig, err := signing.Sign(stranger.priv, signing.PurposeDirectory, s.Document)
	if err != nil {
		t.Fatal(err)
	}
	s.Signatures = append(s.Signatures, directory.Signature{KeyID: stranger.id, Signature: sig})
	trust := directory.Trust{Corridor: "ci-bf", Governance: *g.governance(), Version: 3}
	if _, err := directory.Verify(s, trust, now); !errors.Is(err, directory.ErrUnknownSigner) {
		t.Errorf("Verify = %v, want ErrUnknownSigner", err)
	}
	// Nor can Sign add it.
	if err := s.Sign(stranger.id, stranger.priv, nil); !errors.Is(err, directory.ErrUnknownSigner) {
		t.Errorf("Sign by a stranger = %v, want ErrUnknownSigner", err)
	}
	// A governance key id with another private key is refused.
	if err := s.Sign(g.ci.id, stranger.priv, nil); err == nil {
		t.Error("Sign with the wrong private key: no error")
	}
}

func TestParseSigned(t *testing.T) {
	t.Parallel()
	g := newGoverned(t)
	good, err := sign(t, g.directory(t, 4), nil, g.ci, g.bf).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := directory.ParseSigned(good); err != nil {
		t.Fatalf("ParseSigned of a good file: %v", err)
	}
	tests := []struct{ name, in string }{
		{"not JSON", `{"format": `},
		{"wrong format", `{"format": "corridor/v2 signed directory", "document": "e30=", "signatures": []}`},
		{"no document", `{"format": "corridor/v1 signed directory", "signatures": []}`},
		{"unknown field", `{"format": "corridor/v1 signed directory", "document": "e30=", "signatures": [], "note": "x"}`},
		{"short signature", `{"format": "corridor/v1 signed directory", "document": "e30=", "signatures": [{"key_id": "k", "signature": "AAAA"}]}`},
		{"trailing data", `{"format": "corridor/v1 signed directory", "document": "e30=", "signatures": []} {}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := directory.ParseSigned([]byte(tc.in)); !errors.Is(err, directory.ErrMalformed) {
				t.Errorf("ParseSigned = %v, want ErrMalformed", err)
			}
		})
	}
	t.Run("two signatures by one key", func(t *testing.T) {
		t.Parallel()
		s := sign(t, g.directory(t, 4), nil, g.ci)
		s.Signatures = append(s.Signatures, s.Signatures[0])
		b, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := directory.ParseSigned(b); !errors.Is(err, directory.ErrMalformed) {
			t.Errorf("ParseSigned = %v, want ErrMalformed", err)
		}
	})
}

func TestGovernanceValidation(t *testing.T) {
	t.Parallel()
	g := newGoverned(t)
	tests := []struct {
		name   string
		change func(*directory.Governance)
		field  string
	}{
		{"threshold above members", func(gv *directory.Governance) { gv.Threshold = 4 }, "governance.threshold"},
		{"threshold zero", func(gv *directory.Governance) { gv.Threshold = 0 }, "governance.threshold"},
		{"not a member", func(gv *directory.Governance) { gv.Keys[0].Member = "ML" }, "governance.keys[0].member"},
		{"short key", func(gv *directory.Governance) { gv.Keys[1].PublicKey = gv.Keys[1].PublicKey[:31] }, "governance.keys[1].public_key"},
		{"duplicate id", func(gv *directory.Governance) { gv.Keys[1].ID = "ci-sig-2026" }, "governance.keys[1].id"},
		{"wrong algorithm", func(gv *directory.Governance) { gv.Keys[2].Algorithm = "RSA" }, "governance.keys[2].algorithm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := g.directory(t, 4)
			tc.change(d.Governance)
			err := d.Validate()
			var ce *corridor.Error
			if !errors.As(err, &ce) {
				t.Fatalf("Validate = %v, want a *corridor.Error", err)
			}
			for _, f := range ce.Fields {
				if f.Field == tc.field {
					return
				}
			}
			t.Errorf("Validate = %v, want an error on %s", ce.Fields, tc.field)
		})
	}
	t.Run("propose needs governance", func(t *testing.T) {
		t.Parallel()
		if _, err := directory.Propose(testDirectory(t)); err == nil {
			t.Error("Propose without governance: no error")
		}
	})
}
