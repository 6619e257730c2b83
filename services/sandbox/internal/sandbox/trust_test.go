package sandbox

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
)

// TestDemoDirectory issues the sandbox's directory and checks that it
// loads, and that each country has two agencies a referral can go to,
// offering services in the places they cover: a declined referral has
// somewhere else to go.
func TestDemoDirectory(t *testing.T) {
	t.Parallel()
	s, err := open(fakeConfig(t, &bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	ports, err := s.allocatePorts()
	if err != nil {
		t.Fatal(err)
	}
	tf, err := s.prepareTrust(ports)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := directory.LoadSigned(tf.Directory)
	if err != nil {
		t.Fatal(err)
	}
	d, err := signed.Directory()
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []corridor.MemberCode{"CI", "BF"} {
		m, err := d.Member(code)
		if err != nil {
			t.Fatal(err)
		}
		recipients := 0
		for _, a := range m.Agencies {
			if len(a.Services) > 0 && len(a.Places) > 0 {
				recipients++
			}
		}
		if recipients < 2 {
			t.Errorf("%s has %d agencies offering services somewhere, want 2", code, recipients)
		}
		for _, a := range m.Agencies {
			if a.Notify == nil || a.Notify.WebhookURL != httpURL(ports["notices"])+"/notices/"+a.ID {
				t.Errorf("%s's overdue notices do not go to the sandbox's receiver: %+v", a.ID, a.Notify)
			}
		}
	}
	// The hub admits the leaf nkeys the directory names, and they are the
	// ones whose seeds the members' servers sign in with.
	leafNkeys, err := leafNkeysOf(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members() {
		k, err := s.nkey(leafNkeyName(m.domain()))
		if err != nil {
			t.Fatal(err)
		}
		if leafNkeys[m.domain()] != k.Public {
			t.Errorf("%s: the directory names leaf nkey %q, the sandbox signs in with %q", m.Code, leafNkeys[m.domain()], k.Public)
		}
	}
}

// TestPrepareTrustSigns checks that the demo corridor runs on a directory
// its governance co-signed, and that a restart re-signs a newer version
// with the same governance keys, so the anchor stays valid.
func TestPrepareTrustSigns(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s, err := open(fakeConfig(t, &out))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	ports, err := s.allocatePorts()
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.prepareTrust(ports)
	if err != nil {
		t.Fatal(err)
	}
	anchor, err := directory.LoadAnchor(first.Anchor)
	if err != nil {
		t.Fatal(err)
	}
	if anchor.Governance.Threshold != 2 || len(anchor.Governance.Keys) != 3 {
		t.Errorf("governance = %+v, want 2 of 3", anchor.Governance)
	}
	signed, err := directory.LoadSigned(first.Directory)
	if err != nil {
		t.Fatal(err)
	}
	v, err := directory.Verify(signed, anchor, time.Now())
	if err != nil {
		t.Fatalf("the sandbox's directory does not verify against its anchor: %v", err)
	}
	if len(v.Signers) != 2 {
		t.Errorf("signed by %v, want the two countries", v.Signers)
	}
	if _, err := directory.OpenFileSource(first.Directory, first.Anchor, "", slog.New(slog.DiscardHandler)); err != nil {
		t.Errorf("a service could not open the directory: %v", err)
	}

	// A restart keeps the governance keys: the first anchor accepts the
	// directory it issues.
	second, err := s.prepareTrust(ports)
	if err != nil {
		t.Fatal(err)
	}
	again, err := directory.LoadSigned(second.Directory)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := directory.Verify(again, anchor, time.Now()); err != nil {
		t.Errorf("after a restart: %v", err)
	}
}
