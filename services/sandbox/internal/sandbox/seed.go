package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// ExampleReferralPath is the example referral, relative to the repository
// root: a child found in CI referred to BF's child protection.
const ExampleReferralPath = "docs/examples/referral.json"

// LoadExampleReferral reads the example referral as a JSON object, for
// variants with other synthetic children.
func LoadExampleReferral(root string) (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(root, ExampleReferralPath))
	if err != nil {
		return nil, fmt.Errorf("read example referral: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse example referral: %w", err)
	}
	return doc, nil
}

// SyntheticChild is the identity a referral variant gives its child. The
// values are made up; they exist so that a demo has several cases to show.
type SyntheticChild struct {
	GivenNames  string
	FamilyNames string
	Sex         string // female, male
	// DateOfBirth ("2012-05-14") replaces the example's estimated age when
	// set.
	DateOfBirth string
}

// WithChild returns a copy of the example referral about child instead.
func WithChild(example map[string]any, child SyntheticChild) (map[string]any, error) {
	b, err := json.Marshal(example)
	if err != nil {
		return nil, fmt.Errorf("copy referral: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("copy referral: %w", err)
	}
	c, ok := doc["child"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("copy referral: the example has no child object")
	}
	c["name"] = map[string]any{"given_names": child.GivenNames, "family_names": child.FamilyNames}
	delete(c, "other_names")
	if child.Sex != "" {
		c["sex"] = child.Sex
	}
	if child.DateOfBirth != "" {
		c["date_of_birth"] = child.DateOfBirth
		delete(c, "age_years")
		c["age_estimated"] = false
		delete(c, "age_assessment_method")
	}
	return doc, nil
}

// seedChildren are the sandbox's synthetic cases: the first is accepted, the
// second declined, the third left waiting for BF's decision.
func seedChildren() []SyntheticChild {
	return []SyntheticChild{
		{GivenNames: "Demo Awa", FamilyNames: "Exemple", Sex: "female"},
		{GivenNames: "Demo Salif", FamilyNames: "Exemple", Sex: "male"},
		{GivenNames: "Demo Mariam", FamilyNames: "Exemple", Sex: "female"},
	}
}

// seedDeclineReason is why BF declines the second synthetic case.
const seedDeclineReason = "Demo: the family lives outside the provinces this office covers; please refer to the regional office."

// seed files the synthetic cases through the real API as CI's inspector,
// has BF's caseworker accept one and decline another, and waits until CI
// sees both decisions: a fresh demo opens on a corridor that has been used.
func (s *Sandbox) seed(ctx context.Context, e Endpoints) error {
	ci, bf := e.Members["CI"], e.Members["BF"]
	inspector, err := s.login(ctx, ci.IdP, "ci-inspector")
	if err != nil {
		return err
	}
	caseworker, err := s.login(ctx, bf.IdP, "bf-caseworker")
	if err != nil {
		return err
	}
	ciAPI := API{HTTP: s.client, Base: ci.Casework, Token: inspector.AccessToken}
	bfAPI := API{HTTP: s.client, Base: bf.Casework, Token: caseworker.AccessToken}

	example, err := LoadExampleReferral(s.cfg.Root)
	if err != nil {
		return err
	}
	var ids []string
	for _, child := range seedChildren() {
		doc, err := WithChild(example, child)
		if err != nil {
			return err
		}
		r, err := ciAPI.FileReferral(ctx, doc)
		if err != nil {
			return fmt.Errorf("file referral: %w", err)
		}
		ids = append(ids, r.ID)
	}
	s.logger.Info("synthetic referrals filed", "referrals", ids)

	err = poll(ctx, s.cfg.ReadyTimeout, "the synthetic referrals in BF", func(ctx context.Context) error {
		incoming, err := bfAPI.Referrals(ctx, "incoming")
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !slices.ContainsFunc(incoming, func(r Referral) bool { return r.ID == id }) {
				return fmt.Errorf("referral %s not in BF's incoming list yet", id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := bfAPI.Accept(ctx, ids[0]); err != nil {
		return fmt.Errorf("accept referral: %w", err)
	}
	if err := bfAPI.Decline(ctx, ids[1], seedDeclineReason); err != nil {
		return fmt.Errorf("decline referral: %w", err)
	}
	want := map[string]string{ids[0]: "accepted", ids[1]: "declined"}
	return poll(ctx, s.cfg.ReadyTimeout, "BF's decisions in CI", func(ctx context.Context) error {
		for id, status := range want {
			r, err := ciAPI.Referral(ctx, id)
			if err != nil {
				return err
			}
			if r.Status != status {
				return fmt.Errorf("referral %s is %s in CI, want %s", id, r.Status, status)
			}
		}
		return nil
	})
}
