package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
)

// loadDraft reads a draft directory: a directory document, unsigned, as
// directory show prints it. It must validate; its version and times are
// set by propose.
func loadDraft(path string) (*directory.Directory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read draft: %w", err)
	}
	var d directory.Directory
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("read draft %s: not valid JSON: %w", path, err)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("read draft %s: %w", path, describe(err))
	}
	return &d, nil
}

// describe spells out a *corridor.Error's field errors, which its Error
// method leaves out, for a person at a terminal.
func describe(err error) error {
	var ce *corridor.Error
	if !errors.As(err, &ce) || len(ce.Fields) == 0 {
		return err
	}
	var b strings.Builder
	for _, f := range ce.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return fmt.Errorf("%w:%s", err, b.String())
}

// inForce reads the version in force at path: a version published earlier,
// checked against its own governance (VerifySelf) and not the clock.
func inForce(path string) (*directory.Directory, directory.Trust, error) {
	s, err := directory.LoadSigned(path)
	if err != nil {
		return nil, directory.Trust{}, fmt.Errorf("version in force: %w", err)
	}
	v, err := directory.VerifySelf(s)
	if err != nil {
		return nil, directory.Trust{}, fmt.Errorf("version in force %s: %w", path, err)
	}
	return v.Directory, directory.TrustIn(v.Directory, s), nil
}

// trustFrom returns the trust to verify against: the version in force at
// inForcePath, or the anchor at anchorPath; exactly one must be given.
func trustFrom(inForcePath, anchorPath string) (directory.Trust, error) {
	switch {
	case (inForcePath == "") == (anchorPath == ""):
		return directory.Trust{}, errors.New("give exactly one of -in-force and -anchor")
	case anchorPath != "":
		return directory.LoadAnchor(anchorPath)
	default:
		_, t, err := inForce(inForcePath)
		return t, err
	}
}

func directoryShow(_ context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	in := fs.String("in", "", "signed directory")
	if err := parse(fs, args, "in"); err != nil {
		return err
	}
	s, err := directory.LoadSigned(*in)
	if err != nil {
		return err
	}
	_, err = t.stdout.Write(s.Document)
	return err
}

func directoryPropose(_ context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	draftPath := fs.String("draft", "", "draft directory (JSON, as directory show prints it)")
	inForcePath := fs.String("in-force", "", "the version in force: the proposal is its version + 1 and keeps its governance unless the draft changes it")
	validFor := fs.Duration("valid-for", 30*day, "how long the version stays valid; relays fail closed after")
	out := fs.String("out", "", "proposal to write (a signed directory without signatures yet)")
	if err := parse(fs, args, "draft", "out"); err != nil {
		return err
	}
	d, err := loadDraft(*draftPath)
	if err != nil {
		return err
	}
	if *inForcePath != "" {
		cur, _, err := inForce(*inForcePath)
		if err != nil {
			return err
		}
		if cur.Corridor != d.Corridor {
			return fmt.Errorf("the draft is of corridor %q, the version in force of %q", d.Corridor, cur.Corridor)
		}
		d.Version = cur.Version + 1
		if d.Governance == nil {
			d.Governance = cur.Governance
		}
	}
	now := t.now().UTC().Truncate(time.Second)
	d.IssuedAt, d.ExpiresAt = now, now.Add(*validFor)
	s, err := directory.Propose(d)
	if err != nil {
		return describe(err)
	}
	if err := s.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(t.stdout, "wrote %s: corridor %s version %d, valid %s to %s; %d of %s must sign it\n",
		*out, d.Corridor, d.Version, rfc3339(d.IssuedAt), rfc3339(d.ExpiresAt), d.Governance.Threshold, members(d.Governance.Members()))
	return nil
}

func directorySign(_ context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	in := fs.String("in", "", "proposed version to sign")
	key := fs.String("key", "", "your governance key file")
	inForcePath := fs.String("in-force", "", "the version in force, needed only when your key is in its governance and not in the proposal's")
	out := fs.String("out", "", "where to write the signed proposal (default: -in, in place)")
	if err := parse(fs, args, "in", "key"); err != nil {
		return err
	}
	s, err := directory.LoadSigned(*in)
	if err != nil {
		return err
	}
	d, err := s.Directory()
	if err != nil {
		return describe(err)
	}
	g, err := keyfile.LoadGovernance(*key)
	if err != nil {
		return err
	}
	var gov *directory.Governance
	if *inForcePath != "" {
		cur, _, err := inForce(*inForcePath)
		if err != nil {
			return err
		}
		gov = cur.Governance
	}
	if err := g.Sign(s, gov); err != nil {
		return err
	}
	if *out == "" {
		*out = *in
	}
	if err := s.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(t.stdout, "signed corridor %s version %d (document SHA-256 %x) with %s of %s; %d signatures\n",
		d.Corridor, d.Version, sha256.Sum256(s.Document), g.ID, g.Member, len(s.Signatures))
	return nil
}

func directoryVerify(_ context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	in := fs.String("in", "", "signed directory to verify")
	inForcePath := fs.String("in-force", "", "the version in force (a later version must be newer and signed by its governance)")
	anchorPath := fs.String("anchor", "", "the anchor, to verify a first version")
	if err := parse(fs, args, "in"); err != nil {
		return err
	}
	trust, err := trustFrom(*inForcePath, *anchorPath)
	if err != nil {
		return err
	}
	_, v, err := verifyFile(*in, trust, t.now())
	if err != nil {
		return err
	}
	report(t, "valid", v)
	return nil
}

func verifyFile(path string, trust directory.Trust, now time.Time) (*directory.SignedDirectory, *directory.Verified, error) {
	s, err := directory.LoadSigned(path)
	if err != nil {
		return nil, nil, err
	}
	v, err := directory.Verify(s, trust, now)
	if err != nil {
		return nil, nil, describe(err)
	}
	return s, v, nil
}

func report(t *tool, verdict string, v *directory.Verified) {
	d := v.Directory
	fmt.Fprintf(t.stdout, "%s: corridor %s version %d, signed by %s (threshold %d of %s), expires %s\n",
		verdict, d.Corridor, d.Version, members(v.Signers), d.Governance.Threshold, members(d.Governance.Members()), rfc3339(d.ExpiresAt))
}

func directoryPublish(ctx context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	in := fs.String("in", "", "signed directory to publish")
	to := fs.String("to", "", "the file the services watch (CORRIDOR_DIRECTORY); the version there is the one in force")
	natsURL := fs.String("nats-url", "", "publish to the corridor's NATS bucket instead (nkey seed file from NATS_NKEY_SEED_FILE); the version there is the one in force")
	domain := fs.String("domain", "coord", "JetStream domain of the bucket: the coordinator's")
	anchorPath := fs.String("anchor", "", "the anchor, when nothing is published yet")
	if err := parse(fs, args, "in"); err != nil {
		return err
	}
	if (*to == "") == (*natsURL == "") {
		return errors.New("give exactly one of -to and -nats-url")
	}
	if *natsURL != "" {
		return publishToBucket(ctx, t, *in, *natsURL, *domain, *anchorPath)
	}
	var trust directory.Trust
	_, err := os.Stat(*to)
	switch {
	case err == nil:
		if trust, err = trustFrom(*to, ""); err != nil {
			return err
		}
	case errors.Is(err, os.ErrNotExist) && *anchorPath != "":
		if trust, err = directory.LoadAnchor(*anchorPath); err != nil {
			return err
		}
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("nothing is published at %s yet: give -anchor to publish a first version", *to)
	default:
		return err
	}
	s, v, err := verifyFile(*in, trust, t.now())
	if err != nil {
		return fmt.Errorf("not published: %w", err)
	}
	if v.Unchanged {
		fmt.Fprintf(t.stdout, "version %d is already published at %s\n", v.Directory.Version, *to)
		return nil
	}
	if err := s.Save(*to); err != nil {
		return err
	}
	report(t, "published to "+*to, v)
	return nil
}

func directoryAnchor(_ context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	in := fs.String("in", "", "signed directory, checked by hand (compare its SHA-256 with the other members')")
	out := fs.String("out", "", "anchor file to write (CORRIDOR_DIRECTORY_ANCHOR)")
	if err := parse(fs, args, "in", "out"); err != nil {
		return err
	}
	s, err := directory.LoadSigned(*in)
	if err != nil {
		return err
	}
	v, err := directory.VerifySelf(s)
	if err != nil {
		return describe(err)
	}
	a, err := directory.AnchorOf(v.Directory)
	if err != nil {
		return err
	}
	if err := directory.SaveAnchor(*out, a); err != nil {
		return err
	}
	b, err := os.ReadFile(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(t.stdout, "wrote %s: corridor %s, %d of %s; anchor SHA-256 %x\n",
		*out, a.Corridor, a.Governance.Threshold, members(a.Governance.Members()), sha256.Sum256(b))
	return nil
}

func members(ms []corridor.MemberCode) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}
