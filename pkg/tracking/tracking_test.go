package tracking_test

import (
	"testing"

	"github.com/corridor-org/corridor/pkg/tracking"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

func TestAnswer(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]trackingv1.Answer{
		"yes":     trackingv1.Answer_ANSWER_YES,
		"no":      trackingv1.Answer_ANSWER_NO,
		"unknown": trackingv1.Answer_ANSWER_UNKNOWN,
		"":        trackingv1.Answer_ANSWER_UNSPECIFIED,
		"Yes":     trackingv1.Answer_ANSWER_UNSPECIFIED,
	} {
		if got := tracking.Answer(in); got != want {
			t.Errorf("Answer(%q) = %v, want %v", in, got, want)
		}
	}
}
