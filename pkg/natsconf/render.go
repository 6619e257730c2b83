package natsconf

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/kvdist"
)

// DeployDir is where the rendered configurations of the demo corridor are
// kept, relative to the repository root.
const DeployDir = "deploy/nats"

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").ParseFS(templateFS, "templates/*.tmpl"))

// Topology is what every NATS server's configuration of a corridor is
// rendered from: its members, in the directory's order. Every member may
// send to every other (the hub grants each direction; a recipient's INBOX
// still has to source it). Keys are not part of it: the configurations
// name them by environment variable (EnvHubLeafNkey, UserNkeys), so that a
// key rotates without a new configuration.
type Topology struct {
	Members []TopologyMember
}

// TopologyMember is one member's server.
type TopologyMember struct {
	// Domain is the member's JetStream domain ("ci").
	Domain string
	// Name is the member's name, for the configuration's comments.
	Name string
	// Coordinator is set for the corridor's coordinator, whose service
	// reads its INBOX with the consumer "coordinator" instead of "relay".
	Coordinator bool
}

// InboxConsumer returns the name of the INBOX consumer the member's
// service reads with, the one its user may use.
func (m TopologyMember) InboxConsumer() string {
	if m.Coordinator {
		return "coordinator"
	}
	return "relay"
}

// TopologyOf returns what the NATS configurations of d's corridor are
// rendered from: its members, in the directory's order.
func TopologyOf(d *directory.Directory) Topology {
	var t Topology
	for _, m := range d.Members {
		t.Members = append(t.Members, TopologyMember{
			Domain: m.JetStreamDomain, Name: m.Name, Coordinator: m.Code == corridor.Coordinator,
		})
	}
	return t
}

// The names of the rendered files, relative to the output directory.
const (
	RenderedHub         = "hub.conf"
	RenderedHubAccounts = "hub/accounts.conf"
	RenderedMember      = "member.conf"
)

// RenderedMemberServer returns the name of member's rendered file.
func RenderedMemberServer(member string) string { return "members/" + member + ".conf" }

// view is what the templates see of a member.
type view struct {
	TopologyMember
	Upper, LeafNkeyVar, Consumer, PeerAccounts string
	Peers                                      []view
	// DirectoryOrigin is the coordinator's domain on a member that mirrors
	// its directory bucket; empty on the coordinator and in a corridor
	// without one.
	DirectoryOrigin, DirectoryOriginUpper string
	DirectoryBucket, DirectoryStream      string
	// FlowControl is the subject of the flow-control replies to this
	// member's source consumers: its OUTBOX's, and on the coordinator's
	// server the directory bucket's too ($JS.FC.<domain>.*.> then: one
	// import for both streams; with two, a member's INBOX recovered from a
	// cut of the hub only on its slow retry schedule, TestPartition).
	FlowControl string
}

// Render renders the configuration of every NATS server of t: the hub
// (hub.conf and hub/accounts.conf), what every member shares (member.conf)
// and each member's (members/<domain>.conf), by file name. The same
// topology renders the same bytes.
func Render(t Topology) (map[string][]byte, error) {
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("render nats configuration: %w", err)
	}
	origin := ""
	for _, m := range t.Members {
		if m.Coordinator {
			origin = m.Domain
		}
	}
	views := make([]view, len(t.Members))
	for i, m := range t.Members {
		views[i] = view{TopologyMember: m, Upper: HubAccount(m.Domain), LeafNkeyVar: EnvHubLeafNkey(m.Domain), Consumer: m.InboxConsumer(),
			DirectoryBucket: kvdist.Bucket, DirectoryStream: kvdist.Stream}
		views[i].FlowControl = "$JS.FC." + m.Domain + ".*.OUTBOX.>"
		if origin != "" && !m.Coordinator {
			views[i].DirectoryOrigin, views[i].DirectoryOriginUpper = origin, HubAccount(origin)
		}
		if m.Coordinator {
			views[i].FlowControl = "$JS.FC." + m.Domain + ".*.>"
		}
	}
	for i := range views {
		var accounts []string
		for j, p := range views {
			if j != i {
				views[i].Peers = append(views[i].Peers, p)
				accounts = append(accounts, p.Upper)
			}
		}
		views[i].PeerAccounts = strings.Join(accounts, ", ")
	}
	var names []string
	for _, v := range views {
		names = append(names, v.Upper)
	}
	all := struct {
		Members    []view
		MemberList string
	}{views, strings.Join(names, ", ")}

	out := map[string][]byte{}
	execute := func(name, tmpl string, data any) error {
		var b bytes.Buffer
		if err := templates.ExecuteTemplate(&b, tmpl, data); err != nil {
			return fmt.Errorf("render %s: %w", name, err)
		}
		out[name] = b.Bytes()
		return nil
	}
	if err := execute(RenderedHub, "hub.conf.tmpl", all); err != nil {
		return nil, err
	}
	if err := execute(RenderedHubAccounts, "accounts.conf.tmpl", all); err != nil {
		return nil, err
	}
	if err := execute(RenderedMember, "member.conf.tmpl", all); err != nil {
		return nil, err
	}
	for _, v := range views {
		if err := execute(RenderedMemberServer(v.Domain), "memberserver.conf.tmpl", v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t Topology) check() error {
	if len(t.Members) < 2 {
		return errors.New("a corridor needs at least two members")
	}
	seen := map[string]bool{}
	coordinators := 0
	for _, m := range t.Members {
		if err := checkMember(m.Domain); err != nil {
			return err
		}
		if seen[m.Domain] {
			return fmt.Errorf("member %q is listed twice", m.Domain)
		}
		seen[m.Domain] = true
		if m.Name == "" || strings.ContainsAny(m.Name, "\r\n") {
			return fmt.Errorf("member %q: its name must be one line, not empty", m.Domain)
		}
		if m.Coordinator {
			coordinators++
		}
	}
	if coordinators > 1 {
		return errors.New("more than one coordinator")
	}
	return nil
}

// WriteRendered writes files (from Render) under dir, creating the
// directories they need. Configuration files hold no secret: mode 0644.
func WriteRendered(dir string, files map[string][]byte) error {
	for _, name := range slices.Sorted(maps.Keys(files)) {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write nats configuration: %w", err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return fmt.Errorf("write nats configuration: %w", err)
		}
	}
	return nil
}

// Drift compares the .conf files under dir with files (from Render) and
// returns what differs, one line each: a file that differs, is missing, or
// is not rendered at all (a member left in dir that the directory no
// longer lists). Empty means dir holds exactly the rendering.
func Drift(dir string, files map[string][]byte) ([]string, error) {
	var drift []string
	onDisk := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".conf") {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		onDisk[filepath.ToSlash(rel)] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("compare nats configuration: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if !onDisk[name] {
			drift = append(drift, name+": missing")
			continue
		}
		have, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("compare nats configuration: %w", err)
		}
		if !bytes.Equal(have, files[name]) {
			drift = append(drift, name+": differs from the rendering")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(onDisk)) {
		if _, ok := files[name]; !ok {
			drift = append(drift, name+": not rendered from the directory")
		}
	}
	return drift, nil
}
