package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/pgserver"
)

// designKeys are the key paths of endpoints.json that the endpoints contract
// (docs/operations.md, "Interfaces others rely on") fixes,
// with the JSON type of each value. Scripts, browser tests and partners are
// written against them: a renamed or retyped key breaks them.
func designKeys() map[string]string {
	keys := map[string]string{
		"hub.nats":             "string",
		"hub.pid":              "number",
		"coordinator.url":      "string",
		"coordinator.database": "string",
		"coordinator.nats":     "string",
		"coordinator.nats_operator.nkey_seed_file": "string",
		"coordinator.pids.coordinator":             "number",
		"users[].username":                         "string",
		"users[].password":                         "string",
		"users[].role":                             "string",
		"users[].country":                          "string",
		"users[].agency":                           "string",
		"users[].access_token":                     "string",
	}
	for _, m := range []string{"CI", "BF"} {
		for _, k := range []string{"casework", "relay", "idp", "database", "nats", "nats_store", "nats_operator.nkey_seed_file"} {
			keys["members."+m+"."+k] = "string"
		}
		for _, k := range []string{"pids.casework", "pids.relay", "pids.nats"} {
			keys["members."+m+"."+k] = "number"
		}
	}
	return keys
}

// extraKeys are the keys the sandbox adds beyond the contract's. Adding one is
// fine and means adding it here; renaming one is not.
func extraKeys() []string {
	out := []string{
		"dir", "hub.monitor",
		"coordinator.idp", "coordinator.nats_store", "coordinator.nats_monitor",
		"coordinator.pids.nats", "coordinator.pids.idp",
		"users[].issuer", "users[].expires_at",
	}
	for _, m := range []string{"CI", "BF"} {
		out = append(out, "members."+m+".nats_monitor", "members."+m+".pids.idp")
	}
	return out
}

// flatten lists the leaf key paths of a JSON document with their types;
// array elements share the path "name[]".
func flatten(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, child, out)
		}
	case []any:
		for _, child := range x {
			flatten(prefix+"[]", child, out)
		}
	case string:
		out[prefix] = "string"
	case float64:
		out[prefix] = "number"
	case bool:
		out[prefix] = "bool"
	case nil:
		out[prefix] = "null"
	default:
		out[prefix] = fmt.Sprintf("%T", v)
	}
}

// shapeProblems reports how a JSON endpoints document departs from
// the endpoints contract and the known extras.
func shapeProblems(doc []byte) []string {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	got := map[string]string{}
	flatten("", v, got)
	var problems []string
	for k, typ := range designKeys() {
		if got[k] != typ {
			problems = append(problems, fmt.Sprintf("key %s: got %q, want a %s (docs/operations.md)", k, got[k], typ))
		}
	}
	known := designKeys()
	for _, k := range extraKeys() {
		known[k] = "extra"
	}
	for k := range got {
		if _, ok := known[k]; !ok {
			problems = append(problems, "key "+k+" is neither in the contract of docs/operations.md nor in extraKeys (renamed?)")
		}
	}
	sort.Strings(problems)
	return problems
}

func sampleEndpoints(t *testing.T) Endpoints {
	t.Helper()
	s := &Sandbox{dir: "/tmp/sb", procs: nil}
	ports := map[string]int{}
	for i, n := range []string{"postgres", "nats-hub", "nats-hub-leaf", "nats-hub-monitor", "coordinator",
		"nats-ci", "nats-ci-monitor", "idp-ci", "casework-ci", "relay-ci",
		"nats-bf", "nats-bf-monitor", "idp-bf", "casework-bf", "relay-bf",
		"nats-coord", "nats-coord-monitor", "idp-coord"} {
		ports[n] = 20000 + i
	}
	envs := map[string]natsconf.MemberEnv{}
	for _, m := range members() {
		d := m.domain()
		envs[d] = natsconf.MemberEnv{Member: d, Port: ports["nats-"+d], MonitorPort: ports["nats-"+d+"-monitor"],
			StoreDir: "/tmp/sb/nats/" + d}
	}
	e := s.buildEndpoints(ports, &pgserver.Cluster{Port: ports["postgres"]}, envs)
	for _, u := range demoUsers() {
		e.Users = append(e.Users, User{Username: u.Username, Password: demoPassword, Role: string(u.Roles[len(u.Roles)-1]),
			Country: string(u.Member), Agency: u.Agency, AccessToken: "token-of-" + u.Username, Issuer: "http://idp", ExpiresAt: "2026-01-01T00:00:00Z"})
	}
	return e
}

func TestEndpointsShape(t *testing.T) {
	t.Parallel()
	e := sampleEndpoints(t)
	path := filepath.Join(t.TempDir(), endpointsFile)
	if err := writeEndpoints(path, e); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if problems := shapeProblems(b); len(problems) > 0 {
		t.Errorf("endpoints.json departs from the contract in docs/operations.md:\n%s", strings.Join(problems, "\n"))
	}

	back, err := ReadEndpoints(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Members["BF"].Database != e.Members["BF"].Database || len(back.Users) != len(demoUsers()) {
		t.Errorf("ReadEndpoints did not read back what was written")
	}
	if !strings.HasSuffix(e.Members["CI"].Database, "/corridor_ci?sslmode=disable") ||
		!strings.HasSuffix(e.Coordinator.Database, "/corridor_coord?sslmode=disable") {
		t.Errorf("databases: CI %s, coordinator %s", e.Members["CI"].Database, e.Coordinator.Database)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("endpoints.json mode %v, want 0600: it holds tokens and passwords", fi.Mode().Perm())
	}
}

// TestShapeProblemsCatchesChanges makes sure the shape check can fail.
func TestShapeProblemsCatchesChanges(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(sampleEndpoints(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new, want string
		n                    int
	}{
		{"renamed", `"nats_store"`, `"natsStore"`, "members.CI.nats_store", -1},
		{"retyped", `"pid":`, `"pid":"1",  "x":`, "hub.pid", 1},
		{"unknown", `"hub":{`, `"hub":{"surprise":1,`, "hub.surprise", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := strings.Replace(string(b), tt.old, tt.new, tt.n)
			problems := shapeProblems([]byte(changed))
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("problems = %v, want one about %s", problems, tt.want)
			}
		})
	}
}

func TestEnvShell(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	e := sampleEndpoints(t)
	e.Members["CI"] = func(m MemberEndpoint) MemberEndpoint { m.Casework = "http://127.0.0.1:1/it's"; return m }(e.Members["CI"])
	path := filepath.Join(t.TempDir(), envFile)
	if err := os.WriteFile(path, envShell(e, "/repo"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `. "$1"; printf '%s\n' "$CI_CASEWORK" "$BF_CASEWORK" "$COORDINATOR" "$CI_INSPECTOR_TOKEN" "$BF_CASEWORKER_TOKEN" "$COORDINATOR_TOKEN" "$CI_SUPERVISOR_TOKEN" "$SANDBOX_REPO" "$BF_NATS_NKEY_SEED_FILE"`
	out, err := exec.Command("bash", "-c", script, "bash", path).Output()
	if err != nil {
		t.Fatalf("source env.sh: %v", err)
	}
	want := []string{
		"http://127.0.0.1:1/it's", e.Members["BF"].Casework, e.Coordinator.URL,
		"token-of-ci-inspector", "token-of-bf-caseworker", "token-of-coordinator", "token-of-ci-supervisor",
		"/repo", "/tmp/sb/nats/keys/bf-operator.nk",
	}
	if got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); !slices.Equal(got, want) {
		t.Errorf("variables = %q\nwant %q", got, want)
	}
}
