// Command corridorctl is the corridor operator's tool: it generates a
// member's keys, proposes, co-signs, verifies and publishes corridor
// directory versions, rotates keys with an overlap, and verifies and
// exports a member's audit trail. Run
// `corridorctl help` for the commands; docs/operations.md describes the
// procedures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "corridorctl:", err)
		}
		os.Exit(1)
	}
}
