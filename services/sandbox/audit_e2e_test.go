package main

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/services/sandbox/internal/sandbox"
)

// checkAuditTrails verifies each country's audit trail against the
// public half of the audit key the sandbox made, as corridorctl audit
// verify does, and checks that no piece of personal data is in it.
func checkAuditTrails(t *testing.T, dir string, e sandbox.Endpoints, needles map[string]string) {
	t.Helper()
	ctx := context.Background()
	for _, code := range []string{"CI", "BF"} {
		pub, err := keyfile.LoadAuditPublic(filepath.Join(dir, "keys", "audit-"+strings.ToLower(code)+".pub.json"))
		if err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(ctx, e.Members[code].Database)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close(context.Background()) }()
		rep, err := audit.Verify(ctx, conn, &audit.PublicKey{ID: pub.ID, Key: ed25519.PublicKey(pub.PublicKey)})
		switch {
		case err != nil:
			t.Errorf("verify %s's audit trail: %v", code, err)
		case rep.Problem != nil:
			t.Errorf("%s's audit trail is broken: %s", code, rep.Problem)
		case rep.Entries == 0:
			t.Errorf("%s's audit trail is empty", code)
		}
		actions := map[string]bool{}
		err = audit.Entries(ctx, conn, audit.Range{}, func(en audit.Entry) error {
			actions[en.Action] = true
			for what, n := range needles {
				if strings.Contains(string(en.Encode()), n) {
					t.Errorf("personal data leaked: %s in %s's audit entry %d", what, code, en.Seq)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{"message.queued", "message.sent", "message.received", "message.delivered",
			"GET /api/v1/referrals/{id}"} {
			if !actions[a] {
				t.Errorf("%s's audit trail has no %s entry", code, a)
			}
		}
		t.Logf("%s's audit trail: %d entries, %d checkpoints, intact", code, rep.Entries, rep.Checkpoints)
	}
}
