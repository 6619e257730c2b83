package canonical_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/corridor-org/corridor/pkg/canonical"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	valid, err := proto.Marshal(wrapperspb.String("ci-0123"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"canonical", valid, nil},
		{"field repeated", protowire.AppendString(protowire.AppendTag(append([]byte(nil), valid...), 1, protowire.BytesType), "ci-0123"), canonical.ErrNotCanonical},
		{"zero value written out", protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), ""), canonical.ErrNotCanonical},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var m wrapperspb.StringValue
			if err := proto.Unmarshal(tc.data, &m); err != nil {
				t.Fatal(err)
			}
			if err := canonical.Check(tc.data, &m); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Check = %v, want %v", err, tc.want)
			}
		})
	}
}
