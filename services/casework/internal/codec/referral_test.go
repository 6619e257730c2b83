package codec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
	"github.com/corridor-org/corridor/services/casework/internal/codec"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
	"github.com/corridor-org/corridor/services/casework/internal/referral/referraltest"
)

// The shared fixtures, under the names these tests use.
var (
	dir          = referraltest.Dir
	inspector    = referraltest.Inspector
	example      = referraltest.Example
	readExample  = referraltest.ReadExample
	newValidator = referraltest.NewValidator
	decode       = referraltest.Decode
)

// roundTrip maps d to the wire and back, through the protobuf encoding.
func roundTrip(t testing.TB, d *referral.Document, r codec.Routing) (*referral.Document, codec.Routing) {
	t.Helper()
	b, err := codec.EncodeReferral(d, r)
	if err != nil {
		t.Fatal(err)
	}
	got, gotRouting, err := codec.DecodeReferral(b)
	if err != nil {
		t.Fatal(err)
	}
	return got, gotRouting
}

var routing = codec.Routing{ReferralID: "ref-1", CaseRef: "case-1", BaseStatus: "draft",
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
		p := codec.ToProto(&referral.Document{}, routing)
		p.Work.Sector = code
		d, _, err := codec.FromProto(p)
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
		if _, _, err := codec.FromProto(p); err == nil {
			t.Errorf("%s: accepted", name)
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

// TestC182OnTheWire checks both directions with a build that knows only the
// single field: a list goes out with its first category in the old field,
// and an old payload's single category comes in as the list.
func TestC182OnTheWire(t *testing.T) {
	t.Parallel()
	d := &referral.Document{Work: referral.Work{C182Categories: []string{"c182_3a", "c182_3d"}}}
	p := codec.ToProto(d, routing)
	//lint:ignore SA1019 the deprecated field is what older readers see
	if got := p.GetWork().GetC182Category(); got != "c182_3a" {
		t.Errorf("old field = %q, want c182_3a", got)
	}
	old := codec.ToProto(&referral.Document{}, routing)
	old.Work = &corridorv1.Work{}
	//lint:ignore SA1019 an older sender's payload
	old.Work.C182Category = "c182_3b"
	got, _, err := codec.FromProto(old)
	if err != nil {
		t.Fatal(err)
	}
	if got.Work.C182Category != "" || !reflect.DeepEqual(got.Work.C182Categories, []string{"c182_3b"}) {
		t.Errorf("read %q, %v; want the list [c182_3b]", got.Work.C182Category, got.Work.C182Categories)
	}
}
