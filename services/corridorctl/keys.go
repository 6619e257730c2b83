package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
)

const day = 24 * time.Hour

// refuseOverwrite fails if path exists: overwriting a key file loses keys
// that envelopes in flight were sealed to.
func refuseOverwrite(path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists; corridorctl never overwrites a key file (move it away first)", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func memberCode(s string) corridor.MemberCode {
	return corridor.MemberCode(strings.ToUpper(strings.TrimSpace(s)))
}

func keysGenerate(_ context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	member := fs.String("member", "", "member code (CI, BF, COORD)")
	out := fs.String("out", "", "key file to create (mode 0600)")
	notBefore := fs.String("not-before", "", "start of validity, RFC 3339 (default now)")
	validFor := fs.Duration("valid-for", 2*365*day, "validity of the keys")
	if err := parse(fs, args, "member", "out"); err != nil {
		return err
	}
	from, err := timeFlag("not-before", *notBefore, t.now())
	if err != nil {
		return err
	}
	if err := refuseOverwrite(*out); err != nil {
		return err
	}
	f, err := keyfile.Generate(memberCode(*member), from, from.Add(*validFor))
	if err != nil {
		return err
	}
	if err := f.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(t.stdout, "wrote %s: signing key %s, encryption key %s of %s, valid %s to %s\n",
		*out, f.SigningKeys[0].ID, f.DecryptionKeys[0].ID, f.Member, rfc3339(from), rfc3339(from.Add(*validFor)))
	fmt.Fprintf(t.stdout, "list its public keys in the directory: corridorctl keys public -keys %s\n", *out)
	return nil
}

func keysGovernance(_ context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	member := fs.String("member", "", "member code of the officer's member")
	out := fs.String("out", "", "governance key file to create (mode 0600); keep it offline")
	if err := parse(fs, args, "member", "out"); err != nil {
		return err
	}
	if err := refuseOverwrite(*out); err != nil {
		return err
	}
	g, err := keyfile.GenerateGovernance(memberCode(*member))
	if err != nil {
		return err
	}
	if err := g.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(t.stdout, "wrote %s: governance key %s of %s\n", *out, g.ID, g.Member)
	fmt.Fprintf(t.stdout, "add its public key to the directory's governance: corridorctl keys public -governance %s\n", *out)
	return nil
}

// publicEntries is what keys public prints: JSON to paste into a draft.
type publicEntries struct {
	Member         corridor.MemberCode       `json:"member"`
	EncryptionKeys []directory.Key           `json:"encryption_keys,omitempty"`
	SigningKeys    []directory.Key           `json:"signing_keys,omitempty"`
	Governance     []directory.GovernanceKey `json:"governance_keys,omitempty"`
}

func keysPublic(_ context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	keys := fs.String("keys", "", "a member's key file")
	gov := fs.String("governance", "", "a governance key file")
	if err := parse(fs, args); err != nil {
		return err
	}
	var out publicEntries
	switch {
	case (*keys == "") == (*gov == ""):
		return errors.New("give exactly one of -keys and -governance")
	case *keys != "":
		f, err := keyfile.Load(*keys)
		if err != nil {
			return err
		}
		enc, sig, err := f.PublicKeys()
		if err != nil {
			return err
		}
		out = publicEntries{Member: f.Member, EncryptionKeys: enc, SigningKeys: sig}
	default:
		g, err := keyfile.LoadGovernance(*gov)
		if err != nil {
			return err
		}
		out = publicEntries{Member: g.Member, Governance: []directory.GovernanceKey{g.PublicKey()}}
	}
	return printJSON(t, out)
}

func keyRotate(_ context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	keys := fs.String("keys", "", "the member's key file, rewritten with the new keys")
	draft := fs.String("draft", "", "draft directory (from directory show) whose entry for the member is updated")
	kind := fs.String("kind", "both", "keys to rotate: signing, encryption or both")
	notBefore := fs.String("not-before", "", "when the new keys take over, RFC 3339 (default in 24 hours); the directory listing them must be published before")
	overlap := fs.Duration("overlap", 30*day, "how long the old keys stay valid after the takeover")
	validFor := fs.Duration("valid-for", 2*365*day, "validity of the new keys from the takeover")
	if err := parse(fs, args, "keys", "draft"); err != nil {
		return err
	}
	r := keyfile.Rotation{NotBefore: t.now().Add(day).UTC().Truncate(time.Second), Overlap: *overlap, ValidFor: *validFor}
	switch *kind {
	case "both":
		r.Signing, r.Encryption = true, true
	case "signing":
		r.Signing = true
	case "encryption":
		r.Encryption = true
	default:
		return fmt.Errorf("-kind %q: want signing, encryption or both", *kind)
	}
	if *notBefore != "" {
		var err error
		if r.NotBefore, err = timeFlag("not-before", *notBefore, time.Time{}); err != nil {
			return err
		}
	}
	if !r.NotBefore.After(t.now()) {
		return fmt.Errorf("-not-before %s is not in the future: peers would seal to a key before the directory listing it reaches them", rfc3339(r.NotBefore))
	}
	f, err := keyfile.Load(*keys)
	if err != nil {
		return err
	}
	d, err := loadDraft(*draft)
	if err != nil {
		return err
	}
	i := memberIndex(d, f.Member)
	if i < 0 {
		return fmt.Errorf("member %s of %s is not in the draft %s", f.Member, *keys, *draft)
	}
	ids, err := f.Rotate(r)
	if err != nil {
		return err
	}
	enc, sig, err := f.PublicKeys()
	if err != nil {
		return err
	}
	d.Members[i].EncryptionKeys, d.Members[i].SigningKeys = enc, sig
	if err := d.Validate(); err != nil {
		return err
	}
	// The key file first: a draft listing keys whose private halves were
	// lost would be worse than a key file with keys not yet published.
	if err := f.Save(*keys); err != nil {
		return err
	}
	if err := d.Save(*draft); err != nil {
		return err
	}
	fmt.Fprintf(t.stdout, "added %s to %s; they take over at %s, the old keys end at %s\n",
		strings.Join(ids, ", "), *keys, rfc3339(r.NotBefore), rfc3339(r.NotBefore.Add(r.Overlap)))
	fmt.Fprintf(t.stdout, "next: restart %s's relay with %s, then propose, co-sign and publish %s before %s\n",
		f.Member, *keys, *draft, rfc3339(r.NotBefore))
	return nil
}

func memberIndex(d *directory.Directory, code corridor.MemberCode) int {
	for i, m := range d.Members {
		if m.Code == code {
			return i
		}
	}
	return -1
}

func timeFlag(name, value string, def time.Time) (time.Time, error) {
	if value == "" {
		return def.UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, fmt.Errorf("-%s: %w", name, err)
	}
	return t.UTC(), nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func printJSON(t *tool, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(t.stdout, "%s\n", b)
	return err
}
