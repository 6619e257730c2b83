package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/logtest"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
)

// ctlAs runs corridorctl signed in to NATS with the nkey seed file of
// creds, as an operator's shell would (NATS_NKEY_SEED_FILE). A denied put
// fails only at its deadline: each run gets 15 seconds.
func ctlAs(t *testing.T, creds natstest.Credentials, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	var out bytes.Buffer
	getenv := func(k string) string {
		if k == "NATS_NKEY_SEED_FILE" {
			return creds.SeedFile
		}
		return ""
	}
	err := run(ctx, append([]string{"corridorctl"}, args...), getenv, &out)
	return out.String(), err
}

// TestDirectoryBucketOnTheCorridor sets up distribution on the shipped
// configurations as each member's operator would, publishes as the
// coordinator's publisher, and follows CI's own read-only mirror. The
// coordinator's operator may make the bucket but not publish into it.
func TestDirectoryBucketOnTheCorridor(t *testing.T) {
	t.Parallel()
	c := newCorridor(t)
	nc := natstest.StartCorridor(t, "ci", "bf", "coord")
	coord, ci, bf := nc.Members["coord"], nc.Members["ci"], nc.Members["bf"]
	v1, anchor := c.path("v1.json"), c.path("anchor.json")
	mustCtl(t, "directory", "propose", "-draft", c.draft, "-out", v1)
	mustCtl(t, "directory", "sign", "-in", v1, "-key", c.gov["CI"])
	mustCtl(t, "directory", "sign", "-in", v1, "-key", c.gov["BF"])
	mustCtl(t, "directory", "anchor", "-in", v1, "-out", anchor)

	for _, step := range []struct {
		m          *natstest.Member
		code, want string
	}{
		{coord, "COORD", "mirrored by [bf ci]"},
		{ci, "CI", "read-only mirror of coord's bucket"},
		{bf, "BF", "read-only mirror of coord's bucket"},
	} {
		out, err := ctlAs(t, step.m.Operator, "directory", "bucket", "-nats-url", step.m.ClientURL(), "-directory", v1, "-member", step.code)
		if err != nil || !strings.Contains(out, step.want) {
			t.Fatalf("directory bucket as %s's operator = %v: %s", step.code, err, out)
		}
	}

	if _, err := ctlAs(t, coord.Operator, "directory", "publish", "-in", v1, "-nats-url", coord.ClientURL(), "-anchor", anchor); err == nil {
		t.Error("the coordinator's operator published into the directory bucket; only its publisher may")
	}
	out, err := ctlAs(t, coord.Credentials(t, natsconf.UserPublisher), "directory", "publish", "-in", v1, "-nats-url", coord.ClientURL(), "-anchor", anchor)
	if err != nil || !strings.Contains(out, "published to bucket") {
		t.Fatalf("publish as the publisher = %v: %s", err, out)
	}

	file := filepath.Join(c.dir, "ci-directory.json")
	ctx, cancel := context.WithCancel(t.Context())
	var logs logtest.Buffer
	done := make(chan error, 1)
	go func() {
		getenv := func(k string) string {
			if k == "NATS_NKEY_SEED_FILE" {
				return ci.Operator.SeedFile
			}
			return ""
		}
		done <- run(ctx, []string{"corridorctl", "directory", "follow", "-nats-url", ci.ClientURL(), "-domain", "ci", "-to", file, "-anchor", anchor}, getenv, &logs)
	}()
	natstest.WaitFor(t, 30*time.Second, "CI's follower writes version 1 from CI's mirror", func() bool {
		s, err := directory.LoadSigned(file)
		return err == nil && s != nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("follow: %v\n%s", err, logs.String())
	}
	if _, err := os.Stat(file); err != nil {
		t.Error(err)
	}
}
