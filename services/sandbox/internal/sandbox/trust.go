package sandbox

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
)

// Validity of what the sandbox issues. Keys live as long as the sandbox's
// state; the directory is re-issued at every start, so it only has to
// outlast one run.
const (
	keyValidity       = 2 * 365 * 24 * time.Hour
	directoryValidity = 30 * 24 * time.Hour
	// clockSlack backdates what is issued, so that a process whose clock
	// is a little behind does not find it not yet valid.
	clockSlack = time.Hour
)

// trustFiles are the paths of the signed corridor directory, of its anchor
// (the governance the services trust before any version) and of each
// member's private key file.
type trustFiles struct {
	Directory string
	Anchor    string
	Keys      map[corridor.MemberCode]string
	// AuditKeys are each country's audit key file (casework signs its
	// audit trail's checkpoints with it); the public half is beside it,
	// named by auditPublicKey.
	AuditKeys map[corridor.MemberCode]string
}

// leafNkeyName is the state's name for the seed of member server d's leaf
// nkey.
func leafNkeyName(d string) string { return "nats-leaf-" + d }

// governanceThreshold: two of the three members (CI, BF, the coordinator)
// co-sign each directory version.
const governanceThreshold = 2

// prepareTrust creates each member's key file on first start and (re)issues
// the corridor directory: members, their agencies, public keys, identity
// providers and the corridor's time limits.
func (s *Sandbox) prepareTrust(ports map[string]int) (trustFiles, error) {
	tf := trustFiles{Directory: s.path(directoryFile), Anchor: s.path("keys", "directory-anchor.json"), Keys: map[corridor.MemberCode]string{}}
	if err := os.MkdirAll(s.path("keys"), 0o700); err != nil {
		return trustFiles{}, fmt.Errorf("prepare keys: %w", err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	d := &directory.Directory{
		Corridor: corridorID,
		// Every start publishes a new version; a relay keeps the newest.
		Version:    now.Unix(),
		IssuedAt:   now.Add(-clockSlack),
		ExpiresAt:  now.Add(directoryValidity),
		TimeLimits: timeLimits(),
		Targets:    targets(),
	}
	for _, m := range members() {
		path := s.path("keys", m.domain()+".json")
		tf.Keys[m.Code] = path
		f, err := keyfile.Load(path)
		if errors.Is(err, os.ErrNotExist) {
			f, err = keyfile.Generate(m.Code, now.Add(-clockSlack), now.Add(keyValidity))
			if err == nil {
				err = f.Save(path)
			}
		}
		if err != nil {
			return trustFiles{}, fmt.Errorf("prepare keys of %s: %w", m.Code, err)
		}
		enc, sig, err := f.PublicKeys()
		if err != nil {
			return trustFiles{}, fmt.Errorf("prepare keys of %s: %w", m.Code, err)
		}
		// The member server's leaf link signs in to the hub with this
		// nkey; the hub learns its public key from the directory.
		leaf, err := s.nkey(leafNkeyName(m.domain()))
		if err != nil {
			return trustFiles{}, fmt.Errorf("prepare keys of %s: %w", m.Code, err)
		}
		entry := directory.Member{
			Code:            m.Code,
			Name:            m.Name,
			JetStreamDomain: m.domain(),
			OIDC:            &directory.OIDC{Issuer: httpURL(ports["idp-"+m.domain()]), Audience: m.audience()},
			EncryptionKeys:  enc,
			SigningKeys:     sig,
			NATS:            &directory.NATSIdentity{LeafNkey: leaf.Public},
		}
		for _, a := range agencies() {
			if a.Member == m.Code {
				da := directory.Agency{ID: a.ID, Name: a.Name, Services: a.Services, Places: a.Places}
				if m.Country {
					da.Notify = noticeWebhook(ports, a.ID)
				}
				entry.Agencies = append(entry.Agencies, da)
			}
		}
		d.Members = append(d.Members, entry)
	}
	if err := s.signDirectory(d, tf); err != nil {
		return trustFiles{}, fmt.Errorf("issue corridor directory: %w", err)
	}
	auditKeys, err := s.prepareAuditKeys()
	if err != nil {
		return trustFiles{}, err
	}
	tf.AuditKeys = auditKeys
	return tf, nil
}

// signDirectory gives d the sandbox's governance (each member's governance
// key, made on first start), has the two countries co-sign it, and writes
// it with its anchor. The countries' signatures meet the threshold; the
// coordinator's key is the third that could stand in for either.
func (s *Sandbox) signDirectory(d *directory.Directory, tf trustFiles) error {
	d.Governance = &directory.Governance{Threshold: governanceThreshold}
	signers := map[corridor.MemberCode]*keyfile.GovernanceFile{}
	for _, m := range members() {
		path := s.path("keys", "governance-"+m.domain()+".json")
		g, err := keyfile.LoadGovernance(path)
		if errors.Is(err, os.ErrNotExist) {
			g, err = keyfile.GenerateGovernance(m.Code)
			if err == nil {
				err = g.Save(path)
			}
		}
		if err != nil {
			return fmt.Errorf("governance key of %s: %w", m.Code, err)
		}
		d.Governance.Keys = append(d.Governance.Keys, g.PublicKey())
		signers[m.Code] = g
	}
	signed, err := directory.Propose(d)
	if err != nil {
		return err
	}
	for _, m := range countries() {
		if err := signers[m.Code].Sign(signed, nil); err != nil {
			return err
		}
	}
	anchor, err := directory.AnchorOf(d)
	if err != nil {
		return err
	}
	if err := directory.SaveAnchor(tf.Anchor, anchor); err != nil {
		return err
	}
	return signed.Save(tf.Directory)
}

// timeLimits are the sandbox corridor's agreed delays: a decision within
// three days of delivery, an answer to an information request within five,
// the handover within a month, and a follow-up visit at least every six
// months (the cocoa sector's monitoring practice).
func timeLimits() directory.TimeLimits {
	return directory.TimeLimits{
		RespondWithinHours:             72,
		InformationResponseWithinHours: 120,
		HandoverWithinDays:             30,
		FollowUpEveryDays:              180,
	}
}

// targets are the sandbox corridor's joint targets: nine referrals in ten
// decided within the time limit, each month; every child handed over
// followed up within six months, each quarter.
func targets() []directory.Target {
	return []directory.Target{
		{ID: "decisions-in-time", Indicator: "decided_within_limit", Percent: 90, Period: "month",
			Description: "90 % of referrals decided within the time limit"},
		{ID: "follow-up-six-months", Indicator: "followed_up_within_days", WithinDays: 183, Percent: 100, Period: "quarter",
			Description: "every handed-over child followed up within six months"},
	}
}

// ReissueDirectory issues the corridor directory again from the members'
// key files as they are now, as a new version: after a member rotated its
// keys, every service takes the new version at its next look. The fault
// tests rotate keys mid-flight with it.
func (s *Sandbox) ReissueDirectory() error {
	ports, err := s.allocatePorts()
	if err != nil {
		return err
	}
	if _, err := s.prepareTrust(ports); err != nil {
		return fmt.Errorf("reissue directory: %w", err)
	}
	return nil
}

// loadDirectory reads the signed directory the sandbox issued at path.
func loadDirectory(path string) (*directory.Directory, error) {
	signed, err := directory.LoadSigned(path)
	if err != nil {
		return nil, err
	}
	return signed.Directory()
}

// leafNkeysOf returns the public leaf nkeys d names, by JetStream domain:
// what the hub's configuration admits.
func leafNkeysOf(d *directory.Directory) (map[string]string, error) {
	keys := map[string]string{}
	for _, m := range d.Members {
		if m.NATS == nil {
			return nil, fmt.Errorf("directory: %s names no NATS identity", m.Code)
		}
		keys[m.JetStreamDomain] = m.NATS.LeafNkey
	}
	return keys, nil
}

// prepareAuditKeys creates each country's audit key on first start, with
// its public half for corridorctl audit verify -public-key.
func (s *Sandbox) prepareAuditKeys() (map[corridor.MemberCode]string, error) {
	keys := map[corridor.MemberCode]string{}
	for _, m := range countries() {
		path := s.path("keys", "audit-"+m.domain()+".json")
		a, err := keyfile.LoadAudit(path)
		if errors.Is(err, os.ErrNotExist) {
			a, err = keyfile.GenerateAudit(m.Code)
			if err == nil {
				err = a.Save(path)
			}
		}
		if err == nil {
			// Written on every start, so a lost public half comes back.
			err = a.Public().Save(auditPublicKey(path))
		}
		if err != nil {
			return nil, fmt.Errorf("prepare audit key of %s: %w", m.Code, err)
		}
		keys[m.Code] = path
	}
	return keys, nil
}

// auditPublicKey is where the public half of the audit key file at path
// is: audit-ci.json's in audit-ci.pub.json.
func auditPublicKey(path string) string { return strings.TrimSuffix(path, ".json") + ".pub.json" }
