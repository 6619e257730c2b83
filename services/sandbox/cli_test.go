package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/services/sandbox/internal/sandbox"
)

func TestRunCommands(t *testing.T) {
	t.Parallel()
	getenv := func(string) string { return "" }
	tests := []struct {
		name    string
		args    []string
		wantErr string
		wantOut string
	}{
		{"no command", []string{"sandbox"}, "usage:", ""},
		{"unknown command", []string{"sandbox", "down"}, `unknown command "down"`, ""},
		{"help", []string{"sandbox", "help"}, "", "sandbox up"},
		{"idp without config", []string{"sandbox", "idp"}, "usage: sandbox idp -config", ""},
		{"up with a bad flag", []string{"sandbox", "up", "-no-such-flag"}, "no-such-flag", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := run(context.Background(), tt.args, getenv, &out)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("run: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("run error = %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output %q lacks %q", out.String(), tt.wantOut)
			}
		})
	}
}

// TestVerifyCommand checks the command the demo prints: the arguments the
// end-to-end test runs, with the URL quoted for the shell.
func TestVerifyCommand(t *testing.T) {
	t.Parallel()
	e := sandbox.Endpoints{Coordinator: sandbox.CoordinatorEndpoint{URL: "http://127.0.0.1:8090"}}
	got := verifyCommand(e, "BF", ".bin", ".sandbox")
	want := `DATABASE_URL="$BF_DATABASE" CORRIDOR_TOKEN="$COORDINATOR_TOKEN" .bin/corridorctl indicators verify -member BF ` +
		`-directory .sandbox/directory.json -url 'http://127.0.0.1:8090/api/v1/indicators/sets/latest?period=month'`
	if got != want {
		t.Errorf("verifyCommand =\n%s\nwant\n%s", got, want)
	}
}
