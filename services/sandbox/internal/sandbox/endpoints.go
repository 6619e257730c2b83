package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/corridor-org/corridor/services/sandbox/internal/state"
)

// Endpoints is .sandbox/endpoints.json, the document scripts, browser tests
// and partners' systems read to find a running sandbox. Its shape is the one
// docs/operations.md ("Interfaces others rely on") fixes: fields may be
// added, never renamed.
type Endpoints struct {
	Hub         HubEndpoint               `json:"hub"`
	Coordinator CoordinatorEndpoint       `json:"coordinator"`
	Members     map[string]MemberEndpoint `json:"members"`
	Users       []User                    `json:"users"`
	// Dir is the sandbox's state directory (extra).
	Dir string `json:"dir"`
}

// HubEndpoint is the corridor hub's NATS server.
type HubEndpoint struct {
	NATS string `json:"nats"`
	PID  int    `json:"pid"`
	// Monitor is the hub's HTTP monitoring endpoint (/varz, /leafz) (extra).
	Monitor string `json:"monitor"`
}

// Credentials sign in to a NATS server: the file holding the seed of the
// user's nkey (mode 0600). No NATS user has a password.
type Credentials struct {
	NkeySeedFile string `json:"nkey_seed_file"`
}

// CoordinatorEndpoint is the coordinator: its service and its member servers.
type CoordinatorEndpoint struct {
	URL          string          `json:"url"`
	Database     string          `json:"database"`
	NATS         string          `json:"nats"`
	NATSOperator Credentials     `json:"nats_operator"`
	PIDs         CoordinatorPIDs `json:"pids"`
	// Extra fields: the coordinator's identity provider, NATS store and
	// monitoring endpoint.
	IdP         string `json:"idp"`
	NATSStore   string `json:"nats_store"`
	NATSMonitor string `json:"nats_monitor"`
}

// CoordinatorPIDs are the process ids of the coordinator's processes.
type CoordinatorPIDs struct {
	Coordinator int `json:"coordinator"`
	NATS        int `json:"nats"` // extra
	IdP         int `json:"idp"`  // extra
}

// MemberEndpoint is one country: its services and servers.
type MemberEndpoint struct {
	Casework     string      `json:"casework"`
	Relay        string      `json:"relay"`
	IdP          string      `json:"idp"`
	Database     string      `json:"database"`
	NATS         string      `json:"nats"`
	NATSOperator Credentials `json:"nats_operator"`
	NATSStore    string      `json:"nats_store"`
	PIDs         MemberPIDs  `json:"pids"`
	// NATSMonitor is the member server's monitoring endpoint (extra).
	NATSMonitor string `json:"nats_monitor"`
}

// MemberPIDs are the process ids of a country's processes.
type MemberPIDs struct {
	Casework int `json:"casework"`
	Relay    int `json:"relay"`
	NATS     int `json:"nats"`
	IdP      int `json:"idp"` // extra
}

// User is a demo user with a ready access token.
type User struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	Role        string `json:"role"`
	Country     string `json:"country"`
	Agency      string `json:"agency"`
	AccessToken string `json:"access_token"`
	// Issuer is the identity provider that issued the token (extra).
	Issuer string `json:"issuer"`
	// ExpiresAt is when the access token expires, RFC 3339 (extra).
	ExpiresAt string `json:"expires_at"`
}

// writeEndpoints writes endpoints.json, readable by the owner only since it
// holds passwords and tokens.
func writeEndpoints(path string, e Endpoints) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("encode endpoints: %w", err)
	}
	if err := state.WriteFileAtomic(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write endpoints: %w", err)
	}
	return nil
}

// ReadEndpoints reads an endpoints file.
func ReadEndpoints(path string) (Endpoints, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Endpoints{}, fmt.Errorf("read endpoints: %w", err)
	}
	var e Endpoints
	if err := json.Unmarshal(b, &e); err != nil {
		return Endpoints{}, fmt.Errorf("parse endpoints %s: %w", path, err)
	}
	return e, nil
}

// envShell renders env.sh: the endpoints as shell variables, so that the
// curl tour and a developer's shell need no JSON tool. Each user's token is
// <USERNAME>_TOKEN with dashes as underscores (CI_INSPECTOR_TOKEN,
// COORDINATOR_TOKEN).
func envShell(e Endpoints, repoRoot string) []byte {
	var b bytes.Buffer
	b.WriteString("# Written by `sandbox up`; source it: . .sandbox/env.sh\n")
	b.WriteString("# Removed when the sandbox stops. Holds passwords and tokens: keep it local.\n")
	set := func(name, value string) {
		fmt.Fprintf(&b, "export %s=%s\n", name, shellQuote(value))
	}
	set("SANDBOX_DIR", e.Dir)
	set("SANDBOX_REPO", repoRoot)
	set("HUB_NATS", e.Hub.NATS)
	set("COORDINATOR", e.Coordinator.URL)
	set("COORDINATOR_IDP", e.Coordinator.IdP)
	set("COORDINATOR_DATABASE", e.Coordinator.Database)
	set("COORDINATOR_NATS", e.Coordinator.NATS)
	set("COORDINATOR_NATS_NKEY_SEED_FILE", e.Coordinator.NATSOperator.NkeySeedFile)
	for _, code := range slices.Sorted(maps.Keys(e.Members)) {
		m := e.Members[code]
		set(code+"_CASEWORK", m.Casework)
		set(code+"_RELAY", m.Relay)
		set(code+"_IDP", m.IdP)
		set(code+"_DATABASE", m.Database)
		set(code+"_NATS", m.NATS)
		set(code+"_NATS_NKEY_SEED_FILE", m.NATSOperator.NkeySeedFile)
	}
	for _, u := range e.Users {
		set(envName(u.Username)+"_TOKEN", u.AccessToken)
	}
	return b.Bytes()
}

var nonIdent = regexp.MustCompile(`[^A-Z0-9_]`)

// envName turns a username into a shell variable name: "ci-inspector" →
// "CI_INSPECTOR".
func envName(username string) string {
	return nonIdent.ReplaceAllString(strings.ToUpper(username), "_")
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
