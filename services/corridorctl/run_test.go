package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/logtest"
	"github.com/corridor-org/corridor/pkg/natstest"
)

// ctl runs corridorctl in-process and returns its output and error.
func ctl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"corridorctl"}, args...), func(string) string { return "" }, &out)
	return out.String(), err
}

// mustCtl runs corridorctl and fails the test if it fails.
func mustCtl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := ctl(t, args...)
	if err != nil {
		t.Fatalf("corridorctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// wantFail runs corridorctl and fails the test unless it fails with an
// error containing want.
func wantFail(t *testing.T, want string, args ...string) {
	t.Helper()
	out, err := ctl(t, args...)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("corridorctl %s = %v, want an error containing %q\n%s", strings.Join(args, " "), err, want, out)
	}
}

// corridorFiles are the files of a test corridor: each member's relay keys
// and governance key, and a first draft.
type corridorFiles struct {
	dir   string
	keys  map[corridor.MemberCode]string
	gov   map[corridor.MemberCode]string
	draft string
}

func (c corridorFiles) path(name string) string { return filepath.Join(c.dir, name) }

// newCorridor generates every member's keys with corridorctl and writes a
// draft listing their public keys, with a governance of two of three.
func newCorridor(t *testing.T) corridorFiles {
	t.Helper()
	c := corridorFiles{dir: t.TempDir(), keys: map[corridor.MemberCode]string{}, gov: map[corridor.MemberCode]string{}}
	d := &directory.Directory{
		Corridor: "ci-bf", Version: 1,
		TimeLimits: directory.TimeLimits{RespondWithinHours: 72, InformationResponseWithinHours: 120, HandoverWithinDays: 30, FollowUpEveryDays: 180},
		Governance: &directory.Governance{Threshold: 2},
	}
	for _, m := range []corridor.MemberCode{"CI", "BF", corridor.Coordinator} {
		c.keys[m] = c.path(m.Domain() + "-keys.json")
		c.gov[m] = c.path(m.Domain() + "-governance.json")
		mustCtl(t, "keys", "generate", "-member", string(m), "-out", c.keys[m])
		mustCtl(t, "keys", "governance", "-member", string(m), "-out", c.gov[m])
		f, err := keyfile.Load(c.keys[m])
		if err != nil {
			t.Fatal(err)
		}
		enc, sig, err := f.PublicKeys()
		if err != nil {
			t.Fatal(err)
		}
		g, err := keyfile.LoadGovernance(c.gov[m])
		if err != nil {
			t.Fatal(err)
		}
		entry := directory.Member{Code: m, Name: string(m), JetStreamDomain: m.Domain(), SigningKeys: sig}
		if m != corridor.Coordinator {
			entry.EncryptionKeys = enc
			entry.Agencies = []directory.Agency{{ID: m.Domain() + "-dpe", Name: "Child protection", Services: []string{"family_tracing"}}}
		}
		d.Members = append(d.Members, entry)
		d.Governance.Keys = append(d.Governance.Keys, g.PublicKey())
	}
	// A draft's times are set by propose; Save needs valid ones.
	d.IssuedAt, d.ExpiresAt = time.Unix(1, 0), time.Unix(2, 0)
	c.draft = c.path("draft.json")
	if err := d.Save(c.draft); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDirectoryLifecycle walks through the operator's procedures: a first
// version co-signed and published against the anchor, a key rotation in a
// second version, and the attempts the services must refuse.
func TestDirectoryLifecycle(t *testing.T) {
	t.Parallel()
	c := newCorridor(t)
	v1, anchor, published := c.path("v1.json"), c.path("anchor.json"), c.path("published.json")

	out := mustCtl(t, "directory", "propose", "-draft", c.draft, "-out", v1)
	if !strings.Contains(out, "version 1") {
		t.Errorf("propose said %q", out)
	}
	mustCtl(t, "directory", "sign", "-in", v1, "-key", c.gov["CI"])
	// One member alone cannot make an anchor, nor a first version.
	wantFail(t, "too few members", "directory", "anchor", "-in", v1, "-out", anchor)
	mustCtl(t, "directory", "sign", "-in", v1, "-key", c.gov["BF"])
	mustCtl(t, "directory", "anchor", "-in", v1, "-out", anchor)
	out = mustCtl(t, "directory", "verify", "-in", v1, "-anchor", anchor)
	if !strings.Contains(out, "signed by CI, BF (threshold 2 of CI, BF, COORD)") {
		t.Errorf("verify said %q", out)
	}
	wantFail(t, "give -anchor", "directory", "publish", "-in", v1, "-to", published)
	mustCtl(t, "directory", "publish", "-in", v1, "-to", published, "-anchor", anchor)
	if out := mustCtl(t, "directory", "publish", "-in", v1, "-to", published); !strings.Contains(out, "already published") {
		t.Errorf("publishing the same version again said %q", out)
	}

	// Version 2: BF rotates its encryption key.
	draft2 := c.path("draft2.json")
	if err := os.WriteFile(draft2, []byte(mustCtl(t, "directory", "show", "-in", published)), 0o644); err != nil {
		t.Fatal(err)
	}
	out = mustCtl(t, "key", "rotate", "-keys", c.keys["BF"], "-draft", draft2, "-kind", "encryption", "-overlap", "240h")
	if !strings.Contains(out, "restart BF's relay") {
		t.Errorf("rotate said %q", out)
	}
	bf, err := keyfile.Load(c.keys["BF"])
	if err != nil {
		t.Fatal(err)
	}
	if len(bf.DecryptionKeys) != 2 || len(bf.SigningKeys) != 1 {
		t.Fatalf("after rotating the encryption key: %d decryption, %d signing keys", len(bf.DecryptionKeys), len(bf.SigningKeys))
	}
	v2 := c.path("v2.json")
	mustCtl(t, "directory", "propose", "-draft", draft2, "-in-force", published, "-out", v2)
	mustCtl(t, "directory", "sign", "-in", v2, "-key", c.gov["BF"])
	wantFail(t, "too few members", "directory", "publish", "-in", v2, "-to", published)
	mustCtl(t, "directory", "sign", "-in", v2, "-key", c.gov[corridor.Coordinator])
	out = mustCtl(t, "directory", "publish", "-in", v2, "-to", published)
	if !strings.Contains(out, "version 2") {
		t.Errorf("publish said %q", out)
	}
	s, err := directory.LoadSigned(published)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Directory()
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := d.Member("BF"); len(m.EncryptionKeys) != 2 {
		t.Errorf("published BF entry has %d encryption keys, want the old and the new", len(m.EncryptionKeys))
	}

	// What must be refused.
	wantFail(t, "older than version 2", "directory", "publish", "-in", v1, "-to", published)
	wantFail(t, "older than version 2", "directory", "verify", "-in", v1, "-in-force", published)

	reused := c.path("v2-other.json")
	mustCtl(t, "directory", "propose", "-draft", draft2, "-in-force", v1, "-valid-for", "240h", "-out", reused)
	mustCtl(t, "directory", "sign", "-in", reused, "-key", c.gov["CI"])
	mustCtl(t, "directory", "sign", "-in", reused, "-key", c.gov["BF"])
	wantFail(t, "other content", "directory", "publish", "-in", reused, "-to", published)

	tampered := c.path("tampered.json")
	ts, err := directory.LoadSigned(v2)
	if err != nil {
		t.Fatal(err)
	}
	ts.Document = bytes.Replace(ts.Document, []byte(`"version": 2`), []byte(`"version": 3`), 1)
	if err := ts.Save(tampered); err != nil {
		t.Fatal(err)
	}
	wantFail(t, "bad directory signature", "directory", "verify", "-in", tampered, "-in-force", published)

	expired := c.path("expired.json")
	mustCtl(t, "directory", "propose", "-draft", draft2, "-in-force", published, "-valid-for", "1h", "-out", expired)
	mustCtl(t, "directory", "sign", "-in", expired, "-key", c.gov["CI"])
	mustCtl(t, "directory", "sign", "-in", expired, "-key", c.gov["BF"])
	var buf bytes.Buffer
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	err = runAt(context.Background(), []string{"corridorctl", "directory", "publish", "-in", expired, "-to", published}, func(string) string { return "" }, &buf, later)
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("publishing an expired version = %v\n%s", err, buf.String())
	}

	// Nothing refused replaced the published version.
	if now, err := directory.LoadSigned(published); err != nil || !bytes.Equal(now.Document, s.Document) {
		t.Errorf("the published version changed: %v", err)
	}

	// Version 3 replaces BF's governance key: the old governance approves
	// (CI and BF's old key, which signs with -in-force), the new accepts.
	bfGov2 := c.path("bf-governance-2.json")
	mustCtl(t, "keys", "governance", "-member", "BF", "-out", bfGov2)
	g2, err := keyfile.LoadGovernance(bfGov2)
	if err != nil {
		t.Fatal(err)
	}
	oldBF, err := keyfile.LoadGovernance(c.gov["BF"])
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range d.Governance.Keys {
		if k.ID == oldBF.ID {
			d.Governance.Keys[i] = g2.PublicKey()
		}
	}
	draft3, v3 := c.path("draft3.json"), c.path("v3.json")
	if err := d.Save(draft3); err != nil {
		t.Fatal(err)
	}
	mustCtl(t, "directory", "propose", "-draft", draft3, "-in-force", published, "-out", v3)
	mustCtl(t, "directory", "sign", "-in", v3, "-key", c.gov["CI"])
	mustCtl(t, "directory", "sign", "-in", v3, "-key", bfGov2)
	wantFail(t, "not a governance key", "directory", "sign", "-in", v3, "-key", c.gov["BF"])
	wantFail(t, "too few members", "directory", "publish", "-in", v3, "-to", published)
	mustCtl(t, "directory", "sign", "-in", v3, "-key", c.gov["BF"], "-in-force", published)
	if out := mustCtl(t, "directory", "publish", "-in", v3, "-to", published); !strings.Contains(out, "version 3") {
		t.Errorf("publish said %q", out)
	}
	// From now on BF's old key no longer counts.
	draft4, v4 := c.path("draft4.json"), c.path("v4.json")
	if err := os.WriteFile(draft4, []byte(mustCtl(t, "directory", "show", "-in", published)), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCtl(t, "directory", "propose", "-draft", draft4, "-in-force", published, "-out", v4)
	mustCtl(t, "directory", "sign", "-in", v4, "-key", c.gov["CI"])
	wantFail(t, "not a governance key", "directory", "sign", "-in", v4, "-key", c.gov["BF"], "-in-force", published)
}

func TestKeysCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys := filepath.Join(dir, "ci.json")
	mustCtl(t, "keys", "generate", "-member", "ci", "-out", keys, "-valid-for", "720h")
	fi, err := os.Stat(keys)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v", fi.Mode().Perm(), err)
	}
	wantFail(t, "never overwrites", "keys", "generate", "-member", "CI", "-out", keys)
	out := mustCtl(t, "keys", "public", "-keys", keys)
	if !strings.Contains(out, `"member": "CI"`) || !strings.Contains(out, `"encryption_keys"`) || strings.Contains(out, "private") {
		t.Errorf("keys public printed %s", out)
	}
	gov := filepath.Join(dir, "gov.json")
	mustCtl(t, "keys", "governance", "-member", "BF", "-out", gov)
	if out := mustCtl(t, "keys", "public", "-governance", gov); !strings.Contains(out, `"governance_keys"`) {
		t.Errorf("keys public -governance printed %s", out)
	}
	wantFail(t, "exactly one", "keys", "public", "-keys", keys, "-governance", gov)
	wantFail(t, "missing -member", "keys", "generate", "-out", filepath.Join(dir, "x.json"))
}

func TestUsageAndBadInput(t *testing.T) {
	t.Parallel()
	c := newCorridor(t)
	proposal := c.path("proposal.json")
	mustCtl(t, "directory", "propose", "-draft", c.draft, "-out", proposal)
	if out := mustCtl(t, "help"); !strings.Contains(out, "directory publish") {
		t.Errorf("help printed %q", out)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command"},
		{"unknown command", []string{"directory", "burn"}, "unknown command"},
		{"stray argument", []string{"directory", "show", "-in", c.draft, "extra"}, "unexpected arguments"},
		{"unknown flag", []string{"directory", "show", "-file", c.draft}, "not defined"},
		{"not a signed directory", []string{"directory", "show", "-in", c.draft}, "malformed"},
		{"verify needs a trust", []string{"directory", "verify", "-in", c.draft}, "exactly one of -in-force and -anchor"},
		{"bad draft", []string{"directory", "propose", "-draft", c.keys["CI"], "-out", c.path("p.json")}, "not valid"},
		{"rotate in the past", []string{"key", "rotate", "-keys", c.keys["CI"], "-draft", c.draft, "-not-before", "2020-01-01T00:00:00Z"}, "not in the future"},
		{"rotate a bad kind", []string{"key", "rotate", "-keys", c.keys["CI"], "-draft", c.draft, "-kind", "all"}, "-kind"},
		{"sign a draft", []string{"directory", "sign", "-in", c.draft, "-key", c.gov["CI"]}, "malformed"},
		{"sign with a relay key", []string{"directory", "sign", "-in", proposal, "-key", c.keys["CI"]}, "not a valid governance key file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantFail(t, tc.want, tc.args...)
		})
	}
}

// TestPublishThroughNATS publishes to the bucket in the coordinator's
// domain and follows it into a member's file.
func TestPublishThroughNATS(t *testing.T) {
	t.Parallel()
	c := newCorridor(t)
	url := natstest.StartJetStream(t, "coord")
	v1, v2, anchor, file := c.path("v1.json"), c.path("v2.json"), c.path("anchor.json"), filepath.Join(c.dir, "member", "directory.json")
	if err := os.Mkdir(c.path("member"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustCtl(t, "directory", "propose", "-draft", c.draft, "-out", v1)
	mustCtl(t, "directory", "sign", "-in", v1, "-key", c.gov["CI"])
	mustCtl(t, "directory", "sign", "-in", v1, "-key", c.gov["BF"])
	mustCtl(t, "directory", "anchor", "-in", v1, "-out", anchor)

	wantFail(t, "give -anchor", "directory", "publish", "-in", v1, "-nats-url", url)
	out := mustCtl(t, "directory", "publish", "-in", v1, "-nats-url", url, "-anchor", anchor)
	if !strings.Contains(out, "published to bucket corridor_directory") {
		t.Errorf("publish said %q", out)
	}

	ctx, cancel := context.WithCancel(t.Context())
	var logs logtest.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"corridorctl", "directory", "follow", "-nats-url", url, "-to", file, "-anchor", anchor},
			func(string) string { return "" }, &logs)
	}()
	inFile := func(want int64) func() bool {
		return func() bool {
			s, err := directory.LoadSigned(file)
			if err != nil {
				return false
			}
			d, err := s.Directory()
			return err == nil && d.Version == want
		}
	}
	natstest.WaitFor(t, 30*time.Second, "the follower writes version 1", inFile(1))

	mustCtl(t, "directory", "propose", "-draft", c.draft, "-in-force", v1, "-out", v2)
	mustCtl(t, "directory", "sign", "-in", v2, "-key", c.gov["CI"])
	wantFail(t, "too few members", "directory", "publish", "-in", v2, "-nats-url", url)
	mustCtl(t, "directory", "sign", "-in", v2, "-key", c.gov[corridor.Coordinator])
	mustCtl(t, "directory", "publish", "-in", v2, "-nats-url", url)
	natstest.WaitFor(t, 30*time.Second, "the follower writes version 2", inFile(2))
	wantFail(t, "older than version 2", "directory", "publish", "-in", v1, "-nats-url", url)

	cancel()
	if err := <-done; err != nil {
		t.Errorf("follow: %v\n%s", err, logs.String())
	}
}
