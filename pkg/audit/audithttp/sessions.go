package audithttp

import (
	"context"
	"log/slog"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/weblogin"
)

// Sessions returns weblogin's OnEvent for a service whose pages sit behind
// the login: every login, logout and refusal is in the audit trail as
// "session.<kind>", by the person when known. The refusal's reason is left
// out: part of it is what the caller sent.
func Sessions(db audit.Beginner, logger *slog.Logger) func(context.Context, weblogin.Event) {
	return func(ctx context.Context, e weblogin.Event) {
		rec := audit.Record{Action: "session." + string(e.Kind), Outcome: audit.Allowed,
			Detail: map[string]string{"provider": e.Provider}}
		if e.Principal.Subject != "" {
			rec.Actor = Actor(e.Principal)
		}
		if e.Kind == weblogin.EventLoginRefused || e.Kind == weblogin.EventCSRFRefused {
			rec.Outcome = audit.Denied
		}
		if _, err := audit.Append(context.WithoutCancel(ctx), db, rec); err != nil {
			logger.ErrorContext(ctx, "audit entry not written", "action", rec.Action, "error", err)
		}
	}
}
