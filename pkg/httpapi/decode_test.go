package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
)

type testLanguage struct {
	Code   string `json:"code"`
	Fluent bool   `json:"fluent"`
}

type testChild struct {
	Sex       string                  `json:"sex"`
	Age       int                     `json:"age"`
	Languages []testLanguage          `json:"languages"`
	Documents map[string]testLanguage `json:"documents"`
	BirthDate *time.Time              `json:"birth_date"`
}

type testEmbedded struct {
	Note string `json:"note"`
}

type testReferral struct {
	testEmbedded
	Reason string    `json:"reason"`
	Child  testChild `json:"child"`
	Tags   []string  `json:"tags"`
	Hidden string    `json:"-"`
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
		body        string
		wantStatus  int // 0: success
		wantField   string
	}{
		{"valid", "application/json", `{"reason":"r","note":"n","child":{"sex":"f","age":12,"languages":[{"code":"fr"}]}}`, 0, ""},
		{"valid with charset", "application/json; charset=utf-8", `{"reason":"r"}`, 0, ""},
		{"problem+json suffix", "application/merge-patch+json", `{"reason":"r"}`, 0, ""},
		{"case-insensitive key is known", "application/json", `{"Reason":"r"}`, 0, ""},
		{"missing content type", "", `{"reason":"r"}`, 415, ""},
		{"wrong content type", "text/plain", `{"reason":"r"}`, 415, ""},
		{"form content type", "application/x-www-form-urlencoded", `reason=r`, 415, ""},
		{"wrong charset", "application/json; charset=latin1", `{"reason":"r"}`, 415, ""},
		{"empty body", "application/json", ``, 400, ""},
		{"syntax error", "application/json", `{"reason":}`, 400, ""},
		{"truncated", "application/json", `{"reason":"r"`, 400, ""},
		{"trailing value", "application/json", `{"reason":"r"} {"reason":"s"}`, 400, ""},
		{"trailing garbage", "application/json", `{"reason":"r"} x`, 400, ""},
		{"unknown top-level field", "application/json", `{"reason":"r","extra":1}`, 422, "extra"},
		{"unknown nested field", "application/json", `{"child":{"sex":"f","colour":"x"}}`, 422, "child.colour"},
		{"unknown field in array element", "application/json", `{"child":{"languages":[{"code":"fr"},{"code":"en","level":3}]}}`, 422, "child.languages[1].level"},
		{"ignored field is unknown", "application/json", `{"Hidden":"x"}`, 422, "Hidden"},
		{"unknown key named like a known one elsewhere", "application/json", `{"child":{"sex":"f"},"sex":"m"}`, 422, "sex"},
		{"wrong type top-level", "application/json", `{"reason":5}`, 422, "reason"},
		{"wrong type nested", "application/json", `{"child":{"age":"twelve"}}`, 422, "child.age"},
		{"wrong type in array element", "application/json", `{"child":{"languages":[{"code":"fr"},{"code":"en","fluent":"yes"}]}}`, 422, "child.languages[1].fluent"},
		{"wrong type array item", "application/json", `{"tags":["a",2]}`, 422, "tags[1]"},
		{"wrong type in map value", "application/json", `{"child":{"documents":{"passport":{"code":7}}}}`, 422, "child.documents.passport.code"},
		{"object where array expected", "application/json", `{"child":{"languages":{"code":"fr"}}}`, 422, "child.languages"},
		{"non-integer number", "application/json", `{"child":{"age":12.5}}`, 422, "child.age"},
		{"bad time", "application/json", `{"child":{"birth_date":"yesterday"}}`, 400, ""},
		{"wrong type of whole body", "application/json", `[1,2]`, 422, ""},
		{"too large", "application/json", `{"reason":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/api/v1/referrals", strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			var dst testReferral
			err := DecodeJSON(req, &dst)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("DecodeJSON() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("DecodeJSON() = nil, want status %d", tt.wantStatus)
			}
			if kind := corridor.KindOf(err); kind != corridor.KindInvalid {
				t.Errorf("KindOf() = %q, want invalid", kind)
			}
			if got := StatusFor(err); got != tt.wantStatus {
				t.Errorf("StatusFor() = %d, want %d (err %v)", got, tt.wantStatus, err)
			}
			var ce *corridor.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *corridor.Error", err)
			}
			if ce.Message == "" {
				t.Error("error has no message")
			}
			var gotField string
			if len(ce.Fields) > 0 {
				gotField = ce.Fields[0].Field
				if ce.Fields[0].Message == "" {
					t.Error("field error has no message")
				}
			}
			if gotField != tt.wantField {
				t.Errorf("field = %q, want %q (err %v)", gotField, tt.wantField, err)
			}
		})
	}
}

func TestDecodeJSONProgrammerError(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	var dst testReferral
	err := DecodeJSON(req, dst) // not a pointer
	if err == nil {
		t.Fatal("DecodeJSON(non-pointer) = nil, want error")
	}
	if kind := corridor.KindOf(err); kind != corridor.KindInternal {
		t.Errorf("KindOf() = %q, want internal", kind)
	}
}

func TestDescribeType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    any
		want string
	}{
		{"", "a string"}, {0, "an integer"}, {1.5, "a number"}, {true, "true or false"},
		{[]int{}, "an array"}, {map[string]int{}, "an object"}, {testChild{}, "an object"},
		{time.Time{}, "a string"}, {new(int), "an integer"},
	}
	for _, tt := range tests {
		if got := describeType(reflect.TypeOf(tt.v)); got != tt.want {
			t.Errorf("describeType(%T) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
