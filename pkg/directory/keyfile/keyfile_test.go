package keyfile_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/exchange"
)

var (
	from  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	until = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	now   = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
)

// The directory repeats the envelope's algorithm names and sizes so that it
// need not import the envelope; they must agree.
func TestConstantsAgree(t *testing.T) {
	t.Parallel()
	if directory.EncryptionAlgorithm != envelope.EncryptionAlgorithm || directory.EncryptionPublicKeySize != envelope.EncryptionPublicKeySize {
		t.Errorf("directory has %s/%d, envelope %s/%d", directory.EncryptionAlgorithm, directory.EncryptionPublicKeySize,
			envelope.EncryptionAlgorithm, envelope.EncryptionPublicKeySize)
	}
}

func generate(t *testing.T, member corridor.MemberCode) *keyfile.File {
	t.Helper()
	f, err := keyfile.Generate(member, from, until)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return f
}

func TestSaveLoad(t *testing.T) {
	t.Parallel()
	f := generate(t, "CI")
	if !strings.HasPrefix(f.SigningKeys[0].ID, "ci-sig-") || !strings.HasPrefix(f.DecryptionKeys[0].ID, "ci-enc-") {
		t.Errorf("key ids %s, %s", f.SigningKeys[0].ID, f.DecryptionKeys[0].ID)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := f.Save(path); err != nil {
		t.Fatalf("Save: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != keyfile.Mode {
		t.Fatalf("mode = %v, %v; want %v", fi.Mode().Perm(), err, keyfile.Mode)
	}
	got, err := keyfile.Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !reflect.DeepEqual(got, f) {
		t.Errorf("round trip differs")
	}

}

// TestLoadRefusesExposedFile: a key file anyone but the service's user may
// read or replace is refused, with a message saying how to fix it.
func TestLoadRefusesExposedFile(t *testing.T) {
	t.Parallel()
	f := generate(t, "CI")
	tests := []struct {
		name  string
		mode  os.FileMode
		owner int // -1: the test's own user
		want  string
	}{
		{"0600", 0o600, -1, ""},
		{"0400", 0o400, -1, ""},
		{"group-readable", 0o640, -1, "chmod 600"},
		{"group-writable", 0o620, -1, "chmod 600"},
		{"world-readable", 0o604, -1, "chmod 600"},
		{"owner executable", 0o700, -1, "chmod 600"},
		{"another user's", 0o600, os.Geteuid() + 4242, "chown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "keys.json")
			if err := f.Save(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			if tc.owner >= 0 {
				if err := os.Chown(path, tc.owner, -1); err != nil {
					t.Skipf("cannot give the file to another user (not root): %v", err)
				}
			}
			_, err := keyfile.Load(path)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if !errors.Is(err, keyfile.ErrExposed) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load = %v, want ErrExposed saying %q", err, tc.want)
			}
		})
	}
}

// TestPrivateKeyRedacts: key file keys print and log without their bytes.
func TestPrivateKeyRedacts(t *testing.T) {
	t.Parallel()
	f := generate(t, "CI")
	secret := base64.StdEncoding.EncodeToString(f.SigningKeys[0].PrivateKey)[:16]
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("keys", "file", f, "key", f.SigningKeys[0])
	outputs := []string{logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		outputs = append(outputs, fmt.Sprintf(verb, f.SigningKeys[0]), fmt.Sprintf(verb, *f))
	}
	for _, out := range outputs {
		if strings.Contains(out, secret) || strings.Contains(out, hex.EncodeToString(f.SigningKeys[0].PrivateKey)) ||
			strings.Contains(out, fmt.Sprint(f.SigningKeys[0].PrivateKey[:8])) {
			t.Errorf("printed as %q: shows the private key", out)
		}
		if !strings.Contains(out, f.SigningKeys[0].ID) {
			t.Errorf("printed as %q: no key id", out)
		}
	}
}

func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secret := "c2VjcmV0LWtleS1ieXRlcy10aGF0LW11c3Qtbm90LWxlYWs="
	tests := []struct {
		name string
		path string
	}{
		{"missing", filepath.Join(dir, "missing.json")},
		{"not JSON", write("bad.json", `{"member": "CI", "signing_keys": [{"private_key": "`+secret+`"`)},
		{"unknown field", write("unknown.json", `{"member": "CI", "signing_keys": [], "extra": 1}`)},
		{"no signing key", write("nosig.json", `{"member": "CI", "signing_keys": [], "decryption_keys": []}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := keyfile.Load(tc.path)
			if err == nil {
				t.Fatal("Load: no error")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error echoes key bytes: %v", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(f *keyfile.File)
		field  string
	}{
		{"member not a code", func(f *keyfile.File) { f.Member = "Côte d'Ivoire" }, "member"},
		{"no signing key", func(f *keyfile.File) { f.SigningKeys = nil }, "signing_keys"},
		{"duplicate id", func(f *keyfile.File) { f.DecryptionKeys[0].ID = f.SigningKeys[0].ID }, "decryption_keys[0].id"},
		{"id with a space", func(f *keyfile.File) { f.SigningKeys[0].ID = "ci sig" }, "signing_keys[0].id"},
		{"wrong algorithm", func(f *keyfile.File) { f.SigningKeys[0].Algorithm = "RSA" }, "signing_keys[0].algorithm"},
		{"signing seed short", func(f *keyfile.File) { f.SigningKeys[0].PrivateKey = f.SigningKeys[0].PrivateKey[:31] }, "signing_keys[0].private_key"},
		{"decryption key short", func(f *keyfile.File) { f.DecryptionKeys[0].PrivateKey = f.DecryptionKeys[0].PrivateKey[:16] }, "decryption_keys[0].private_key"},
		{"ends before it starts", func(f *keyfile.File) { f.DecryptionKeys[0].NotAfter = from.Add(-time.Hour) }, "decryption_keys[0].not_after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := generate(t, "CI")
			tc.change(f)
			err := f.Validate()
			var ce *corridor.Error
			if !errors.As(err, &ce) || len(ce.Fields) != 1 || ce.Fields[0].Field != tc.field {
				t.Fatalf("Validate = %v (%+v), want only field %s", err, ce, tc.field)
			}
			if err := f.Save(filepath.Join(t.TempDir(), "k.json")); err == nil {
				t.Error("Save wrote an invalid key file")
			}
		})
	}
}

func TestSigningKeyRotation(t *testing.T) {
	t.Parallel()
	f := generate(t, "BF")
	next := generate(t, "BF").SigningKeys[0]
	next.NotBefore, next.NotAfter = from.AddDate(0, 11, 0), until.AddDate(1, 0, 0)
	f.SigningKeys = append(f.SigningKeys, next)

	tests := []struct {
		at   time.Time
		want string
	}{
		{from, f.SigningKeys[0].ID},
		{from.AddDate(0, 11, 1), next.ID}, // overlap: the newer one
		{until.AddDate(0, 6, 0), next.ID},
		{from.Add(-time.Second), ""},
	}
	for _, tc := range tests {
		k, err := f.SigningKey(tc.at)
		if tc.want == "" {
			if !errors.Is(err, directory.ErrNoCurrentKey) {
				t.Errorf("SigningKey(%s) = %s, %v; want none", tc.at, k.ID, err)
			}
			continue
		}
		if err != nil || k.ID != tc.want {
			t.Errorf("SigningKey(%s) = %s, %v; want %s", tc.at, k.ID, err, tc.want)
		}
	}
}

// corridorOf builds a valid directory from the members' key files.
func corridorOf(t *testing.T, files ...*keyfile.File) *directory.Directory {
	t.Helper()
	d := &directory.Directory{
		Corridor: "ci-bf", Version: 1, IssuedAt: from, ExpiresAt: until,
		TimeLimits: directory.TimeLimits{RespondWithinHours: 72, InformationResponseWithinHours: 48, HandoverWithinDays: 30, FollowUpEveryDays: 180},
	}
	places := map[corridor.MemberCode]string{"CI": "CI-AB", "BF": "BF-KAD"}
	for _, f := range files {
		enc, sig, err := f.PublicKeys()
		if err != nil {
			t.Fatalf("PublicKeys: %v", err)
		}
		d.Members = append(d.Members, directory.Member{
			Code: f.Member, Name: string(f.Member), JetStreamDomain: f.Member.Domain(),
			EncryptionKeys: enc, SigningKeys: sig,
			Agencies: []directory.Agency{{ID: f.Member.Domain() + "-agency", Name: "Agency", Places: []string{places[f.Member]}}},
		})
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("directory from key files: %v", err)
	}
	return d
}

// The path a relay takes: keys from its key file, peers' keys from the
// directory on disk.
func TestSealOpenThroughDirectory(t *testing.T) {
	t.Parallel()
	ci, bf := generate(t, "CI"), generate(t, "BF")
	path := filepath.Join(t.TempDir(), "directory.json")
	if err := corridorOf(t, ci, bf).Save(path); err != nil {
		t.Fatal(err)
	}
	d, err := directory.Parse(mustRead(t, path), now)
	if err != nil {
		t.Fatal(err)
	}

	to, err := d.CurrentEncryptionKey("BF", now)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ci.SigningKey(now)
	if err != nil {
		t.Fatal(err)
	}
	h := envelope.Header{
		MessageID: corridor.NewID("msg-"), Corridor: d.Corridor, SenderMember: "CI", SenderAgency: "ci-agency",
		RecipientMember: "BF", RecipientAgency: "bf-agency", MessageType: string(exchange.TypeReferral),
		CaseRef: corridor.NewID("case-"), ReferralID: corridor.NewID("ref-"), SentAt: now,
	}
	data, err := envelope.Seal(h, []byte("referral"), envelope.EncryptionKey{ID: to.ID, Public: to.PublicKey}, signer)
	if err != nil {
		t.Fatal(err)
	}
	_, pt, err := bf.Opener(d).Open(data)
	if err != nil || !bytes.Equal(pt, []byte("referral")) {
		t.Fatalf("Open = %q, %v", pt, err)
	}

	// A directory without CI's key: the envelope's sender is unknown.
	withoutCI := corridorOf(t, ci, bf)
	withoutCI.Members[0].SigningKeys = []directory.Key{generateSigningEntry(t)}
	if _, _, err := bf.Opener(withoutCI).Open(data); !errors.Is(err, envelope.ErrUnknownKey) {
		t.Errorf("Open with CI's key unpublished = %v, want ErrUnknownKey", err)
	}
}

func generateSigningEntry(t *testing.T) directory.Key {
	t.Helper()
	_, sig, err := generate(t, "CI").PublicKeys()
	if err != nil {
		t.Fatal(err)
	}
	return sig[0]
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckDirectory(t *testing.T) {
	t.Parallel()
	ci, bf := generate(t, "CI"), generate(t, "BF")
	other := generate(t, "CI")

	tests := []struct {
		name    string
		change  func(d *directory.Directory)
		wantErr bool
	}{
		{name: "matching", change: func(*directory.Directory) {}},
		{name: "signing key not published", change: func(d *directory.Directory) {
			_, sig, _ := other.PublicKeys()
			d.Members[0].SigningKeys = sig
		}, wantErr: true},
		{name: "signing key differs", change: func(d *directory.Directory) {
			_, sig, _ := other.PublicKeys()
			d.Members[0].SigningKeys[0].PublicKey = sig[0].PublicKey
		}, wantErr: true},
		{name: "peers seal to a key not held", change: func(d *directory.Directory) {
			enc, _, _ := other.PublicKeys()
			d.Members[0].EncryptionKeys = enc
		}, wantErr: true},
		{name: "encryption key differs", change: func(d *directory.Directory) {
			enc, _, _ := other.PublicKeys()
			d.Members[0].EncryptionKeys[0].PublicKey = enc[0].PublicKey
		}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := corridorOf(t, ci, bf)
			tc.change(d)
			err := ci.CheckDirectory(d, now)
			if (err != nil) != tc.wantErr {
				t.Errorf("CheckDirectory = %v, want error %v", err, tc.wantErr)
			}
		})
	}
	if err := ci.CheckDirectory(corridorOf(t, ci, bf), until); !errors.Is(err, directory.ErrNoCurrentKey) {
		t.Errorf("CheckDirectory after the keys expire = %v, want ErrNoCurrentKey", err)
	}
}
