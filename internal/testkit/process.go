// Package testkit is what the browser suite (e2e/) and the bench
// (e2e/bench/) share to drive the real product: a process runner with its
// bounded output buffer, and headless Chromium set up for cross-site
// iframes. It waits on conditions and signals, never for a fixed time.
package testkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Command says how to start a process.
type Command struct {
	Path string
	Args []string
	// Env is added to the test's own environment (secrets go here, not
	// in Args, where every local user sees them in ps).
	Env []string
	// OutputLimit bounds the output kept (DefaultOutputLimit when 0).
	OutputLimit int
}

// Process is a running process whose stdout and stderr go to one Buffer.
// It is killed with SIGKILL if the program that started it dies first.
type Process struct {
	cmd    *exec.Cmd
	out    *Buffer
	exited chan struct{} // closed once the process is waited for
	err    error         // its exit status, set before exited closes
}

// Start starts c.
func Start(c Command) (*Process, error) {
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Env = append(os.Environ(), c.Env...)
	out := NewBuffer(c.OutputLimit)
	cmd.Stdout, cmd.Stderr = out, out
	// Never outlive the test or the bench, even when it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", c.Path, err)
	}
	p := &Process{cmd: cmd, out: out, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Pid is the process's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Output is what the process has written so far.
func (p *Process) Output() *Buffer { return p.out }

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err is the process's exit status once Exited is closed: nil for exit 0.
func (p *Process) Err() error {
	<-p.exited
	return p.err
}

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// WaitOutput waits until the output written after mark (see Buffer.Mark)
// contains s, or the process exits, or ctx ends.
func (p *Process) WaitOutput(ctx context.Context, mark int64, s string) (string, error) {
	return p.out.WaitFor(ctx, p.exited, mark, s)
}

// readyPoll is how often WaitReady asks: the server has no other way to
// say it is ready than answering.
const readyPoll = 25 * time.Millisecond

// WaitReady waits until a GET of url answers 200 (a server's /readyz),
// and fails as soon as the process exits or ctx ends.
func (p *Process) WaitReady(ctx context.Context, url string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("exited before it was ready (%v)", p.err)
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// ErrStopTimeout is Stop's error when the process had to be killed.
var ErrStopTimeout = errors.New("did not exit after SIGTERM; killed")

// Stop sends SIGTERM and waits up to grace for the process to exit, then
// kills it. It returns the exit status (nil for a clean exit 0), or
// ErrStopTimeout when it had to kill.
func (p *Process) Stop(grace time.Duration) error {
	select {
	case <-p.exited:
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.exited:
		return p.err
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%w (%v)", ErrStopTimeout, grace)
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *Process) Kill() error {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-p.exited
	return nil
}

// FreePort returns a loopback port nobody listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
