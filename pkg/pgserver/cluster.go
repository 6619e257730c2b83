package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Superuser is the name of the cluster's superuser role. initdb is told to
// create it under this name whatever the operating-system user is, so that
// DSNs look the same on every machine.
const Superuser = "postgres"

// serverUser is the operating-system user that runs the server when the
// caller is root: initdb, pg_ctl and postgres all refuse to run as root.
const serverUser = "postgres"

// maxSocketDir is the longest socket directory for which the socket's path
// (dir + "/.s.PGSQL.<port>") still fits in sockaddr_un's 108 bytes.
const maxSocketDir = 90

// StopMode is pg_ctl's shutdown mode.
type StopMode string

// The shutdown modes.
const (
	// StopFast rolls back open transactions, disconnects clients and writes a
	// checkpoint: the data directory is clean for the next start.
	StopFast StopMode = "fast"
	// StopImmediate aborts at once; the next start runs crash recovery. For
	// clusters that are about to be deleted.
	StopImmediate StopMode = "immediate"
)

// TestSettings returns server settings that trade durability for speed: what
// a throw-away test or development cluster wants and production never does.
func TestSettings() map[string]string {
	return map[string]string{
		"fsync":              "off",
		"synchronous_commit": "off",
		"full_page_writes":   "off",
	}
}

// DurableSettings returns server settings that keep every committed
// transaction across a crash of the server or of the machine: what anything
// a user runs wants. They are PostgreSQL's defaults, stated explicitly so
// that a postgresql.conf edited by hand cannot quietly turn them off.
func DurableSettings() map[string]string {
	return map[string]string{
		"fsync":              "on",
		"synchronous_commit": "on",
		"full_page_writes":   "on",
	}
}

// Cluster is one PostgreSQL cluster kept in Dir:
//
//	Dir/data          the data directory (PGDATA)
//	Dir/sock          the unix-socket directory
//	Dir/postgres.log  the server's log, unless LogFile says otherwise
//
// The server listens on 127.0.0.1:Port and trusts every local connection: a
// cluster is for tests and development on one machine, never for production.
type Cluster struct {
	// Dir holds the cluster. It is created if missing and, when the caller is
	// root, handed to the postgres user; every directory above it must be
	// searchable by that user.
	Dir string
	// Port is the TCP port on 127.0.0.1. Zero makes Start pick a free port
	// and record it here.
	Port int
	// Binaries are the server programs; the zero value means FindBinaries.
	Binaries Binaries
	// Settings are extra server settings passed to postgres as -c name=value
	// at every start: DurableSettings() or, for tests, TestSettings().
	Settings map[string]string
	// LogFile receives the server's log; empty means Dir/postgres.log.
	LogFile string
}

// DataDir returns the cluster's data directory.
func (c *Cluster) DataDir() string { return filepath.Join(c.Dir, "data") }

// SocketDir returns the directory of the server's unix socket, or "" when
// Dir is too deep for a socket path and the server listens on TCP only.
func (c *Cluster) SocketDir() string {
	dir := filepath.Join(c.Dir, "sock")
	if len(dir) > maxSocketDir {
		return ""
	}
	return dir
}

func (c *Cluster) logFile() string {
	if c.LogFile != "" {
		return c.LogFile
	}
	return filepath.Join(c.Dir, "postgres.log")
}

// DSN returns a connection string for database on this cluster, as the
// superuser, over TCP.
func (c *Cluster) DSN(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(Superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Init creates the cluster's directory and runs initdb, unless the data
// directory is already initialised: a sandbox reuses its data across runs.
func (c *Cluster) Init(ctx context.Context) error {
	bins, err := c.binaries()
	if err != nil {
		return fmt.Errorf("init cluster: %w", err)
	}
	cred, err := credential()
	if err != nil {
		return fmt.Errorf("init cluster: %w", err)
	}
	if err := c.prepareDirs(cred); err != nil {
		return fmt.Errorf("init cluster: %w", err)
	}
	if _, err := os.Stat(filepath.Join(c.DataDir(), "PG_VERSION")); err == nil {
		return nil
	}
	out, err := c.run(ctx, cred, bins.Initdb,
		"--pgdata="+c.DataDir(),
		"--username="+Superuser,
		"--auth=trust",
		"--encoding=UTF8",
		"--no-locale",
		"--no-sync",
	)
	if err != nil {
		return fmt.Errorf("init cluster: initdb: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// Start starts the server and waits until it accepts connections. A server
// still running on the same data directory (left by a process that was
// killed) is stopped first, so that this start's port and settings apply.
func (c *Cluster) Start(ctx context.Context) error {
	bins, err := c.binaries()
	if err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	cred, err := credential()
	if err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	if err := c.prepareDirs(cred); err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	running, err := c.running(ctx, bins, cred)
	if err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	if running {
		if err := c.stop(ctx, bins, cred, StopFast); err != nil {
			return fmt.Errorf("start cluster: stop leftover server: %w", err)
		}
	}

	// A free port can be taken by someone else between our probe and the
	// server's bind; picking again is the only cure.
	autoPort := c.Port == 0
	attempts := 1
	if autoPort {
		attempts = 3
	}
	var lastErr error
	for range attempts {
		if autoPort {
			if c.Port, err = freePort(); err != nil {
				return fmt.Errorf("start cluster: %w", err)
			}
		}
		out, err := c.run(ctx, cred, bins.PgCtl, "start",
			"--wait", "--timeout=60", "--silent",
			"--pgdata="+c.DataDir(),
			"--log="+c.logFile(),
			"--options="+c.serverOptions(),
		)
		if err == nil {
			return nil
		}
		lastErr = fmt.Errorf("pg_ctl start on port %d: %w: %s; server log: %s",
			c.Port, err, bytes.TrimSpace(out), tail(c.logFile(), 2048))
		if ctx.Err() != nil {
			break
		}
	}
	if autoPort {
		c.Port = 0
	}
	return fmt.Errorf("start cluster: %w", lastErr)
}

// Stop stops the server and waits until it has exited. Stopping a server
// that is not running is not an error.
func (c *Cluster) Stop(ctx context.Context, mode StopMode) error {
	bins, err := c.binaries()
	if err != nil {
		return fmt.Errorf("stop cluster: %w", err)
	}
	cred, err := credential()
	if err != nil {
		return fmt.Errorf("stop cluster: %w", err)
	}
	running, err := c.running(ctx, bins, cred)
	if err != nil {
		return fmt.Errorf("stop cluster: %w", err)
	}
	if !running {
		return nil
	}
	if err := c.stop(ctx, bins, cred, mode); err != nil {
		return fmt.Errorf("stop cluster: %w", err)
	}
	return nil
}

// Running reports whether a server is running on the cluster's data
// directory.
func (c *Cluster) Running(ctx context.Context) (bool, error) {
	bins, err := c.binaries()
	if err != nil {
		return false, fmt.Errorf("check cluster: %w", err)
	}
	cred, err := credential()
	if err != nil {
		return false, fmt.Errorf("check cluster: %w", err)
	}
	return c.running(ctx, bins, cred)
}

// CreateDatabase creates the named database on the running server. A
// database that already exists is left as it is.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("create database: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	return nil
}

// binaries also makes Dir absolute, since every server program runs in Dir
// and would resolve a relative path against it; every method calls it first.
func (c *Cluster) binaries() (Binaries, error) {
	if c.Dir == "" {
		return Binaries{}, errors.New("no cluster directory")
	}
	abs, err := filepath.Abs(c.Dir)
	if err != nil {
		return Binaries{}, fmt.Errorf("resolve cluster directory: %w", err)
	}
	c.Dir = abs
	if c.LogFile != "" {
		if c.LogFile, err = filepath.Abs(c.LogFile); err != nil {
			return Binaries{}, fmt.Errorf("resolve log file: %w", err)
		}
	}
	if c.Binaries != (Binaries{}) {
		return c.Binaries, nil
	}
	b, err := FindBinaries()
	if err != nil {
		return Binaries{}, err
	}
	c.Binaries = b
	return b, nil
}

func (c *Cluster) serverOptions() string {
	args := []string{
		"-p", strconv.Itoa(c.Port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + c.SocketDir(),
	}
	names := make([]string, 0, len(c.Settings))
	for name := range c.Settings {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		args = append(args, "-c", name+"="+c.Settings[name])
	}
	// pg_ctl hands the options to /bin/sh, so each one is quoted for it.
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

// prepareDirs creates the cluster's directories and, when the server runs
// as another user, gives them to that user.
func (c *Cluster) prepareDirs(cred *syscall.Credential) error {
	dirs := []string{c.Dir}
	if s := c.SocketDir(); s != "" {
		dirs = append(dirs, s)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
		if cred != nil {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return fmt.Errorf("hand %s to %s: %w", d, serverUser, err)
			}
		}
	}
	if cred != nil {
		if err := checkSearchable(filepath.Dir(c.Dir), cred); err != nil {
			return err
		}
	}
	if c.LogFile == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(c.LogFile), 0o755); err != nil {
		return fmt.Errorf("create log directory: %w", err)
	}
	if cred == nil {
		return nil
	}
	// The server user appends to the log through pg_ctl's shell, so it must
	// reach and own the file.
	if err := checkSearchable(filepath.Dir(c.LogFile), cred); err != nil {
		return err
	}
	f, err := os.OpenFile(c.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("create log file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create log file: %w", err)
	}
	if err := os.Chown(c.LogFile, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("hand log file to %s: %w", serverUser, err)
	}
	return nil
}

// checkSearchable fails with a plain explanation when the server user could
// not reach dir: initdb's own error ("could not change directory") names
// neither the directory at fault nor the cure.
func checkSearchable(dir string, cred *syscall.Credential) error {
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("check %s: %w", dir, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok {
			perm := fi.Mode().Perm()
			searchable := perm&0o001 != 0 ||
				(st.Uid == cred.Uid && perm&0o100 != 0) ||
				(st.Gid == cred.Gid && perm&0o010 != 0)
			if !searchable {
				return fmt.Errorf("directory %s is not searchable by the %s user: put the cluster under a world-searchable directory such as %s", dir, serverUser, os.TempDir())
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

func (c *Cluster) running(ctx context.Context, bins Binaries, cred *syscall.Credential) (bool, error) {
	if _, err := os.Stat(c.DataDir()); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	out, err := c.run(ctx, cred, bins.PgCtl, "status", "--pgdata="+c.DataDir())
	if err == nil {
		return true, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() == 3 { // pg_ctl: not running
		return false, nil
	}
	return false, fmt.Errorf("pg_ctl status: %w: %s", err, bytes.TrimSpace(out))
}

func (c *Cluster) stop(ctx context.Context, bins Binaries, cred *syscall.Credential, mode StopMode) error {
	out, err := c.run(ctx, cred, bins.PgCtl, "stop",
		"--wait", "--timeout=60", "--silent",
		"--pgdata="+c.DataDir(),
		"--mode="+string(mode),
	)
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// run runs a server program as the server user. Its working directory is the
// cluster's: the programs resolve paths against it and fail when they cannot
// read it, as happens with root's home directory.
func (c *Cluster) run(ctx context.Context, cred *syscall.Credential, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	return cmd.CombinedOutput()
}

// credential returns the credential to run server programs with: nil when
// the caller is not root, the postgres user's when it is.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return nil, fmt.Errorf("running as root needs a %q user to run the server as: %w", serverUser, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parse uid of %s: %w", serverUser, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parse gid of %s: %w", serverUser, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	return port, nil
}

// tail returns at most the last n bytes of a file, for error messages.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		if _, err := f.Seek(-n, io.SeekEnd); err != nil {
			return "(unreadable: " + err.Error() + ")"
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return string(bytes.TrimSpace(b))
}

// Wait polls until the server accepts connections to the postgres database
// or ctx is done. Start already waits; Wait is for a caller that connects to
// a cluster another process started.
func (c *Cluster) Wait(ctx context.Context) error {
	delay := 20 * time.Millisecond
	for {
		conn, err := pgx.Connect(ctx, c.DSN("postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for cluster: %w", err)
		case <-t.C:
		}
		delay = min(2*delay, time.Second)
	}
}
