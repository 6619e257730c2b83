package sandbox

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/natsconf"
)

// TestNoNATSPasswords: the NATS users the sandbox makes have nkeys, never
// passwords. Each seed is in a 0600 file whose public key is the one the
// server's environment names; no variable given to a NATS server, no line
// of env.sh and no nats_operator entry of endpoints.json holds a password;
// and every secret kept in the state is an nkey seed.
func TestNoNATSPasswords(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s, err := open(fakeConfig(t, &out))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(t.Context()) })
	// A sandbox made before the users had nkeys kept their passwords.
	s.st.Secrets["nats-ci-relay"] = "s0123456789abcdef0123456789abcdef"

	for _, m := range members() {
		d := m.domain()
		users, err := s.natsUsers(d)
		if err != nil {
			t.Fatal(err)
		}
		for user, public := range map[string]string{natsconf.UserRelay: users.Relay, natsconf.UserOperator: users.Operator, natsconf.UserSys: users.Sys, natsconf.UserPublisher: users.Publisher} {
			path := s.natsSeedFile(d, user)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, want 0600", path, fi.Mode().Perm())
			}
			seed, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			k, err := natsconf.NkeyFromSeed(strings.TrimSpace(string(seed)))
			if err != nil || k.Public != public || !strings.HasPrefix(public, "U") {
				t.Errorf("%s: seed of %q, want the seed of the public key %q the server knows (%v)", path, k.Public, public, err)
			}
		}
		again, err := s.natsUsers(d)
		if err != nil || again != users {
			t.Errorf("%s: users changed on a second start: %v", d, err)
		}
		for name := range (natsconf.MemberEnv{Member: d, Users: users}).Vars() {
			if strings.Contains(name, "PASSWORD") {
				t.Errorf("%s's server reads %s", d, name)
			}
		}
	}
	for name, secret := range s.st.Secrets {
		if _, err := natsconf.NkeyFromSeed(secret); err != nil {
			t.Errorf("state secret %s is not an nkey seed: %v", name, err)
		}
	}

	e := sampleEndpoints(t)
	if err := writeEndpoints(s.path(endpointsFile), e); err != nil {
		t.Fatal(err)
	}
	if sh := string(envShell(e, "/repo")); strings.Contains(sh, "PASSWORD") {
		t.Errorf("env.sh holds a password variable:\n%s", sh)
	}
	raw, err := os.ReadFile(s.path(endpointsFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Coordinator struct {
			NATSOperator map[string]any `json:"nats_operator"`
		} `json:"coordinator"`
		Members map[string]struct {
			NATSOperator map[string]any `json:"nats_operator"`
		} `json:"members"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	operators := []map[string]any{doc.Coordinator.NATSOperator}
	for _, m := range doc.Members {
		operators = append(operators, m.NATSOperator)
	}
	for _, op := range operators {
		path, _ := op["nkey_seed_file"].(string)
		if len(op) != 1 || filepath.Ext(path) != ".nk" {
			t.Errorf("nats_operator = %v, want only nkey_seed_file", op)
		}
	}
}
