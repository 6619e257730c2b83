package signing_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/signing"
)

// keyMap is a PublicKeys of fixed keys.
type keyMap map[string]ed25519.PublicKey

func (m keyMap) SigningKey(member corridor.MemberCode, keyID string) (ed25519.PublicKey, error) {
	if k, ok := m[string(member)+"/"+keyID]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("find key: %w", signing.ErrUnknownKey)
}

// failingKeys stands for a directory that cannot answer.
type failingKeys struct{ err error }

func (f failingKeys) SigningKey(corridor.MemberCode, string) (ed25519.PublicKey, error) {
	return nil, f.err
}

func mustKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := signing.GenerateKey()
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	return pub, priv
}

func TestMessage(t *testing.T) {
	t.Parallel()

	got := signing.Message("ab", []byte{0xff})
	want, _ := hex.DecodeString("000000026162ff")
	if !bytes.Equal(got, want) {
		t.Errorf("Message = %x, want %x", got, want)
	}
	// Without the length prefix these two would sign the same bytes.
	if bytes.Equal(signing.Message("corridor/v1 receipt", []byte("x")), signing.Message("corridor/v1 receip", []byte("tx"))) {
		t.Error("purpose boundary is ambiguous")
	}
}

func TestSignVerify(t *testing.T) {
	t.Parallel()

	pub, priv := mustKey(t)
	otherPub, _ := mustKey(t)
	msg := []byte("the signed bytes")
	sig, err := signing.Sign(priv, signing.PurposeReceipt, msg)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	flipped := bytes.Clone(sig)
	flipped[10] ^= 1

	tests := []struct {
		name    string
		pub     ed25519.PublicKey
		purpose signing.Purpose
		msg     []byte
		sig     []byte
		wantErr error
	}{
		{name: "valid", pub: pub, purpose: signing.PurposeReceipt, msg: msg, sig: sig},
		{name: "other purpose", pub: pub, purpose: signing.PurposeTracking, msg: msg, sig: sig, wantErr: signing.ErrBadSignature},
		{name: "altered message", pub: pub, purpose: signing.PurposeReceipt, msg: []byte("the signed byteS"), sig: sig, wantErr: signing.ErrBadSignature},
		{name: "altered signature", pub: pub, purpose: signing.PurposeReceipt, msg: msg, sig: flipped, wantErr: signing.ErrBadSignature},
		{name: "short signature", pub: pub, purpose: signing.PurposeReceipt, msg: msg, sig: sig[:63], wantErr: signing.ErrBadSignature},
		{name: "other key", pub: otherPub, purpose: signing.PurposeReceipt, msg: msg, sig: sig, wantErr: signing.ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := signing.Verify(tc.pub, tc.purpose, tc.msg, tc.sig)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestBadKeys(t *testing.T) {
	t.Parallel()

	_, priv := mustKey(t)
	if _, err := signing.Sign(priv[:32], signing.PurposeReceipt, nil); err == nil {
		t.Error("Sign with a short private key: no error")
	}
	if _, err := signing.Sign(priv, "", nil); err == nil {
		t.Error("Sign with an empty purpose: no error")
	}
	err := signing.Verify(make([]byte, 31), signing.PurposeReceipt, nil, make([]byte, 64))
	if err == nil || errors.Is(err, signing.ErrBadSignature) {
		t.Errorf("Verify with a short public key = %v, want a key error", err)
	}
}

func TestVerifyFrom(t *testing.T) {
	t.Parallel()

	pub, priv := mustKey(t)
	keys := keyMap{"CI/ci-sig-1": pub}
	msg := []byte("event")
	sig, err := signing.Sign(priv, signing.PurposeTracking, msg)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	unavailable := errors.New("directory unavailable")

	tests := []struct {
		name    string
		keys    signing.PublicKeys
		member  corridor.MemberCode
		keyID   string
		wantErr error
	}{
		{name: "valid", keys: keys, member: "CI", keyID: "ci-sig-1"},
		{name: "unknown key id", keys: keys, member: "CI", keyID: "ci-sig-2", wantErr: signing.ErrUnknownKey},
		{name: "other member", keys: keys, member: "BF", keyID: "ci-sig-1", wantErr: signing.ErrUnknownKey},
		{name: "lookup fails", keys: failingKeys{unavailable}, member: "CI", keyID: "ci-sig-1", wantErr: unavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := signing.VerifyFrom(tc.keys, tc.member, tc.keyID, signing.PurposeTracking, msg, sig)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("VerifyFrom = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestKeyEncoding(t *testing.T) {
	t.Parallel()

	pub, priv := mustKey(t)
	gotPub, err := signing.ParsePublicKey(signing.EncodeKey(pub))
	if err != nil || !gotPub.Equal(pub) {
		t.Errorf("ParsePublicKey(EncodeKey(pub)) = %x, %v; want %x", gotPub, err, pub)
	}
	gotPriv, err := signing.ParsePrivateKey(signing.EncodePrivateKey(priv))
	if err != nil || !gotPriv.Equal(priv) {
		t.Errorf("ParsePrivateKey(EncodePrivateKey(priv)) failed: %v", err)
	}

	bad := []struct {
		name  string
		parse func(string) error
		in    string
	}{
		{"public not base64", func(s string) error { _, err := signing.ParsePublicKey(s); return err }, "!!!"},
		{"public too short", func(s string) error { _, err := signing.ParsePublicKey(s); return err }, signing.EncodeKey(pub[:31])},
		{"public unpadded", func(s string) error { _, err := signing.ParsePublicKey(s); return err }, strings.TrimRight(signing.EncodeKey(pub), "=")},
		{"private is 64 bytes", func(s string) error { _, err := signing.ParsePrivateKey(s); return err }, signing.EncodeKey(priv)},
		{"private empty", func(s string) error { _, err := signing.ParsePrivateKey(s); return err }, ""},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := tc.parse(tc.in); err == nil {
				t.Errorf("parse %q: no error", tc.in)
			}
		})
	}
}
