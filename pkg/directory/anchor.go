package directory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/corridor-org/corridor/pkg/directory/internal/atomicfile"
	"github.com/corridor-org/corridor/pkg/validation"
)

// An anchor is the trust a member configures before it has accepted any
// directory version: the corridor's id and its governance (keys and
// threshold), obtained out of band when the member joins (corridorctl
// directory anchor writes it from a version checked by hand). The first
// version a relay accepts must be signed by a threshold of the anchor's
// members; every later one by a threshold of the version in force.

// anchorFile is the anchor's file format.
type anchorFile struct {
	Corridor   string     `json:"corridor"`
	Governance Governance `json:"governance"`
}

// AnchorOf returns the anchor that d's governance makes.
func AnchorOf(d *Directory) (Trust, error) {
	if d.Governance == nil {
		return Trust{}, fmt.Errorf("anchor of corridor %s: the directory has no governance", d.Corridor)
	}
	return Trust{Corridor: d.Corridor, Governance: *d.Governance}, nil
}

// LoadAnchor reads and checks the anchor file at path.
func LoadAnchor(path string) (Trust, error) {
	data, err := readLimited(path)
	if err != nil {
		return Trust{}, fmt.Errorf("load directory anchor: %w", err)
	}
	var a anchorFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return Trust{}, fmt.Errorf("load directory anchor %s: not valid JSON: %w", path, err)
	}
	t := Trust{Corridor: a.Corridor, Governance: a.Governance}
	if err := t.validate(); err != nil {
		return Trust{}, fmt.Errorf("load directory anchor %s: %w", path, err)
	}
	return t, nil
}

// SaveAnchor writes t's corridor and governance as an anchor file at path
// (mode 0644: it holds public keys only).
func SaveAnchor(path string, t Trust) error {
	if err := t.validate(); err != nil {
		return fmt.Errorf("save directory anchor: %w", err)
	}
	b, err := json.MarshalIndent(anchorFile{Corridor: t.Corridor, Governance: t.Governance}, "", "  ")
	if err != nil {
		return fmt.Errorf("save directory anchor: %w", err)
	}
	if err := atomicfile.Write(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("save directory anchor: %w", err)
	}
	return nil
}

// validate checks an anchor with the directory's own rules for governance.
func (t Trust) validate() error {
	if !validation.IsIdent(t.Corridor) {
		return fmt.Errorf("corridor %q is not an identifier", t.Corridor)
	}
	if t.Governance.Threshold < 1 || len(t.Governance.Keys) == 0 {
		return fmt.Errorf("governance needs keys and a threshold of at least 1")
	}
	val, err := validation.Default()
	if err != nil {
		return fmt.Errorf("governance: %w", err)
	}
	if err := val.Check("invalid governance", t.Governance); err != nil {
		return fmt.Errorf("governance: %w", err)
	}
	d := &Directory{Governance: &t.Governance}
	for _, m := range t.Governance.Members() {
		d.Members = append(d.Members, Member{Code: m})
	}
	var problems []string
	d.validateGovernance(map[string]bool{}, func(field, format string, args ...any) {
		problems = append(problems, field+" "+fmt.Sprintf(format, args...))
	})
	if len(problems) > 0 {
		return fmt.Errorf("governance: %v", problems)
	}
	return nil
}

// readLimited reads a file of at most MaxSignedSize bytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSignedSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxSignedSize {
		return nil, fmt.Errorf("read %s: larger than %d bytes: %w", path, MaxSignedSize, ErrMalformed)
	}
	return data, nil
}
