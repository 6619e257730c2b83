// Package referraltest holds the fixtures that the referral and codec
// tests share: a small directory, an inspector, the example documents and
// the API's way of decoding a body.
package referraltest

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
)

// Directory is a corridor directory of agencies by member.
type Directory map[corridor.MemberCode]map[string]referral.Agency

// Agency implements referral.Directory.
func (d Directory) Agency(_ context.Context, m corridor.MemberCode, id string) (referral.Agency, error) {
	a, ok := d[m][id]
	if !ok {
		return referral.Agency{}, corridor.Errorf(corridor.KindNotFound, "no such agency")
	}
	return a, nil
}

// Dir is the directory docs/examples/referral.json is written for.
var Dir = Directory{
	"CI": {"CI-DGT": {}},
	"BF": {"BF-DPE": {Services: []string{"family_tracing", "reunification", "education"}}},
}

// Inspector is CI's labour inspector, who files the example.
var Inspector = referral.Caller{Member: "CI", Agency: "CI-DGT", UserID: "ci-inspector", Roles: []corridor.Role{corridor.RoleInspector}}

// Example returns docs/examples/referral.json.
func Example(t testing.TB) []byte {
	t.Helper()
	return ReadExample(t, "referral.json")
}

// ReadExample reads a file of docs/examples.
func ReadExample(t testing.TB, name string) []byte {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "docs", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(root)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// NewValidator returns a referral validator whose clock reads 1 November 2026.
func NewValidator(t testing.TB) *referral.Validator {
	t.Helper()
	v, err := referral.NewValidator(func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Decode decodes body as the API does.
func Decode(body []byte) (*referral.Document, error) {
	req := httptest.NewRequest("POST", "/api/v1/referrals", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	var d referral.Document
	if err := httpapi.DecodeJSON(req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
