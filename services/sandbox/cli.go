package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/services/sandbox/internal/idp"
	"github.com/corridor-org/corridor/services/sandbox/internal/natsrun"
	"github.com/corridor-org/corridor/services/sandbox/internal/sandbox"
)

const usage = `usage:
  sandbox up [-dir .sandbox] [-bin .bin] [-root .] [-reset] [-no-seed]
  sandbox nats -c <file>        run a nats-server from a configuration file
  sandbox idp -config <file>    run a development OpenID provider`

// stopTimeout bounds stopping the whole sandbox after Ctrl-C.
const stopTimeout = 3 * time.Minute

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) < 2 {
		return errors.New(usage)
	}
	switch args[1] {
	case "up":
		return up(ctx, args[2:], getenv, stdout)
	case "nats":
		return natsrun.Run(ctx, args[2:], os.Stderr)
	case "idp":
		return idp.Run(ctx, args[2:], os.Stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", args[1], usage)
	}
}

// up is `sandbox up`: start everything, print where it is, wait for Ctrl-C
// or SIGTERM, stop everything.
func up(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stdout)
	dir := fs.String("dir", ".sandbox", "state `directory`")
	bin := fs.String("bin", ".bin", "`directory` of the casework, relay and coordinator binaries")
	root := fs.String("root", "", "repository root (docs/examples); found from the working directory when empty")
	reset := fs.Bool("reset", false, "wipe the state directory and start afresh")
	noSeed := fs.Bool("no-seed", false, "do not file synthetic cases in a fresh sandbox")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("find repository root: %w", err)
		}
		if *root, err = natsconf.RepoRoot(wd); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the sandbox binary: %w", err)
	}

	sb, err := sandbox.Start(ctx, sandbox.Config{
		Dir:    *dir,
		BinDir: *bin,
		Root:   *root,
		Self:   self,
		Reset:  *reset,
		NoSeed: *noSeed,
		Out:    stdout,
		// The one setting children take from the sandbox's environment:
		// LOG_LEVEL=debug make demo.
		LogLevel: getenv("LOG_LEVEL"),
	})
	if err != nil {
		return err
	}
	printSummary(stdout, sb, *root, *bin)
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nstopping the sandbox")
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	if err := sb.Stop(stopCtx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "stopped; state kept in", displayPath(sb.Dir()), "(make demo reuses it, make demo-reset wipes it)")
	return nil
}

// printSummary tells the person at the terminal where everything is.
func printSummary(w io.Writer, sb *sandbox.Sandbox, root, bin string) {
	e := sb.Endpoints()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The corridor is up.")
	fmt.Fprintln(w)
	for _, code := range slices.Backward(slices.Sorted(maps.Keys(e.Members))) { // CI, then BF
		m := e.Members[code]
		fmt.Fprintf(w, "  %-3s casework     %s\n", code, m.Casework)
		fmt.Fprintf(w, "      relay        %s\n", m.Relay)
		fmt.Fprintf(w, "      login        %s\n", m.IdP)
		fmt.Fprintf(w, "      nats         %s\n", m.NATS)
		fmt.Fprintf(w, "      database     %s\n", m.Database)
	}
	fmt.Fprintf(w, "  coordinator      %s\n", e.Coordinator.URL)
	fmt.Fprintf(w, "      login        %s\n", e.Coordinator.IdP)
	fmt.Fprintf(w, "  hub              %s\n", e.Hub.NATS)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Demo logins (password corridor-demo):")
	for _, u := range e.Users {
		fmt.Fprintf(w, "  %-15s %-11s %-5s %s\n", u.Username, u.Role, u.Country, u.Agency)
	}
	dir := displayPath(sb.Dir())
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Endpoints and access tokens: %s/endpoints.json, or `. %s/env.sh` in a shell.\n", dir, dir)
	tour := "bash docs/"
	if sb.Dir() != filepath.Join(root, ".sandbox") {
		tour = "SANDBOX_DIR=" + sb.Dir() + " " + tour
	}
	fmt.Fprintf(w, "Try: %stour.sh (one referral), %stour-lifecycle.sh (a whole lifecycle)\n", tour, tour)
	fmt.Fprintf(w, "Logs: %s/logs/    Stop: Ctrl-C\n", dir)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "A member checks the coordinator's published figures (the newest set of the month, re-issued")
	fmt.Fprintln(w, "within seconds of a change) against its own records:")
	fmt.Fprintf(w, "  . %s/env.sh; %s\n", dir, verifyCommand(e, "CI", displayPath(bin), dir))
}

// verifyCommand is how a member verifies the newest indicator set of the
// sandbox's coordinator against its own database (docs/indicators.md); the
// database and the coordinator's token come from env.sh.
func verifyCommand(e sandbox.Endpoints, member, bin, dir string) string {
	args := verifyArgs(e, member, dir)
	for i, a := range args {
		if strings.ContainsAny(a, "?&") {
			args[i] = "'" + a + "'"
		}
	}
	return fmt.Sprintf("DATABASE_URL=\"$%s_DATABASE\" CORRIDOR_TOKEN=\"$COORDINATOR_TOKEN\" %s %s",
		member, filepath.Join(bin, "corridorctl"), strings.Join(args, " "))
}

// verifyArgs are corridorctl's arguments for verifyCommand.
func verifyArgs(e sandbox.Endpoints, member, dir string) []string {
	return []string{"indicators", "verify", "-member", member, "-directory", filepath.Join(dir, "directory.json"), "-url", LatestSetURL(e)}
}

// latestSetPath is where the sandbox's coordinator serves its newest set
// of the sandbox's period length.
const latestSetPath = "/api/v1/indicators/sets/latest?period=" + sandbox.PublishPeriod

// LatestSetURL is latestSetPath at the sandbox's coordinator.
func LatestSetURL(e sandbox.Endpoints) string { return e.Coordinator.URL + latestSetPath }

func displayPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}
