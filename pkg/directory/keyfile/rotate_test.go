package keyfile_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/exchange"
)

// versionOf returns a directory version listing the public keys of files.
func versionOf(t *testing.T, version int64, files ...*keyfile.File) *directory.Directory {
	t.Helper()
	d := &directory.Directory{
		Corridor: "ci-bf", Version: version, IssuedAt: from, ExpiresAt: until.AddDate(1, 0, 0),
		TimeLimits: directory.TimeLimits{RespondWithinHours: 72, InformationResponseWithinHours: 72, HandoverWithinDays: 30, FollowUpEveryDays: 180},
	}
	for _, f := range files {
		enc, sig, err := f.PublicKeys()
		if err != nil {
			t.Fatal(err)
		}
		d.Members = append(d.Members, directory.Member{
			Code: f.Member, Name: string(f.Member), JetStreamDomain: f.Member.Domain(),
			EncryptionKeys: enc, SigningKeys: sig,
			Agencies: []directory.Agency{{ID: f.Member.Domain() + "-dpe", Name: "Child protection"}},
		})
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRotationLosesNothing rotates BF's keys while CI keeps sending: with
// the previous directory version or the new one, before and after the new
// keys take over, every envelope opens with BF's rotated key file.
func TestRotationLosesNothing(t *testing.T) {
	t.Parallel()
	ci, err := keyfile.Generate("CI", from, until)
	if err != nil {
		t.Fatal(err)
	}
	bf, err := keyfile.Generate("BF", from, until)
	if err != nil {
		t.Fatal(err)
	}
	before := versionOf(t, 1, ci, bf)
	oldEnc := bf.DecryptionKeys[0].ID
	oldSig := bf.SigningKeys[0].ID

	takeover := now.AddDate(0, 0, 2)
	ids, err := bf.Rotate(keyfile.Rotation{Signing: true, Encryption: true, NotBefore: takeover, Overlap: 30 * 24 * time.Hour, ValidFor: 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 {
		t.Fatalf("new key ids = %v", ids)
	}
	after := versionOf(t, 2, ci, bf)

	tests := []struct {
		name    string
		dir     *directory.Directory
		at      time.Time
		wantKey string // the key CI seals to; "new" for the rotated one
	}{
		{"previous version, before the takeover", before, now, oldEnc},
		{"new version, before the takeover", after, now.AddDate(0, 0, 1), oldEnc},
		{"new version, after the takeover", after, takeover.Add(time.Minute), "new"},
		{"previous version, after the takeover", before, takeover.Add(time.Minute), oldEnc},
	}
	opener := bf.Opener(after)
	for i, tc := range tests {
		to, err := tc.dir.CurrentEncryptionKey("BF", tc.at)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (tc.wantKey == "new") == (to.ID == oldEnc) || (tc.wantKey != "new" && to.ID != tc.wantKey) {
			t.Errorf("%s: CI seals to %s", tc.name, to.ID)
		}
		signer, err := ci.SigningKey(tc.at)
		if err != nil {
			t.Fatal(err)
		}
		h := envelope.Header{
			MessageID: fmt.Sprintf("msg-rotation-%d", i), Corridor: "ci-bf", SenderMember: "CI", SenderAgency: "ci-dpe",
			RecipientMember: "BF", RecipientAgency: "bf-dpe", MessageType: string(exchange.TypeReferral),
			CaseRef: "case-rotation", ReferralID: "ref-rotation", SentAt: tc.at,
		}
		sealed, err := envelope.Seal(h, []byte("payload"), envelope.EncryptionKey{ID: to.ID, Public: to.PublicKey}, signer)
		if err != nil {
			t.Fatal(err)
		}
		if _, pt, err := opener.Open(sealed); err != nil || string(pt) != "payload" {
			t.Errorf("%s: BF cannot open: %v", tc.name, err)
		}
	}

	// BF signs with its old key until the takeover, then with the new one,
	// and the new directory lists both.
	for _, tc := range []struct {
		at  time.Time
		old bool
	}{{now, true}, {takeover.Add(time.Minute), false}} {
		sk, err := bf.SigningKey(tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if (sk.ID == oldSig) != tc.old {
			t.Errorf("at %s BF signs with %s", tc.at, sk.ID)
		}
		if err := bf.CheckDirectory(after, tc.at); err != nil {
			t.Errorf("at %s: %v", tc.at, err)
		}
	}
	// After the overlap, the old encryption key is no longer valid.
	end := takeover.Add(30 * 24 * time.Hour)
	if k, ok := keyValid(after, "BF", oldEnc, end); ok {
		t.Errorf("old key %s still valid at the end of the overlap: %+v", oldEnc, k)
	}
	if _, ok := keyValid(after, "BF", oldEnc, end.Add(-time.Minute)); !ok {
		t.Errorf("old key %s not valid during the overlap", oldEnc)
	}
}

func keyValid(d *directory.Directory, member corridor.MemberCode, id string, at time.Time) (directory.Key, bool) {
	m, err := d.Member(member)
	if err != nil {
		return directory.Key{}, false
	}
	for _, k := range m.EncryptionKeys {
		if k.ID == id {
			return k, k.ValidAt(at)
		}
	}
	return directory.Key{}, false
}

func TestRotateRefuses(t *testing.T) {
	t.Parallel()
	f, err := keyfile.Generate("CI", from, until)
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	for _, r := range []keyfile.Rotation{
		{NotBefore: now, Overlap: day, ValidFor: 10 * day},
		{Signing: true, Overlap: day, ValidFor: 10 * day},
		{Signing: true, NotBefore: now, ValidFor: 10 * day},
		{Signing: true, NotBefore: now, Overlap: day, ValidFor: day},
	} {
		if _, err := f.Rotate(r); err == nil {
			t.Errorf("Rotate(%+v): no error", r)
		}
	}
}
