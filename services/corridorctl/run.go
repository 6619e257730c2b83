package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// tool is what every command gets: where to write, the environment (for
// NATS credentials, never given as flags) and the time.
type tool struct {
	stdout io.Writer
	getenv func(string) string
	now    func() time.Time
}

// command is a subcommand: its words ("directory sign"), a one-line
// summary, and a function that parses its flags from fs and runs.
type command struct {
	words   string
	summary string
	run     func(ctx context.Context, t *tool, fs *flag.FlagSet, args []string) error
}

func commands() []command {
	return []command{
		{"keys generate", "generate a member's relay keys (signing and encryption) into a new 0600 key file", keysGenerate},
		{"keys governance", "generate a governance officer's key into a new 0600 file", keysGovernance},
		{"keys audit", "generate a member's audit key (signs audit checkpoints) into a new 0600 file, and its public half", keysAudit},
		{"keys public", "print the public directory entries of a key file or governance key file", keysPublic},
		{"key rotate", "add new keys to a key file with an overlap, and list them in a draft directory", keyRotate},
		{"directory show", "print the document of a signed directory: the draft of the next version", directoryShow},
		{"directory propose", "make the next version from a draft: version bump, issue and expiry times", directoryPropose},
		{"directory sign", "add this governance key's signature to a proposed version", directorySign},
		{"directory verify", "verify a signed directory against the version in force or an anchor", directoryVerify},
		{"directory publish", "verify a signed directory and publish it: to the file the services watch, or to the NATS bucket", directoryPublish},
		{"directory follow", "watch the NATS bucket and write each version verified to the file the services watch", directoryFollow},
		{"directory bucket", "as a member's NATS operator: the coordinator's bucket with its mirror consumers, or a member's read-only mirror", directoryBucket},
		{"indicators verify", "check a published indicator set against this member's own records (DATABASE_URL)", indicatorsVerify},
		{"directory anchor", "write the anchor (corridor and governance) of a signed directory for new members", directoryAnchor},
		{"nats render", "render every NATS server's configuration (hub, members) from a signed directory", natsRender},
		{"audit verify", "check a member's audit trail (hash chain, head, signed checkpoints); names the first bad entry", auditVerify},
		{"audit export", "write a range of a member's audit trail as JSON lines, for an inquiry", auditExport},
	}
}

// run runs the command args name. Commands take flags; NATS credentials
// come from the environment (NATS_NKEY_SEED_FILE, the file of an nkey seed).
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return runAt(ctx, args, getenv, stdout, time.Now)
}

// runAt is run with a clock, for tests.
func runAt(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, now func() time.Time) error {
	t := &tool{stdout: stdout, getenv: getenv, now: now}
	rest := args[1:]
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "-help" || rest[0] == "--help" {
		usage(stdout)
		if len(rest) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	for _, c := range commands() {
		words := strings.Fields(c.words)
		if len(rest) < len(words) || !equalWords(rest[:len(words)], words) {
			continue
		}
		fs := flag.NewFlagSet("corridorctl "+c.words, flag.ContinueOnError)
		fs.SetOutput(stdout)
		if err := c.run(ctx, t, fs, rest[len(words):]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return fmt.Errorf("%s: %w", c.words, err)
		}
		return nil
	}
	usage(stdout)
	return fmt.Errorf("unknown command %q", strings.Join(rest, " "))
}

func equalWords(a, b []string) bool {
	for i := range b {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: corridorctl <command> [flags]   (corridorctl <command> -h for its flags)")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-20s %s\n", c.words, c.summary)
	}
}

// parse parses fs and checks that every flag in required is set.
func parse(fs *flag.FlagSet, args []string, required ...string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var missing []string
	for _, name := range required {
		if f := fs.Lookup(name); f == nil || f.Value.String() == "" {
			missing = append(missing, "-"+name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return nil
}
