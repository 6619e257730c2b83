package directory_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The coordinator links this package: it must not pull in the envelope or
// the wire types that carry personal data.
func TestNoWireDependencies(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".", "../signing").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list returned %d packages", len(deps))
	}
	for _, dep := range deps {
		if strings.Contains(dep, "/pkg/envelope") || strings.Contains(dep, "/proto/corridor/v1") || strings.HasPrefix(dep, "google.golang.org/protobuf") {
			t.Errorf("directory or signing depends on %s", dep)
		}
	}
}
