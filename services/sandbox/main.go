// Command sandbox runs a whole corridor on one machine for development:
// PostgreSQL, the NATS hub and one NATS server per member, one development
// OpenID provider per member, the relays, casework and the coordinator, each
// its own supervised process, with synthetic cases and demo users.
//
//	sandbox up [-dir .sandbox] [-bin .bin] [-reset]   (make demo, make demo-reset)
//	sandbox nats -c <file>                            a nats-server (used by up)
//	sandbox idp -config <file>                        an identity provider (used by up)
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}
