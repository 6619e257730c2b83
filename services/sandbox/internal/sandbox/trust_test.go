package sandbox

import (
	"bytes"
	"context"
	"testing"

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
	d, err := directory.Load(tf.Directory)
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
	}
}
