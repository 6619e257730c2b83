package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksNoPersonalDataTypes proves that the coordinator cannot hold a
// child's data by construction: neither its binary nor its tests link the
// wire types that carry personal data (proto/corridor/v1), the envelope
// code that opens them, or the exchange tables' payloads.
func TestLinksNoPersonalDataTypes(t *testing.T) {
	t.Parallel()
	forbidden := []string{
		"github.com/corridor-org/corridor/proto/corridor/v1",
		"github.com/corridor-org/corridor/pkg/envelope",
		"github.com/corridor-org/corridor/pkg/exchange",
		"github.com/corridor-org/corridor/pkg/directory/keyfile",
	}
	// go test puts its own go command first on the PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("find the go command: %v", err)
	}
	for _, args := range [][]string{
		{"list", "-deps", "./..."},
		{"list", "-deps", "-test", "./..."},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(goTool, args...)
			cmd.Dir = "." // the module root: this file's directory
			out, err := cmd.Output()
			if err != nil {
				var stderr string
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = string(ee.Stderr)
				}
				t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr)
			}
			deps := map[string]bool{}
			for _, line := range strings.Split(string(out), "\n") {
				deps[strings.TrimSpace(line)] = true
			}
			// The list is real only if it holds what the coordinator does use.
			for _, want := range []string{
				"github.com/corridor-org/corridor/proto/corridor/tracking/v1",
				"github.com/corridor-org/corridor/pkg/signing",
				"github.com/corridor-org/corridor/services/coordinator/internal/coordinator",
			} {
				if !deps[want] {
					t.Fatalf("go %s does not list %s: the check proves nothing", strings.Join(args, " "), want)
				}
			}
			for _, bad := range forbidden {
				if deps[bad] {
					t.Errorf("the coordinator links %s", bad)
				}
			}
		})
	}
}
