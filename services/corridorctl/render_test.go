package main

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/directorytest"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/natsconf"
)

// demoDirectoryPath is the demo corridor's directory deploy/nats is
// rendered from, relative to the repository root.
const demoDirectoryPath = "deploy/nats/demo-directory.json"

var updateDemo = flag.Bool("update-demo", false, "rewrite "+demoDirectoryPath+" with fresh keys (the same members), then render deploy/nats from it")

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := natsconf.RepoRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestDeployNATSIsRendered: the configurations under deploy/nats, which
// the tests and the sandbox run, are exactly what `corridorctl nats
// render` makes of the demo corridor's directory. A hand edit, a member
// added to one file only, or a change to the renderer not carried into
// deploy/nats fails here.
func TestDeployNATSIsRendered(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	demo := filepath.Join(root, demoDirectoryPath)
	if *updateDemo {
		writeDemoDirectory(t, demo)
		mustCtl(t, "nats", "render", "-directory", demo, "-out", filepath.Join(root, natsconf.DeployDir))
	}
	out := t.TempDir()
	said := mustCtl(t, "nats", "render", "--directory", demo, "--out", out)
	for _, want := range []string{"hub/accounts.conf", "members/coord.conf", "CORRIDOR_HUB_CI_LEAF_NKEY=U"} {
		if !strings.Contains(said, want) {
			t.Errorf("render said %q, want it to mention %q", said, want)
		}
	}
	rendered := map[string][]byte{}
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(out, path)
		if err != nil {
			return err
		}
		rendered[filepath.ToSlash(rel)], err = os.ReadFile(path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	drift, err := natsconf.Drift(filepath.Join(root, natsconf.DeployDir), rendered)
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) > 0 {
		t.Errorf("deploy/nats is not what the renderer makes of the demo directory:\n  %s\n"+
			"Change the directory or the renderer (pkg/natsconf/templates), never the files, then run\n"+
			"  go run ./services/corridorctl nats render -directory %s -out %s",
			strings.Join(drift, "\n  "), demoDirectoryPath, natsconf.DeployDir)
	}
}

// TestNATSRenderRefuses: render needs a directory co-signed by its own
// governance, and says what is wrong.
func TestNATSRenderRefuses(t *testing.T) {
	t.Parallel()
	c := newCorridor(t)
	v1 := c.path("v1.json")
	mustCtl(t, "directory", "propose", "-draft", c.draft, "-out", v1)
	mustCtl(t, "directory", "sign", "-in", v1, "-key", c.gov["CI"])
	wantFail(t, "too few members", "nats", "render", "-directory", v1, "-out", c.path("out"))
	wantFail(t, "missing -out", "nats", "render", "-directory", v1)
	wantFail(t, "no such file", "nats", "render", "-directory", c.path("none.json"), "-out", c.path("out"))
	mustCtl(t, "directory", "sign", "-in", v1, "-key", c.gov["BF"])
	said := mustCtl(t, "nats", "render", "-directory", v1, "-out", c.path("out"))
	if !strings.Contains(said, "CI names no NATS identity") {
		t.Errorf("render said %q, want it to name the members without a NATS identity", said)
	}
	if _, err := os.Stat(filepath.Join(c.path("out"), "members", "coord.conf")); err != nil {
		t.Errorf("render wrote no coordinator configuration: %v", err)
	}
}

// writeDemoDirectory writes the demo corridor's directory: CI, BF and the
// coordinator, each with relay keys, a leaf nkey and (countries) an
// agency, co-signed two of three. Its private keys are thrown away: the
// sandbox issues a directory of its own with the same members, and this
// one only feeds the renderer.
func writeDemoDirectory(t *testing.T, path string) {
	t.Helper()
	issued := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	d := &directory.Directory{
		Corridor: "ci-bf", Version: 1, IssuedAt: issued, ExpiresAt: issued.AddDate(1, 0, 0),
		TimeLimits: directory.TimeLimits{RespondWithinHours: 72, InformationResponseWithinHours: 120, HandoverWithinDays: 30, FollowUpEveryDays: 180},
	}
	for _, m := range []struct {
		code  corridor.MemberCode
		name  string
		place string
	}{
		{"CI", "Côte d'Ivoire", "CI-AB"},
		{"BF", "Burkina Faso", "BF-03"},
		{corridor.Coordinator, "ECOWAS regional coordination", ""},
	} {
		f, err := keyfile.Generate(m.code, issued, issued.AddDate(2, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		enc, sig, err := f.PublicKeys()
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := natsconf.NewNkey()
		if err != nil {
			t.Fatal(err)
		}
		entry := directory.Member{Code: m.code, Name: m.name, JetStreamDomain: m.code.Domain(), SigningKeys: sig,
			NATS: &directory.NATSIdentity{LeafNkey: leaf.Public}}
		if m.code != corridor.Coordinator {
			entry.EncryptionKeys = enc
			entry.Agencies = []directory.Agency{{ID: m.code.Domain() + "-dpe", Name: "Child protection", Services: []string{"family_tracing"}, Places: []string{m.place}}}
		}
		d.Members = append(d.Members, entry)
	}
	files := directorytest.Write(t, d, t.TempDir())
	b, err := os.ReadFile(files.Directory)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
