package referral_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
)

type directory map[corridor.MemberCode]map[string]referral.Agency

func (d directory) Agency(_ context.Context, m corridor.MemberCode, id string) (referral.Agency, error) {
	a, ok := d[m][id]
	if !ok {
		return referral.Agency{}, corridor.Errorf(corridor.KindNotFound, "no such agency")
	}
	return a, nil
}

var dir = directory{
	"CI": {"CI-DGT": {}},
	"BF": {"BF-DPE": {Services: []string{"family_tracing", "reunification", "education"}}},
}

var inspector = referral.Caller{Member: "CI", Agency: "CI-DGT", UserID: "ci-inspector", Roles: []corridor.Role{corridor.RoleInspector}}

func example(t testing.TB) []byte {
	t.Helper()
	return readExample(t, "referral.json")
}

// readExample reads a file of docs/examples.
func readExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newValidator(t testing.TB) *referral.Validator {
	t.Helper()
	v, err := referral.NewValidator(func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// decode decodes body as the API does.
func decode(body []byte) (*referral.Document, error) {
	req := httptest.NewRequest("POST", "/api/v1/referrals", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	var d referral.Document
	if err := httpapi.DecodeJSON(req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// roundTrip maps d to the wire and back, through the protobuf encoding.
func roundTrip(t testing.TB, d *referral.Document, r referral.Routing) (*referral.Document, referral.Routing) {
	t.Helper()
	b, err := proto.Marshal(referral.ToProto(d, r))
	if err != nil {
		t.Fatal(err)
	}
	var p corridorv1.Referral
	if err := proto.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	got, gotRouting, err := referral.FromProto(&p)
	if err != nil {
		t.Fatal(err)
	}
	return got, gotRouting
}

var routing = referral.Routing{ReferralID: "ref-1", CaseRef: "case-1", BaseStatus: "draft",
	SenderMember: "CI", SenderAgency: "CI-DGT", SenderUserID: "ci-inspector", PreviousReferralID: "ref-0"}

// TestWireRoundTrip checks that what one country files is what the other
// reads: every field of the examples survives the protobuf payload.
func TestWireRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"referral.json", "referral-trafficking.json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, err := decode(readExample(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := newValidator(t).Validate(context.Background(), d, inspector, dir); err != nil {
				t.Fatalf("the example does not validate: %v", err)
			}
			d.Normalize()
			// A supervisor's override, as the server completes it.
			d.Consent.Override = &referral.Override{Reason: "Danger", By: "ci-supervisor", Role: "supervisor", DecidedAt: "2026-03-02T10:00:00Z"}
			got, gotRouting := roundTrip(t, d, routing)
			if gotRouting != routing {
				t.Errorf("routing = %+v, want %+v", gotRouting, routing)
			}
			if !reflect.DeepEqual(got, d) {
				want, _ := json.MarshalIndent(d, "", " ")
				have, _ := json.MarshalIndent(got, "", " ")
				t.Errorf("round trip differs:\n got %s\nwant %s", have, want)
			}
		})
	}
}

func TestSectorFromTheWire(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]referral.Sector{
		"A":    {Section: "A"},
		"01":   {Section: "A", Division: "01"},
		"0127": {Section: "A", Division: "01", Class: "0127"},
		"0120": {Section: "A", Division: "01"}, // a class this build does not know
		"9700": {Section: "T", Division: "97", Class: "9700"},
		"03":   {Section: "A", Division: "03"},
		"97":   {Section: "T", Division: "97"},
		"":     {},
		"ZZ":   {},
	} {
		p := referral.ToProto(&referral.Document{}, routing)
		p.Work.Sector = code
		d, _, err := referral.FromProto(p)
		if err != nil {
			t.Fatal(err)
		}
		if d.Work.Sector != want {
			t.Errorf("sector %q read as %+v, want %+v", code, d.Work.Sector, want)
		}
	}
}

func TestFromProtoNeedsRouting(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]*corridorv1.Referral{
		"empty":       {},
		"no routing":  {ReferralId: "ref-1"},
		"no case ref": {ReferralId: "ref-1", Routing: &corridorv1.Routing{}},
		"no id":       {Routing: &corridorv1.Routing{CaseRef: "case-1"}},
	} {
		if _, _, err := referral.FromProto(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestAgeBand(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	age := func(n int) *int { return &n }
	for _, tc := range []struct {
		child referral.Child
		want  string
	}{
		{referral.Child{AgeYears: age(13)}, "12-14"},
		{referral.Child{AgeYears: age(4)}, "0-4"},
		{referral.Child{AgeYears: age(17)}, "15-17"},
		{referral.Child{AgeYears: age(19)}, "18+"},
		{referral.Child{}, "unknown"},
		{referral.Child{DateOfBirth: "2011-06-15"}, "15-17"}, // fifteenth birthday today
		{referral.Child{DateOfBirth: "2011-06-16"}, "12-14"}, // tomorrow
		{referral.Child{DateOfBirth: "2011-07"}, "12-14"},
		{referral.Child{DateOfBirth: "2015"}, "5-11"},
		{referral.Child{DateOfBirth: "2015", AgeYears: age(16)}, "5-11"}, // the date wins
	} {
		if got := tc.child.AgeBand(at); got != tc.want {
			t.Errorf("%+v: band %s, want %s", tc.child, got, tc.want)
		}
	}
}

func TestNULFields(t *testing.T) {
	t.Parallel()
	d := referral.Document{Reason: "ok", Narrative: "a\x00", RequestedServices: []string{"x", "\x00"}}
	d.Child.Name.GivenNames = "\x00"
	got := referral.NULFields(&d)
	want := []string{"requested_services[1]", "child.name.given_names", "narrative"}
	if len(got) != len(want) {
		t.Fatalf("NULFields = %+v, want %v", got, want)
	}
	for i, f := range got {
		if f.Field != want[i] {
			t.Errorf("NULFields[%d] = %s, want %s", i, f.Field, want[i])
		}
	}
}

// FuzzReferral feeds arbitrary bodies through what the API and the
// recipient do with them: nothing may panic, and a body that validates
// must cross the wire unchanged. The seeds run with every go test.
func FuzzReferral(f *testing.F) {
	ex := example(f)
	f.Add(ex)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"child":{"date_of_birth":"2013-02-30","age_years":-5}}`))
	f.Add(bytes.Replace(ex, []byte(`"sex": "male"`), []byte(`"sex": "\u0000"`), 1))
	f.Add(bytes.Replace(ex, []byte(`"given_by": "child"`), []byte(`"override": {"reason": "x"}`), 1))
	f.Add([]byte(`{"work":{"sector":{"section":"A","division":"99"},"coordinates":{"latitude":null}}}`))
	v := newValidator(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := decode(body)
		if err != nil {
			if corridor.KindOf(err) != corridor.KindInvalid {
				t.Fatalf("decode: %v", err)
			}
			return
		}
		if err := v.Validate(context.Background(), d, inspector, dir); err != nil {
			if k := corridor.KindOf(err); k != corridor.KindInvalid && k != corridor.KindForbidden {
				t.Fatalf("validate: %v", err)
			}
			return
		}
		d.Normalize()
		got, _ := roundTrip(t, d, routing)
		if !reflect.DeepEqual(got, d) {
			t.Errorf("a valid referral changed on the wire:\n got %+v\nwant %+v", got, d)
		}
	})
}
