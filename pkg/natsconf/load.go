package natsconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats-server/v2/conf"
	"github.com/nats-io/nats-server/v2/server"
)

// Paths of the configurations, relative to the repository root.
const (
	HubConfigPath = "deploy/nats/hub.conf"
	membersDir    = "deploy/nats/members"
)

// MemberConfigPath returns the path of member's configuration relative to the
// repository root, for example deploy/nats/members/ci.conf.
func MemberConfigPath(member string) string {
	return filepath.ToSlash(filepath.Join(membersDir, member+".conf"))
}

// RepoRoot walks up from dir to the directory holding go.work.
func RepoRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("find repo root: no go.work above %s", dir)
		}
		d = parent
	}
}

// Members returns the members that have a configuration under root, sorted.
func Members(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, membersDir))
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".conf"); ok && !e.IsDir() {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// envMu serialises Load. The configuration parser resolves $VARIABLES from
// the process environment, which every Load in the process shares, so two
// loads with different values must not overlap. It guards that process-wide
// resource and holds no state of its own.
var envMu sync.Mutex

// Load parses the configuration at path with vars set in the environment for
// the duration of the parse, restoring the environment afterwards. The
// returned options are the server's, untouched; embedders set NoSigs and the
// like themselves.
func Load(path string, vars map[string]string) (*server.Options, error) {
	var opts *server.Options
	err := withEnv(vars, func() (err error) {
		opts, err = server.ProcessConfigFile(path)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load nats config %s: %w", path, err)
	}
	return opts, nil
}

// withEnv runs f with vars set in the process environment.
func withEnv(vars map[string]string, f func() error) error {
	envMu.Lock()
	defer envMu.Unlock()

	type saved struct {
		value string
		set   bool
	}
	old := make(map[string]saved, len(vars))
	defer func() {
		for k, s := range old {
			if s.set {
				_ = os.Setenv(k, s.value)
			} else {
				_ = os.Unsetenv(k)
			}
		}
	}()
	for k, v := range vars {
		prev, ok := os.LookupEnv(k)
		old[k] = saved{prev, ok}
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("set %s: %w", k, err)
		}
	}
	return f()
}

// parseTree parses a configuration into its raw tree with placeholder values
// for every variable, to read its structure (accounts, exports, imports).
func parseTree(path string, vars map[string]string) (map[string]any, error) {
	var m map[string]any
	err := withEnv(vars, func() (err error) {
		m, err = conf.ParseFile(path)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return m, nil
}

// placeholderHubEnv and placeholderMemberEnv fill every variable with a value
// that parses, for parseTree.
func placeholderHubEnv(members []string) map[string]string {
	e := HubEnv{Host: "127.0.0.1", Port: 1, LeafPort: 1, SysNkey: "x", LeafNkeys: map[string]string{},
		TLS: TLSFiles{CA: "/nonexistent", Cert: "/nonexistent", Key: "/nonexistent"}}
	for _, m := range members {
		e.LeafNkeys[m] = "x"
	}
	return e.Vars()
}

func placeholderMemberEnv(member string) map[string]string {
	return MemberEnv{
		Member: member, Host: "127.0.0.1", Port: 1, StoreDir: "/nonexistent",
		HubURL: "nats-leaf://127.0.0.1:1", LeafSeed: "x",
		LeafTLS: TLSFiles{CA: "/nonexistent", Cert: "/nonexistent", Key: "/nonexistent"},
		Users:   UserNkeys{Relay: "x", Operator: "x", Sys: "x", Publisher: "x"},
	}.Vars()
}

// Pair is a granted direction: To's INBOX may source what From's OUTBOX
// addresses to To.
type Pair struct {
	From, To string
}

const deliverPrefix = "corridor.deliver."

// MemberPairs returns the pairs member's configuration takes part in, read
// from the deliver-prefix stream exports (member as origin) and imports
// (member as recipient) of its stream account.
func MemberPairs(root, member string) ([]Pair, error) {
	if err := checkMember(member); err != nil {
		return nil, err
	}
	m, err := parseTree(filepath.Join(root, MemberConfigPath(member)), placeholderMemberEnv(member))
	if err != nil {
		return nil, fmt.Errorf("read member pairs: %w", err)
	}
	acc, err := account(m, AccountStreams)
	if err != nil {
		return nil, fmt.Errorf("read member %s: %w", member, err)
	}
	out := deliverSubjects(acc["exports"], false)
	out = append(out, deliverSubjects(acc["imports"], true)...)
	return sortPairs(out), nil
}

// HubPairs returns the pairs the hub's configuration grants, read from the
// deliver-prefix stream imports of each member's hub account.
func HubPairs(root string) ([]Pair, error) {
	members, err := Members(root)
	if err != nil {
		return nil, err
	}
	m, err := parseTree(filepath.Join(root, HubConfigPath), placeholderHubEnv(members))
	if err != nil {
		return nil, fmt.Errorf("read hub pairs: %w", err)
	}
	accs, ok := m["accounts"].(map[string]any)
	if !ok {
		return nil, errors.New("read hub config: no accounts")
	}
	var out []Pair
	for name, a := range accs {
		acc, ok := a.(map[string]any)
		if !ok || name == AccountSys {
			continue
		}
		out = append(out, deliverSubjects(acc["imports"], true)...)
	}
	return sortPairs(out), nil
}

// Senders returns the peers whose OUTBOX member's configuration lets its
// INBOX source: the list to pass to streams.EnsureInbox.
func Senders(root, member string) ([]string, error) {
	pairs, err := MemberPairs(root, member)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range pairs {
		if p.To == member {
			out = append(out, p.From)
		}
	}
	return out, nil
}

func account(m map[string]any, name string) (map[string]any, error) {
	accs, ok := m["accounts"].(map[string]any)
	if !ok {
		return nil, errors.New("no accounts")
	}
	acc, ok := accs[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no account %s", name)
	}
	return acc, nil
}

// deliverSubjects picks the stream exports or imports of deliver prefixes
// (corridor.deliver.<from>.<to>.>) from an exports or imports list.
func deliverSubjects(list any, imports bool) []Pair {
	items, _ := list.([]any)
	var out []Pair
	for _, it := range items {
		entry, _ := it.(map[string]any)
		var subject string
		if imports {
			s, _ := entry["stream"].(map[string]any)
			subject, _ = s["subject"].(string)
		} else {
			subject, _ = entry["stream"].(string)
		}
		rest, ok := strings.CutPrefix(subject, deliverPrefix)
		if !ok {
			continue
		}
		tok := strings.Split(rest, ".")
		if len(tok) != 3 || tok[2] != ">" {
			continue
		}
		out = append(out, Pair{From: tok[0], To: tok[1]})
	}
	return out
}

func sortPairs(p []Pair) []Pair {
	slices.SortFunc(p, func(a, b Pair) int {
		if c := strings.Compare(a.From, b.From); c != 0 {
			return c
		}
		return strings.Compare(a.To, b.To)
	})
	return slices.Compact(p)
}
