package streams_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/streams"
)

func TestSubjects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, to, typ string
		out, in       string
	}{
		{"ci", "bf", "referral", "corr.ci.out.bf.referral", "corr.bf.in.ci.referral"},
		{"bf", "ci", "receipt", "corr.bf.out.ci.receipt", "corr.ci.in.bf.receipt"},
		{"ci", "coord", "tracking", "corr.ci.out.coord.tracking", "corr.coord.in.ci.tracking"},
		{"bf", "coord", "info_request", "corr.bf.out.coord.info_request", "corr.coord.in.bf.info_request"},
	} {
		out, err := streams.OutSubject(tc.from, tc.to, tc.typ)
		if err != nil || out != tc.out {
			t.Errorf("OutSubject(%s, %s, %s) = %q, %v; want %q", tc.from, tc.to, tc.typ, out, err, tc.out)
		}
		in, err := streams.InSubject(tc.to, tc.from, tc.typ)
		if err != nil || in != tc.in {
			t.Errorf("InSubject(%s, %s, %s) = %q, %v; want %q", tc.to, tc.from, tc.typ, in, err, tc.in)
		}
		want := streams.Route{From: tc.from, To: tc.to, Type: tc.typ}
		if r, err := streams.ParseOutSubject(tc.out); err != nil || r != want {
			t.Errorf("ParseOutSubject(%s) = %+v, %v; want %+v", tc.out, r, err, want)
		}
		if r, err := streams.ParseInSubject(tc.in); err != nil || r != want {
			t.Errorf("ParseInSubject(%s) = %+v, %v; want %+v", tc.in, r, err, want)
		}
		// An OUTBOX subject is in the sender's OUTBOX and in the slice the
		// recipient sources; the INBOX subject is where the transform puts it.
		if !matches(streams.OutboxSubjects(tc.from), tc.out) || !matches(streams.OutboxSliceFor(tc.from, tc.to), tc.out) {
			t.Errorf("%s is outside %s's OUTBOX slice for %s", tc.out, tc.from, tc.to)
		}
		if !matches(streams.InboxSubjects(tc.to), tc.in) || !matches(streams.InboxSubjectsFrom(tc.to, tc.from), tc.in) {
			t.Errorf("%s is outside %s's INBOX subjects from %s", tc.in, tc.to, tc.from)
		}
	}
}

// matches reports whether subject matches a filter ending in ">".
func matches(filter, subject string) bool {
	prefix, ok := strings.CutSuffix(filter, ">")
	return ok && strings.HasPrefix(subject, prefix) && len(subject) > len(prefix)
}

func TestSubjectsRejectBadTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, from, to, typ, field string
	}{
		{"upper-case member", "CI", "bf", "referral", "from"},
		{"wildcard member", "*", "bf", "referral", "from"},
		{"dotted recipient", "ci", "bf.x", "referral", "to"},
		{"empty recipient", "ci", "", "referral", "to"},
		{"to itself", "ci", "ci", "referral", "to"},
		{"wildcard type", "ci", "bf", ">", "type"},
		{"dotted type", "ci", "bf", "referral.v2", "type"},
		{"empty type", "ci", "bf", "", "type"},
		{"upper-case type", "ci", "bf", "Referral", "type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for name, f := range map[string]func() (string, error){
				"OutSubject": func() (string, error) { return streams.OutSubject(tc.from, tc.to, tc.typ) },
				"InSubject":  func() (string, error) { return streams.InSubject(tc.to, tc.from, tc.typ) },
			} {
				s, err := f()
				if corridor.KindOf(err) != corridor.KindInvalid {
					t.Fatalf("%s = %q, %v; want an invalid error", name, s, err)
				}
				if fields := invalidFields(err); len(fields) != 1 || fields[0] != tc.field {
					t.Errorf("%s: fields %v, want [%s]", name, fields, tc.field)
				}
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"", "corr", "corr.ci.out.bf", "corr.ci.out.bf.referral.extra", "corr.ci.in.bf.referral",
		"corridor.ci.out.bf.referral", "corr.ci.out.ci.referral", "corr.CI.out.bf.referral", "corr.ci.out.bf.*",
	} {
		if r, err := streams.ParseOutSubject(s); err == nil {
			t.Errorf("ParseOutSubject(%q) = %+v, want an error", s, r)
		}
	}
	if r, err := streams.ParseInSubject("corr.bf.out.ci.referral"); err == nil {
		t.Errorf("ParseInSubject of an OUTBOX subject = %+v, want an error", r)
	}
}

func TestMsgID(t *testing.T) {
	t.Parallel()
	id := corridor.NewID("m_")
	got, err := streams.MsgID("ci", id)
	if err != nil || got != "ci:"+id {
		t.Fatalf("MsgID = %q, %v; want %q", got, err, "ci:"+id)
	}
	member, back, err := streams.ParseMsgID(got)
	if err != nil || member != "ci" || back != id {
		t.Fatalf("ParseMsgID(%s) = %s, %s, %v", got, member, back, err)
	}
	// The same message id from two members gives two Nats-Msg-Ids: an
	// INBOX sourcing both never drops one as the other's duplicate.
	other, err := streams.MsgID("bf", id)
	if err != nil || other == got {
		t.Fatalf("MsgID(bf) = %q, %v; want it to differ from %q", other, err, got)
	}
	for _, tc := range []struct{ member, id string }{
		{"CI", id}, {"", id}, {"ci", ""}, {"ci", "has space"}, {"ci", "a:b"}, {"ci", "a.b"},
		{"ci", "Aminata Traoré"}, {"ci", strings.Repeat("x", 65)},
	} {
		if s, err := streams.MsgID(tc.member, tc.id); corridor.KindOf(err) != corridor.KindInvalid {
			t.Errorf("MsgID(%q, %q) = %q, %v; want an invalid error", tc.member, tc.id, s, err)
		} else if strings.Contains(err.Error(), tc.id) && tc.id != "" {
			t.Errorf("MsgID(%q, %q): error %q repeats the rejected id", tc.member, tc.id, err)
		}
	}
	for _, s := range []string{"", "ci", "ci:", ":x", "CI:x", "ci:a b"} {
		if _, _, err := streams.ParseMsgID(s); err == nil {
			t.Errorf("ParseMsgID(%q) succeeded", s)
		}
	}
}

func TestPrefixes(t *testing.T) {
	t.Parallel()
	if got := streams.APIPrefix("bf"); got != "$JS.bf.API" {
		t.Errorf("APIPrefix = %q", got)
	}
	// deploy/nats exports corridor.deliver.<origin>.<recipient>.> per pair.
	if got := streams.DeliverPrefix("ci", "bf"); got != "corridor.deliver.ci.bf" {
		t.Errorf("DeliverPrefix = %q", got)
	}
	if streams.DeliverPrefix("ci", "bf") == streams.DeliverPrefix("bf", "ci") {
		t.Error("both directions share a deliver prefix")
	}
}

func invalidFields(err error) []string {
	var fields []string
	var e *corridor.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			fields = append(fields, f.Field)
		}
	}
	return fields
}
