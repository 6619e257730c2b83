package validation

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/codes"
	"github.com/corridor-org/corridor/pkg/corridor"
)

// kind stands for exchange.MessageType: a string type that knows its values.
type kind string

func (k kind) Valid() bool { return k == "referral" || k == "decision" }

// tagged uses every tag this package registers besides those of pkg/codes.
type tagged struct {
	Code      string              `json:"code" validate:"code"`
	Member    corridor.MemberCode `json:"member" validate:"member"`
	Type      kind                `json:"type" validate:"msgtype"`
	Ident     string              `json:"ident" validate:"ident"`
	Service   string              `json:"service" validate:"service_type"`
	Reason    string              `json:"reason" validate:"reason_code"`
	Milestone string              `json:"milestone" validate:"milestone"`
	AgeBand   string              `json:"age_band" validate:"age_band"`
	Born      string              `json:"born" validate:"partial_date"`
	Country   string              `json:"country" validate:"iso3166_1"`
	Place     string              `json:"place" validate:"iso3166_2"`
	Section   string              `json:"section" validate:"isic_section"`
	Country2  string              `json:"country2" validate:"iso3166_1_alpha2|eq=COORD"`
	From      int                 `json:"from"`
	To        int                 `json:"to" validate:"gtfield=From"`
	Untyped   string              `json:"untyped" validate:"omitempty,msgtype"`
}

func validTagged() tagged {
	return tagged{
		Code: "REF-1", Member: "CI", Type: "referral", Ident: "ci-key-2026",
		Service: "family_tracing", Reason: "no_capacity", Milestone: string(cases.Milestones()[0]),
		AgeBand: cases.AgeBands()[0], Born: "2012-03", Country: "BF", Place: "CI-AB",
		Section: "A", Country2: "COORD", From: 1, To: 2,
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	v := newTestValidator(t)
	tests := []struct {
		name    string
		mutate  func(*tagged)
		field   string // "" when valid
		message string
	}{
		{"valid", func(*tagged) {}, "", ""},
		{"partial date, year only", func(x *tagged) { x.Born = "2012" }, "", ""},
		{"code", func(x *tagged) { x.Code = "no spaces" }, "code", "must be a code of at most 128 letters, digits, '_', '.', ':', '+' or '-'"},
		{"member", func(x *tagged) { x.Member = "ci" }, "member", "must be a member code such as CI or COORD"},
		{"message type", func(x *tagged) { x.Type = "gossip" }, "type", "must be a known message type"},
		{"message type on a type without Valid", func(x *tagged) { x.Untyped = "referral" }, "untyped", "must be a known message type"},
		{"ident", func(x *tagged) { x.Ident = "a b" }, "ident", "must be 1 to 128 printable ASCII characters without spaces"},
		{"service type", func(x *tagged) { x.Service = "family" }, "service", "must be one of the service types: " + strings.Join(codes.ServiceTypeCodes(), ", ")},
		{"reason code", func(x *tagged) { x.Reason = "Awa went home" }, "reason", "must be a reason code: lower-case words joined by underscores"},
		{"reason code too long", func(x *tagged) { x.Reason = strings.Repeat("a", 65) }, "reason", "must be a reason code: lower-case words joined by underscores"},
		{"milestone", func(x *tagged) { x.Milestone = "lunch" }, "milestone", "must be a known milestone"},
		{"age band", func(x *tagged) { x.AgeBand = "7" }, "age_band", "must be a known age band"},
		{"partial date", func(x *tagged) { x.Born = "2012-13" }, "born", "must be a date in the form YYYY-MM-DD, YYYY-MM or YYYY"},
		{"code list", func(x *tagged) { x.Country = "XX" }, "country", "must be an ISO 3166-1 alpha-2 country code"},
		{"subdivision from the code list", func(x *tagged) { x.Place = "XX-AB" }, "place", "must be an ISO 3166-2 subdivision code"},
		{"ISIC section", func(x *tagged) { x.Section = "Z" }, "section", "must be an ISIC Rev.4 section"},
		{"alternatives", func(x *tagged) { x.Country2 = "coord" }, "country2", "must be a valid ISO 3166-1 alpha-2 country code, or must be COORD"},
		{"cross-field by JSON name", func(x *tagged) { x.To = 1 }, "to", "must be after from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := validTagged()
			tt.mutate(&x)
			fields, err := v.Fields(&x)
			if err != nil {
				t.Fatalf("Fields: %v", err)
			}
			if tt.field == "" {
				if len(fields) > 0 {
					t.Fatalf("Fields = %v, want none", fields)
				}
				return
			}
			want := []corridor.FieldError{{Field: tt.field, Message: tt.message}}
			for i := range fields {
				// The rule is what a page translates; the message is checked here.
				if fields[i].Rule == "" {
					t.Errorf("Fields[%d].Rule is empty", i)
				}
				fields[i].Rule, fields[i].Param = "", ""
			}
			if !slices.Equal(fields, want) {
				t.Errorf("Fields = %v, want %v", fields, want)
			}
		})
	}
}

func TestDefaultIsShared(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	got := make([]*Validator, 8)
	for i := range got {
		wg.Go(func() {
			v, err := Default()
			if err != nil {
				t.Errorf("Default: %v", err)
			}
			got[i] = v
		})
	}
	wg.Wait()
	for _, v := range got[1:] {
		if v != got[0] || v == nil {
			t.Fatalf("Default returned different validators: %p and %p", got[0], v)
		}
	}
}

func TestCheckMessage(t *testing.T) {
	t.Parallel()
	x := validTagged()
	x.Code = ""
	x.Type = "gossip"
	err := newTestValidator(t).Check("invalid outbox message", &x)
	var ce *corridor.Error
	if !errors.As(err, &ce) || ce.Kind != corridor.KindInvalid || ce.Message != "invalid outbox message" || len(ce.Fields) != 2 {
		t.Fatalf("Check = %#v, want a KindInvalid error with the message and two fields", err)
	}
}

func TestParsePartialDate(t *testing.T) {
	t.Parallel()
	tests := map[string]string{ // input -> earliest day, "" when invalid
		"2012-03-04": "2012-03-04",
		"2012-03":    "2012-03-01",
		"2012":       "2012-01-01",
		"2012-3-4":   "",
		"12":         "",
		"2012-02-30": "",
		"":           "",
	}
	for in, want := range tests {
		got, err := ParsePartialDate(in)
		switch {
		case want == "" && err == nil:
			t.Errorf("ParsePartialDate(%q) = %v, want an error", in, got)
		case want != "" && (err != nil || got.Format("2006-01-02") != want):
			t.Errorf("ParsePartialDate(%q) = %v, %v, want %s", in, got, err, want)
		}
	}
}
