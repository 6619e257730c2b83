package natsconf_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/natsconf"
)

func fourMembers() natsconf.Topology {
	return natsconf.Topology{Members: []natsconf.TopologyMember{
		{Domain: "ci", Name: "Côte d'Ivoire"},
		{Domain: "bf", Name: "Burkina Faso"},
		{Domain: "gh", Name: "Ghana"},
		{Domain: "coord", Name: "Regional coordination", Coordinator: true},
	}}
}

// TestRenderANewMember renders a corridor of four members, as after one
// joined, and loads every configuration as its server would: the hub
// grants every direction among the four, each at both ends, and the new
// member's server has its own domain and users.
func TestRenderANewMember(t *testing.T) {
	t.Parallel()
	files, err := natsconf.Render(fourMembers())
	if err != nil {
		t.Fatal(err)
	}
	again, err := natsconf.Render(fourMembers())
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if !bytes.Equal(b, again[name]) {
			t.Errorf("%s renders differently twice", name)
		}
	}
	root := t.TempDir()
	if err := natsconf.WriteRendered(filepath.Join(root, natsconf.DeployDir), files); err != nil {
		t.Fatal(err)
	}
	members, err := natsconf.Members(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"bf", "ci", "coord", "gh"}; !slices.Equal(members, want) {
		t.Fatalf("rendered members %v, want %v", members, want)
	}
	c := newCorridorEnv(t, members)
	if _, err := natsconf.Load(filepath.Join(root, natsconf.HubConfigPath), c.hub.Vars()); err != nil {
		t.Fatalf("load rendered hub: %v", err)
	}
	for _, m := range members {
		opts, err := natsconf.Load(filepath.Join(root, natsconf.MemberConfigPath(m)), c.member(t, m).Vars())
		if err != nil {
			t.Fatalf("load rendered %s: %v", m, err)
		}
		users := 3 // relay, operator, sys
		if m == "coord" {
			users++ // the directory's publisher
		}
		if opts.JetStreamDomain != m || len(opts.Nkeys) != users || len(opts.Users) != 0 {
			t.Errorf("%s: domain %q, %d nkey users, %d password users; want %q, %d, 0", m, opts.JetStreamDomain, len(opts.Nkeys), len(opts.Users), m, users)
		}
	}
	hub, err := natsconf.HubPairs(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(hub) != 4*3 {
		t.Errorf("hub grants %d pairs, want 12: %v", len(hub), hub)
	}
	for _, p := range hub {
		for _, end := range []string{p.From, p.To} {
			pairs, err := natsconf.MemberPairs(root, end)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(pairs, p) {
				t.Errorf("hub grants %s->%s, which %s's configuration does not open", p.From, p.To, end)
			}
		}
	}
	coord, err := os.ReadFile(filepath.Join(root, natsconf.DeployDir, natsconf.RenderedMemberServer("coord")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(coord), `"$JS.API.CONSUMER.CREATE.INBOX.coordinator.>"`) {
		t.Error("the coordinator's user may not create its INBOX consumer \"coordinator\"")
	}

	drift, err := natsconf.Drift(filepath.Join(root, natsconf.DeployDir), files)
	if err != nil || len(drift) != 0 {
		t.Errorf("Drift of a fresh rendering = %v, %v; want none", drift, err)
	}
	stale := filepath.Join(root, natsconf.DeployDir, natsconf.RenderedMemberServer("gone"))
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(root, natsconf.DeployDir, natsconf.RenderedHubAccounts)
	if err := os.WriteFile(edited, append(files[natsconf.RenderedHubAccounts], '#'), 0o644); err != nil {
		t.Fatal(err)
	}
	drift, err = natsconf.Drift(filepath.Join(root, natsconf.DeployDir), files)
	want := []string{"hub/accounts.conf: differs from the rendering", "members/gone.conf: not rendered from the directory"}
	if err != nil || !slices.Equal(drift, want) {
		t.Errorf("Drift = %q, %v; want %q", drift, err, want)
	}
}

func TestRenderRefusesBadTopologies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		members []natsconf.TopologyMember
		want    string
	}{
		{"alone", []natsconf.TopologyMember{{Domain: "ci", Name: "CI"}}, "at least two"},
		{"twice", []natsconf.TopologyMember{{Domain: "ci", Name: "CI"}, {Domain: "ci", Name: "CI"}}, "twice"},
		{"upper case", []natsconf.TopologyMember{{Domain: "CI", Name: "CI"}, {Domain: "bf", Name: "BF"}}, "lower-case"},
		{"injected name", []natsconf.TopologyMember{{Domain: "ci", Name: "CI\n}\nauthorization {"}, {Domain: "bf", Name: "BF"}}, "one line"},
		{"two coordinators", []natsconf.TopologyMember{{Domain: "ci", Name: "CI", Coordinator: true}, {Domain: "bf", Name: "BF", Coordinator: true}}, "coordinator"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := natsconf.Render(natsconf.Topology{Members: tc.members})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Render = %v, want an error about %q", err, tc.want)
			}
		})
	}
}

// passwordSetting matches a password in a NATS configuration (password:,
// pass:, a $..._PASSWORD variable), a shell or env file, or JSON.
var passwordSetting = regexp.MustCompile(`(?i)(\bpass(word)?\s*[:=]|"pass(word)?"\s*:|_PASSWORD\b|_PASS\b)`)

// TestNoPasswordInDeploy: no file under deploy/ sets a password; every
// NATS user signs in with an nkey.
func TestNoPasswordInDeploy(t *testing.T) {
	t.Parallel()
	if !passwordSetting.MatchString("{user: relay, password: $CORRIDOR_NATS_RELAY_PASSWORD}") {
		t.Fatal("the pattern misses the old relay user")
	}
	root := repoRoot(t)
	err := filepath.WalkDir(filepath.Join(root, "deploy"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if passwordSetting.MatchString(line) {
				t.Errorf("%s:%d sets a password: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
