package streams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
)

// MinServerVersion is the oldest nats-server the corridor runs on: the
// version whose behaviour the tests under pkg/natstest pin (flow control
// across the hub, the leaf account's domain mapping). Raise it with the
// server in pkg/go.mod, after those tests pass on the new one.
const MinServerVersion = "2.15.2"

// FeatureAckFlowControlV2 is the server feature flag that puts the origin's
// domain into flow-control and ack subjects. Without it a member's outgoing
// sources stall silently after about 2 MiB (deploy/nats/README.md, trap 2).
const FeatureAckFlowControlV2 = "js_ack_fc_v2"

// ErrServerUnsuitable marks a server a service must not run against: too
// old, without a feature the corridor relies on, or another member's. It is
// not retried: the service refuses to start.
var ErrServerUnsuitable = errors.New("unsuitable NATS server")

// ServerInfo is what CheckServer reads about the server a connection is on.
type ServerInfo struct {
	Version      string          `json:"ver"`
	Domain       string          `json:"domain"`
	FeatureFlags map[string]bool `json:"feature_flags"`
}

// userInfoSubject is answered by the server itself for any user: it
// describes the user and, in the envelope, the server (version, JetStream
// domain, feature flags), which nothing else a plain account user may call
// does.
const userInfoSubject = "$SYS.REQ.USER.INFO"

// CheckServer asks the server nc is connected to about itself and returns
// an error wrapping ErrServerUnsuitable unless SuitableServer accepts it.
func CheckServer(ctx context.Context, nc *nats.Conn, member string) error {
	msg, err := nc.RequestWithContext(ctx, userInfoSubject, nil)
	if err != nil {
		return fmt.Errorf("check nats server: ask %s: %w", userInfoSubject, err)
	}
	var resp struct {
		Server *ServerInfo `json:"server"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil || resp.Server == nil {
		return fmt.Errorf("check nats server: %w: no server description in the answer to %s", ErrServerUnsuitable, userInfoSubject)
	}
	return SuitableServer(*resp.Server, member)
}

// SuitableServer checks that a server runs at least MinServerVersion, has
// FeatureAckFlowControlV2 on, and is member's (its JetStream domain).
func SuitableServer(info ServerInfo, member string) error {
	var bad []string
	if older, err := versionBefore(info.Version, MinServerVersion); err != nil {
		bad = append(bad, err.Error())
	} else if older {
		bad = append(bad, fmt.Sprintf("version %s is older than %s", info.Version, MinServerVersion))
	}
	if !info.FeatureFlags[FeatureAckFlowControlV2] {
		bad = append(bad, "feature flag "+FeatureAckFlowControlV2+" is off")
	}
	if info.Domain != member {
		bad = append(bad, fmt.Sprintf("JetStream domain is %q, not %q", info.Domain, member))
	}
	if len(bad) > 0 {
		return fmt.Errorf("check nats server: %w: %s", ErrServerUnsuitable, strings.Join(bad, "; "))
	}
	return nil
}

// versionBefore reports whether version v (major.minor.patch, with an
// optional -suffix) is older than min. A pre-release of min counts as
// older.
func versionBefore(v, min string) (bool, error) {
	a, aPre, err := parseVersion(v)
	if err != nil {
		return false, err
	}
	b, _, err := parseVersion(min)
	if err != nil {
		return false, err
	}
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i], nil
		}
	}
	return aPre, nil
}

func parseVersion(v string) (nums [3]int, pre bool, err error) {
	core, suffix, hasSuffix := strings.Cut(v, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return nums, false, fmt.Errorf("version %q is not major.minor.patch", v)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nums, false, fmt.Errorf("version %q is not major.minor.patch", v)
		}
		nums[i] = n
	}
	return nums, hasSuffix && suffix != "", nil
}
