package corridor_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
)

func TestKindOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want corridor.ErrorKind
	}{
		{"domain error", corridor.Errorf(corridor.KindNotFound, "no such referral"), corridor.KindNotFound},
		{"wrapped", fmt.Errorf("get referral: %w", corridor.Invalid("bad")), corridor.KindInvalid},
		{"plain error", errors.New("connection refused"), corridor.KindInternal},
		{"nil", nil, corridor.KindInternal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := corridor.KindOf(tc.err); got != tc.want {
				t.Errorf("KindOf = %s, want %s", got, tc.want)
			}
		})
	}
}

// secret stands for a value that may hold personal data.
type secret struct{ Name string }

func TestPanicError(t *testing.T) {
	t.Parallel()
	var nilMap map[string]int
	runtimeErr := func() (err any) {
		defer func() { err = recover() }()
		nilMap["x"] = 1
		return nil
	}()
	tests := []struct {
		name   string
		v      any
		want   string
		absent string
	}{
		{"runtime error", runtimeErr, "panic: assignment to entry in nil map", ""},
		{"error", errors.New("boom"), "panic: boom", ""},
		{"string", "unreachable", "panic: unreachable", ""},
		{"struct", secret{Name: "Awa Zongo"}, "panic: value of type corridor_test.secret", "Awa"},
		{"pointer", &secret{Name: "Awa Zongo"}, "panic: value of type *corridor_test.secret", "Awa"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := corridor.PanicError(tc.v)
			if err.Error() != tc.want {
				t.Errorf("PanicError = %q, want %q", err, tc.want)
			}
			if tc.absent != "" && strings.Contains(err.Error(), tc.absent) {
				t.Errorf("PanicError = %q carries the value", err)
			}
			if k := corridor.KindOf(err); k != corridor.KindInternal {
				t.Errorf("kind = %s, want internal", k)
			}
		})
	}
}
