package natsconf

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Environment variables read by deploy/nats/hub.conf.
const (
	EnvHubHost        = "CORRIDOR_HUB_HOST"
	EnvHubPort        = "CORRIDOR_HUB_PORT"
	EnvHubLeafPort    = "CORRIDOR_HUB_LEAF_PORT"
	EnvHubMonitorPort = "CORRIDOR_HUB_MONITOR_PORT"
	EnvHubSysNkey     = "CORRIDOR_HUB_SYS_NKEY"
	EnvHubTLSCA       = "CORRIDOR_HUB_TLS_CA"
	EnvHubTLSCert     = "CORRIDOR_HUB_TLS_CERT"
	EnvHubTLSKey      = "CORRIDOR_HUB_TLS_KEY"
)

// EnvHubLeafNkey returns the variable holding the public key of member's
// leaf nkey on the hub, for example CORRIDOR_HUB_CI_LEAF_NKEY.
func EnvHubLeafNkey(member string) string {
	return "CORRIDOR_HUB_" + strings.ToUpper(member) + "_LEAF_NKEY"
}

// Environment variables read by deploy/nats/member.conf.
const (
	EnvMemberHost         = "CORRIDOR_NATS_HOST"
	EnvMemberPort         = "CORRIDOR_NATS_PORT"
	EnvMemberMonitorPort  = "CORRIDOR_NATS_MONITOR_PORT"
	EnvMemberStoreDir     = "CORRIDOR_NATS_STORE_DIR"
	EnvMemberHubURL       = "CORRIDOR_NATS_HUB_URL"
	EnvMemberLeafSeed     = "CORRIDOR_NATS_LEAF_SEED"
	EnvMemberLeafCA       = "CORRIDOR_NATS_LEAF_CA"
	EnvMemberLeafCert     = "CORRIDOR_NATS_LEAF_CERT"
	EnvMemberLeafKey      = "CORRIDOR_NATS_LEAF_KEY"
	EnvMemberRelayNkey    = "CORRIDOR_NATS_RELAY_NKEY"
	EnvMemberOperatorNkey = "CORRIDOR_NATS_OPERATOR_NKEY"
	EnvMemberSysNkey      = "CORRIDOR_NATS_SYS_NKEY"
	// EnvMemberPublisherNkey is read by the coordinator's server only.
	EnvMemberPublisherNkey = "CORRIDOR_NATS_PUBLISHER_NKEY"
)

// The users the member configurations define in the account that holds the
// streams.
const (
	// UserRelay is the relay's user: full rights in the stream account except
	// deleting or purging streams and messages.
	UserRelay = "relay"
	// UserOperator has full rights in the stream account (operators, tests,
	// the sandbox).
	UserOperator = "operator"
	// UserSys is the system account's user, on the hub and on every member.
	UserSys = "sys"
	// UserPublisher, on the coordinator's server only, is the one user that
	// may put directory versions into the bucket members mirror.
	UserPublisher = "publisher"
)

// Account names used by the configurations.
const (
	// AccountStreams holds a member's OUTBOX and INBOX.
	AccountStreams = "CORRIDOR"
	// AccountLink is the member's account the leaf link to the hub is bound to.
	AccountLink = "LINK"
	// AccountSys is the system account, on the hub and on every member.
	AccountSys = "SYS"
)

// HubAccount returns the name of member's account on the hub ("CI").
func HubAccount(member string) string { return strings.ToUpper(member) }

// HubEnv holds what deploy/nats/hub.conf reads from the environment. It
// holds no secret: members and the system user are known by the public keys
// of their nkeys, and the TLS key is a path to a file.
type HubEnv struct {
	Host        string
	Port        int // client port; -1 picks a free one
	LeafPort    int // must be a real port: members dial it
	MonitorPort int // 0 turns monitoring off; -1 picks a free port
	// LeafNkeys holds the public key of each member's leaf nkey, by member
	// domain ("ci", "bf", "coord").
	LeafNkeys map[string]string
	// SysNkey is the public key of the system account's user.
	SysNkey string
	// TLS is the leaf listener's certificate and key, and the CA that
	// verifies members' client certificates.
	TLS TLSFiles
}

// NewHubEnv returns an environment for the hub listening on host with free
// ports, knowing members by leafNkeys (public keys by member) and serving
// the leaf listener with tls.
func NewHubEnv(host string, leafNkeys map[string]string, sysNkey string, tls TLSFiles) (HubEnv, error) {
	e := HubEnv{Host: host, LeafNkeys: leafNkeys, SysNkey: sysNkey, TLS: tls}
	for m := range leafNkeys {
		if err := checkMember(m); err != nil {
			return HubEnv{}, err
		}
	}
	var err error
	for _, p := range []*int{&e.Port, &e.LeafPort, &e.MonitorPort} {
		if *p, err = FreePort(host); err != nil {
			return HubEnv{}, err
		}
	}
	return e, nil
}

// Vars returns the variables to set for hub.conf. The configuration names
// every member's nkey variable, so a member the hub knows but e lacks fails
// the load; that is the caller's to fill.
func (e HubEnv) Vars() map[string]string {
	v := map[string]string{
		EnvHubHost:        e.Host,
		EnvHubPort:        strconv.Itoa(e.Port),
		EnvHubLeafPort:    strconv.Itoa(e.LeafPort),
		EnvHubMonitorPort: strconv.Itoa(e.MonitorPort),
		EnvHubSysNkey:     e.SysNkey,
		EnvHubTLSCA:       e.TLS.CA,
		EnvHubTLSCert:     e.TLS.Cert,
		EnvHubTLSKey:      e.TLS.Key,
	}
	for m, k := range e.LeafNkeys {
		v[EnvHubLeafNkey(m)] = k
	}
	return v
}

// LeafURL returns the URL members' servers dial. It carries no
// credentials: a member proves who it is with its nkey, over TLS.
func (e HubEnv) LeafURL() string {
	u := url.URL{Scheme: "nats-leaf", Host: net.JoinHostPort(e.Host, strconv.Itoa(e.LeafPort))}
	return u.String()
}

// MemberEnv holds what deploy/nats/member.conf reads from the environment.
type MemberEnv struct {
	Member      string // domain: "ci", "bf", "coord"
	Host        string
	Port        int // client port; -1 picks a free one
	MonitorPort int // 0 turns monitoring off; -1 picks a free port
	StoreDir    string
	HubURL      string // nats-leaf://host:port
	// LeafSeed is the seed of the member's leaf nkey; the hub knows its
	// public key.
	LeafSeed string
	// LeafTLS is the member's client certificate and key for the leaf link,
	// and the CA that verifies the hub's.
	LeafTLS TLSFiles
	// Users are the public keys of the member's own users.
	Users UserNkeys
}

// UserNkeys are the public keys (U...) of the users a member's server
// defines: the configuration holds these only, and each user signs in
// with the seed of its nkey, a file that never leaves the machine of the
// process that uses it. No user has a password.
type UserNkeys struct {
	// Relay is the relay's user (on the coordinator's server, the
	// coordinator service's), limited to what the service needs.
	Relay string
	// Operator has full rights in the account holding the streams.
	Operator string
	// Sys is the system account's user.
	Sys string
	// Publisher puts directory versions into the bucket; the coordinator's
	// server alone has this user, and other members' ignore the key.
	Publisher string
}

// NewMemberEnv returns an environment for member listening on host, storing
// under storeDir, linked to the hub described by hub with leafSeed and
// leafTLS, knowing its own users by users, with free ports.
func NewMemberEnv(member, host, storeDir string, hub HubEnv, leafSeed string, leafTLS TLSFiles, users UserNkeys) (MemberEnv, error) {
	if err := checkMember(member); err != nil {
		return MemberEnv{}, err
	}
	e := MemberEnv{Member: member, Host: host, StoreDir: storeDir, HubURL: hub.LeafURL(), LeafSeed: leafSeed, LeafTLS: leafTLS, Users: users}
	var err error
	for _, p := range []*int{&e.Port, &e.MonitorPort} {
		if *p, err = FreePort(host); err != nil {
			return MemberEnv{}, err
		}
	}
	return e, nil
}

// Vars returns the variables to set for the member's configuration.
func (e MemberEnv) Vars() map[string]string {
	return map[string]string{
		EnvMemberHost:          e.Host,
		EnvMemberPort:          strconv.Itoa(e.Port),
		EnvMemberMonitorPort:   strconv.Itoa(e.MonitorPort),
		EnvMemberStoreDir:      e.StoreDir,
		EnvMemberHubURL:        e.HubURL,
		EnvMemberLeafSeed:      e.LeafSeed,
		EnvMemberLeafCA:        e.LeafTLS.CA,
		EnvMemberLeafCert:      e.LeafTLS.Cert,
		EnvMemberLeafKey:       e.LeafTLS.Key,
		EnvMemberRelayNkey:     e.Users.Relay,
		EnvMemberOperatorNkey:  e.Users.Operator,
		EnvMemberSysNkey:       e.Users.Sys,
		EnvMemberPublisherNkey: e.Users.Publisher,
	}
}

// Environ returns vars as KEY=value lines for exec.Cmd.Env.
func Environ(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// FreePort returns a TCP port on host that was free a moment ago. Another
// process may take it before the caller binds it; prefer -1 where the
// configuration allows it.
func FreePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("find free port: listener has no TCP address")
	}
	return addr.Port, nil
}

var memberPattern = regexp.MustCompile(`^[a-z][a-z0-9]{1,15}$`)

func checkMember(m string) error {
	if !memberPattern.MatchString(m) {
		return fmt.Errorf("check member: %q is not a lower-case member domain", m)
	}
	return nil
}
