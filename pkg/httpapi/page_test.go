package httpapi_test

import (
	"net/url"
	"testing"

	"github.com/corridor-org/corridor/pkg/httpapi"
)

func TestPageParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query     string
		limit     int
		before    int64
		badFields []string
	}{
		{"", 100, 0, nil},
		{"limit=7&before=42", 7, 42, nil},
		{"limit=500", 500, 0, nil},
		{"limit=0", 0, 0, []string{"limit"}},
		{"limit=501", 0, 0, []string{"limit"}},
		{"limit=ten&before=-1", 0, 0, []string{"limit", "before"}},
		{"before=x", 100, 0, []string{"before"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			limit, fields := httpapi.LimitParam(q, 100, 500)
			before, more := httpapi.BeforeIDParam(q)
			fields = append(fields, more...)
			var got []string
			for _, f := range fields {
				got = append(got, f.Field)
			}
			if len(got) != len(tt.badFields) {
				t.Fatalf("field errors %v, want %v", got, tt.badFields)
			}
			for i := range got {
				if got[i] != tt.badFields[i] {
					t.Fatalf("field errors %v, want %v", got, tt.badFields)
				}
			}
			if len(tt.badFields) == 0 && (limit != tt.limit || before != tt.before) {
				t.Errorf("limit, before = %d, %d; want %d, %d", limit, before, tt.limit, tt.before)
			}
		})
	}
}
