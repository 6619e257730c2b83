package natsrun

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds how long the server may take to open its listeners.
const readyTimeout = 60 * time.Second

// Run runs a nats-server configured by args, which are nats-server's own
// flags (`-c file`, `-p port`, `-m port`, ...), until ctx is done or the
// server shuts itself down. Configuration files are loaded as nats-server
// loads them, `include`s and `$VARIABLE`s from the environment resolved.
// The server logs to standard error as nats-server does; stderr gets the
// flag parser's messages.
//
// nats-server keeps the parsed flags in a package variable, so one process
// runs one server: Run is not for concurrent use.
func Run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("nats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var wantExit bool
	exit := func() { wantExit = true }
	opts, err := server.ConfigureOptions(fs, args,
		func() { fmt.Fprintf(stderr, "nats-server: v%s\n", server.VERSION); exit() },
		func() { fs.Usage(); exit() },
		func() { fmt.Fprintln(stderr, "nats: TLS options as nats-server's --help_tls"); exit() })
	if errors.Is(err, flag.ErrHelp) || (err == nil && wantExit) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("configure nats-server: %w", err)
	}
	if opts.CheckConfig {
		fmt.Fprintf(stderr, "nats: configuration file %s is valid\n", opts.ConfigFile)
		return nil
	}
	// Signals reach this process's context; the server must not install
	// handlers of its own that call os.Exit.
	opts.NoSigs = true

	s, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("create nats-server: %w", err)
	}
	s.ConfigureLogger()
	s.Start()
	if !s.ReadyForConnections(readyTimeout) {
		s.Shutdown()
		s.WaitForShutdown()
		return fmt.Errorf("start nats-server: not ready for connections after %s", readyTimeout)
	}

	stopped := make(chan struct{})
	go func() {
		s.WaitForShutdown()
		close(stopped)
	}()
	select {
	case <-ctx.Done():
		s.Noticef("Stopping: %v", context.Cause(ctx))
		s.Shutdown()
		<-stopped
		return nil
	case <-stopped:
		return errors.New("nats-server shut down on its own")
	}
}
