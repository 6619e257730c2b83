package referral_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
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

// TestExampleValidates: docs/examples/referral.json is a valid referral as
// an inspector files it.
func TestExampleValidates(t *testing.T) {
	t.Parallel()
	d, err := decode(example(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := newValidator(t).Validate(context.Background(), d, inspector, dir); err != nil {
		t.Fatalf("the example does not validate: %v", err)
	}
}

// FuzzValidate feeds arbitrary bodies through the API's decoding and the
// validator: nothing may panic, and a refusal is always the caller's fault
// (invalid or forbidden), never an internal error. The wire round trip of
// valid documents is fuzzed in package codec.
func FuzzValidate(f *testing.F) {
	ex := example(f)
	f.Add(ex)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"child":{"date_of_birth":"2013-02-30","age_years":-5}}`))
	f.Add(bytes.Replace(ex, []byte(`"sex": "male"`), []byte(`"sex": "\u0000"`), 1))
	f.Add(bytes.Replace(ex, []byte(`"given_by": "child"`), []byte(`"override": {"reason": "x"}`), 1))
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
		}
	})
}
