package trackingv1_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

// The coordinator links this package; if it ever pulled in corridor/v1, the
// types that carry personal data would come with it.
func TestNoPersonalDataTypes(t *testing.T) {
	t.Parallel()

	imports := trackingv1.File_corridor_tracking_v1_tracking_proto.Imports()
	for i := range imports.Len() {
		if path := imports.Get(i).Path(); strings.HasPrefix(path, "corridor/v1/") {
			t.Errorf("tracking.proto imports %s", path)
		}
	}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatalf("list Go files: %v", err)
	}
	if len(files) == 0 {
		t.Fatal("no Go files found")
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatalf("unquote import in %s: %v", name, err)
			}
			if strings.HasPrefix(path, "github.com/corridor-org/corridor/proto/corridor/v1") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()

	// Every field is set so that a field dropped from the schema fails here.
	in := &trackingv1.TrackingEvent{
		EventId: "ev1", Corridor: "ci-bf", CaseRef: "case1", ReferralId: "ref1",
		Milestone: "accepted", Member: "BF", SenderMember: "CI", SenderAgency: "ci-a",
		RecipientMember: "BF", RecipientAgency: "bf-a", At: 1, Sector: "A", AgeBand: "12-14", Sex: "female",
		// Reviewed for personal data: a time, codes and yes/no/unknown
		// flags, and the id of another referral of the same case.
		IdentifiedAt: 2, ServiceType: "education", AtHome: trackingv1.Answer_ANSWER_YES,
		InSchool: trackingv1.Answer_ANSWER_YES, StillWorking: trackingv1.Answer_ANSWER_NO,
		AtRisk: trackingv1.Answer_ANSWER_UNKNOWN, ClosureReason: "reunified_safe", PreviousReferralId: "ref0",
	}
	if got := in.ProtoReflect().Descriptor().Fields().Len(); got != 22 {
		t.Fatalf("TrackingEvent has %d fields, want 22: a new field must be reviewed for personal data", got)
	}
	b, err := proto.Marshal(in)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var out trackingv1.TrackingEvent
	if err := proto.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if !proto.Equal(in, &out) {
		t.Errorf("round trip: got %v, want %v", &out, in)
	}
}
