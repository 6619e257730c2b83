// Command casework is a member country's case-management service: its JSON
// API files, lists and decides cross-border referrals, and its inbox applier
// applies what the relay receives from the other countries.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/corridor-org/corridor/services/casework/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "casework: %v\n", err)
		os.Exit(1)
	}
}

// run starts the service and blocks until ctx is cancelled (SIGINT, SIGTERM)
// and it has shut down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 1 {
		return fmt.Errorf("unexpected arguments %q: casework is configured by its environment", args[1:])
	}
	cfg, level, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: level}))
	return app.Run(ctx, cfg, logger)
}
