package audithttp_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/audit/audithttp"
	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/weblogin"
)

func TestSessions(t *testing.T) {
	t.Parallel()
	pool := pg.NewPool(t, schema)
	record := audithttp.Sessions(pool, slog.New(slog.DiscardHandler))
	person := auth.Principal{Subject: "user-1", Issuer: "https://idp.ci.example"}
	tests := []struct {
		event weblogin.Event
		want  string // action actor outcome provider
	}{
		{weblogin.Event{Kind: weblogin.EventLogin, Provider: "CI", Principal: person},
			"session.login user-1@https://idp.ci.example allowed CI"},
		{weblogin.Event{Kind: weblogin.EventLoginRefused, Provider: "CI", Reason: "nonce: Demo Awa Exemple"},
			"session.login_refused  denied CI"},
		{weblogin.Event{Kind: weblogin.EventCSRFRefused, Provider: "CI", Principal: person},
			"session.csrf_refused user-1@https://idp.ci.example denied CI"},
		{weblogin.Event{Kind: weblogin.EventLogout, Provider: "CI", Principal: person},
			"session.logout user-1@https://idp.ci.example allowed CI"},
	}
	for i, tt := range tests {
		record(context.Background(), tt.event)
		var got []audit.Entry
		err := audit.Entries(context.Background(), pool, audit.Range{FromSeq: int64(i + 1)}, func(e audit.Entry) error {
			got = append(got, e)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%s: %d entries", tt.event.Kind, len(got))
		}
		e := got[0]
		if line := e.Action + " " + e.Actor + " " + string(e.Outcome) + " " + e.Detail["provider"]; line != tt.want {
			t.Errorf("%s: entry %q, want %q", tt.event.Kind, line, tt.want)
		}
		if len(e.Detail) != 1 {
			t.Errorf("%s: detail %v holds more than the provider (a refusal's reason is the caller's input)", tt.event.Kind, e.Detail)
		}
	}
}
