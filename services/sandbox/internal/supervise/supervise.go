package supervise

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Spec describes one supervised program.
type Spec struct {
	// Name identifies the process in logs and in the sandbox's endpoints file
	// ("relay-bf", "nats-hub").
	Name string
	Path string
	Args []string
	// Env is the child's whole environment: children get their configuration
	// from environment variables and nothing leaks in from the parent's.
	Env []string
	Dir string
	// LogFile receives the child's stdout and stderr, appended across restarts.
	LogFile string
	// Credential runs the child as another user (PostgreSQL refuses to run
	// as root).
	Credential *syscall.Credential
	// StopSignal asks the child to stop; SIGTERM when zero.
	StopSignal syscall.Signal
	// StopTimeout is how long a stopping child may take before SIGKILL; ten
	// seconds when zero.
	StopTimeout time.Duration
	// Stop, when set, asks the child to stop in its own way (pg_ctl stop)
	// instead of sending StopSignal. If it fails, the signal is sent.
	Stop func(ctx context.Context, pid int) error
}

// Config tunes restarts.
type Config struct {
	// MinBackoff is the wait before the first restart; it doubles after each
	// quick crash up to MaxBackoff.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// StableAfter is how long a child must have run for its next crash to
	// count as a first one again.
	StableAfter time.Duration
	// OnRestart is called (from the process's own goroutine) after a child
	// was restarted, for example to rewrite a file listing process ids.
	OnRestart func(p *Process)
}

func (c Config) withDefaults() Config {
	if c.MinBackoff <= 0 {
		c.MinBackoff = 250 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 15 * time.Second
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if c.StableAfter <= 0 {
		c.StableAfter = 30 * time.Second
	}
	return c
}

// Supervisor starts processes and restarts them when they die.
type Supervisor struct {
	logger *slog.Logger
	cfg    Config

	mu    sync.Mutex
	procs []*Process
}

// New returns a supervisor that logs starts, crashes and restarts to logger.
func New(logger *slog.Logger, cfg Config) *Supervisor {
	return &Supervisor{logger: logger, cfg: cfg.withDefaults()}
}

// Process is one supervised child, across its restarts.
type Process struct {
	spec   Spec
	cfg    Config
	logger *slog.Logger

	stopCh chan struct{} // closed when Stop is called
	done   chan struct{} // closed when the child is gone and will not come back

	mu       sync.Mutex
	cmd      *exec.Cmd
	stopping bool
	restarts int
	lastErr  error
}

// Start starts spec's program and supervises it until Stop or StopAll. The
// error reports a program that could not be started at all; a program that
// starts and dies is restarted instead.
func (s *Supervisor) Start(spec Spec) (*Process, error) {
	if spec.Name == "" || spec.Path == "" {
		return nil, errors.New("start process: spec needs a name and a path")
	}
	if spec.StopSignal == 0 {
		spec.StopSignal = syscall.SIGTERM
	}
	if spec.StopTimeout <= 0 {
		spec.StopTimeout = 10 * time.Second
	}
	p := &Process{
		spec:   spec,
		cfg:    s.cfg,
		logger: s.logger.With("process", spec.Name),
		stopCh: make(chan struct{}),
		done:   make(chan struct{}),
	}
	cmd, logFile, err := p.spawn()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	p.cmd = cmd
	p.logger.Info("process started", "pid", cmd.Process.Pid, "log", spec.LogFile)
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	go p.supervise(cmd, logFile)
	return p, nil
}

// Processes returns the supervised processes in the order they were started.
func (s *Supervisor) Processes() []*Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.procs)
}

// StopAll stops every process, the most recently started first, so that
// services go before the servers they depend on.
func (s *Supervisor) StopAll(ctx context.Context) error {
	procs := s.Processes()
	var errs []error
	for _, p := range slices.Backward(procs) {
		if err := p.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Name returns the process's name.
func (p *Process) Name() string { return p.spec.Name }

// PID returns the process id of the current incarnation, or 0 when none is
// running.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Restarts reports how many times the process was restarted.
func (p *Process) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// Done is closed when the process was stopped and will not be restarted.
func (p *Process) Done() <-chan struct{} { return p.done }

// spawn starts one incarnation. The log file stays open in the parent until
// the child exits, then supervise closes it.
func (p *Process) spawn() (*exec.Cmd, *os.File, error) {
	logFile, err := os.OpenFile(p.spec.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log: %w", err)
	}
	cmd := exec.Command(p.spec.Path, p.spec.Args...)
	cmd.Env = p.spec.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = p.spec.Dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group: a Ctrl-C in the terminal reaches only the
		// sandbox, which then stops the children in order.
		Setpgid: true,
		// Should the sandbox itself be killed, its children follow it.
		Pdeathsig:  syscall.SIGTERM,
		Credential: p.spec.Credential,
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, nil, fmt.Errorf("run %s: %w", p.spec.Path, err)
	}
	return cmd, logFile, nil
}

// supervise waits for the child and restarts it until Stop.
func (p *Process) supervise(cmd *exec.Cmd, logFile *os.File) {
	defer close(p.done)
	backoff := p.cfg.MinBackoff
	for {
		started := time.Now()
		err := cmd.Wait()
		logFile.Close()
		ran := time.Since(started)

		p.mu.Lock()
		stopping := p.stopping
		p.lastErr = err
		p.mu.Unlock()
		if stopping {
			return
		}
		if ran >= p.cfg.StableAfter {
			backoff = p.cfg.MinBackoff
		}
		p.logger.Warn("process exited; restarting", "pid", cmd.Process.Pid, "status", exitStatus(err),
			"ran", ran.Round(time.Millisecond).String(), "restart_in", backoff.String())

		for {
			if !p.wait(backoff) {
				return
			}
			backoff = min(backoff*2, p.cfg.MaxBackoff)
			next, nextLog, err := p.respawn()
			if errors.Is(err, errStopping) {
				return
			}
			if err != nil {
				p.logger.Error("process restart failed", "error", err.Error(), "retry_in", backoff.String())
				continue
			}
			cmd, logFile = next, nextLog
			break
		}
		p.logger.Info("process restarted", "pid", cmd.Process.Pid, "restarts", p.Restarts())
		if p.cfg.OnRestart != nil {
			p.cfg.OnRestart(p)
		}
	}
}

var errStopping = errors.New("process is stopping")

// respawn starts the next incarnation under the lock, so that Stop either
// sees it or prevents it.
func (p *Process) respawn() (*exec.Cmd, *os.File, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		return nil, nil, errStopping
	}
	cmd, logFile, err := p.spawn()
	if err != nil {
		return nil, nil, err
	}
	p.cmd = cmd
	p.restarts++
	return cmd, logFile, nil
}

// wait waits d, or less if the process is being stopped; it reports whether
// to go on.
func (p *Process) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.stopCh:
		return false
	}
}

// Stop stops the process and its restarts: the spec's Stop function or stop
// signal first, SIGKILL to its process group after the stop timeout. It
// returns once the child is gone. Stopping a stopped process does nothing.
func (p *Process) Stop(ctx context.Context) error {
	p.mu.Lock()
	if p.stopping {
		p.mu.Unlock()
		<-p.done
		return nil
	}
	p.stopping = true
	close(p.stopCh)
	cmd := p.cmd
	p.mu.Unlock()

	select {
	case <-p.done: // it was down, waiting for a restart
		return nil
	default:
	}
	pid := cmd.Process.Pid
	p.logger.Info("stopping process", "pid", pid)

	ctx, cancel := context.WithTimeout(ctx, p.spec.StopTimeout)
	defer cancel()
	asked := false
	if p.spec.Stop != nil {
		if err := p.spec.Stop(ctx, pid); err != nil {
			p.logger.Warn("process stop command failed; signalling", "error", err.Error())
		} else {
			asked = true
		}
	}
	if !asked {
		if err := cmd.Process.Signal(p.spec.StopSignal); err != nil && !errors.Is(err, os.ErrProcessDone) {
			p.logger.Warn("signal process", "error", err.Error())
		}
	}
	select {
	case <-p.done:
		p.logger.Info("process stopped", "pid", pid)
		return nil
	case <-ctx.Done():
	}
	p.logger.Warn("process did not stop in time; killing it", "pid", pid, "timeout", p.spec.StopTimeout.String())
	// The whole group: a PostgreSQL postmaster's backends go with it.
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		_ = cmd.Process.Kill()
	}
	<-p.done
	return fmt.Errorf("stop %s: killed after %s", p.spec.Name, p.spec.StopTimeout)
}

// exitStatus describes how a child ended, for logs ("exit status 2",
// "signal: killed").
func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
