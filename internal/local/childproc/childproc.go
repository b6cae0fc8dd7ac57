// Package childproc runs the emulators of the local stack (DynamoDB Local,
// the local SES) as child processes that cannot outlive their parent: each
// runs in its own process group, so a Ctrl-C in the terminal reaches only
// the parent, which then stops the whole group (java or node and anything
// they spawned) in order; on Linux the kernel also kills the child if the
// parent dies without stopping it.
package childproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Process is a running child process.
type Process struct {
	name string
	cmd  *exec.Cmd
	tail *tail

	done    chan struct{} // closed when the process has exited
	waitErr error         // valid once done is closed

	stopOnce sync.Once
	stopErr  error
}

// Start starts name with args in its own process group. Its stdout and
// stderr go to log (nil discards them); the last few kilobytes are kept for
// error messages either way.
func Start(name string, args []string, dir string, log io.Writer) (*Process, error) {
	if log == nil {
		log = io.Discard
	}
	t := &tail{max: 8 << 10}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out := io.MultiWriter(log, t)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	// The output is copied by goroutines that end when every holder of the
	// pipe has exited; do not wait forever for a grandchild that kept it.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("childproc: start %s: %w", name, err)
	}
	p := &Process{name: name, cmd: cmd, tail: t, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid returns the process id, which is also its process group id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Output returns the last lines the process wrote, for error messages.
func (p *Process) Output() string { return p.tail.String() }

// Stop asks the whole process group to terminate, kills it after grace, and
// waits until the process has exited. Calling it again returns the first
// result. An exit caused by Stop's own signal is not an error.
func (p *Process) Stop(grace time.Duration) error {
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
			// It already exited on its own: still sweep the group, in
			// case it left children behind.
			_ = killGroup(p.cmd.Process, true)
			p.stopErr = p.exitError()
			return
		default:
		}
		if err := killGroup(p.cmd.Process, false); err != nil {
			_ = killGroup(p.cmd.Process, true)
		}
		select {
		case <-p.done:
		case <-time.After(grace):
		}
		// Kill the group even after a clean exit of the leader: a child the
		// leader spawned must not survive it.
		_ = killGroup(p.cmd.Process, true)
		<-p.done
	})
	return p.stopErr
}

// exitError describes an exit the parent did not ask for.
func (p *Process) exitError() error {
	if p.waitErr == nil {
		return fmt.Errorf("childproc: %s exited early with status 0", p.name)
	}
	return fmt.Errorf("childproc: %s exited early: %w", p.name, p.waitErr)
}

// WaitReady calls probe until it succeeds, the process exits, ctx ends, or
// timeout passes. The error of a failed start carries the process's last
// output, which is usually what says why.
func (p *Process) WaitReady(ctx context.Context, timeout time.Duration, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	delay := 20 * time.Millisecond
	var last error
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		last = probe(pctx)
		pcancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w\n%s", p.exitError(), p.Output())
		case <-ctx.Done():
			return fmt.Errorf("childproc: %s not ready after %s: %v (last probe: %v)\n%s", p.name, timeout, ctx.Err(), last, p.Output())
		case <-time.After(delay):
		}
		delay = min(delay*2, 250*time.Millisecond)
	}
}

// FreePort returns a TCP port that was free on the loopback interface a
// moment ago. Another process may take it before the child binds it, so
// callers retry a start that fails.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("childproc: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ErrNotFound is returned (wrapped) by Lookup when a program is not on PATH.
var ErrNotFound = errors.New("childproc: program not found")

// Lookup finds a program on PATH.
func Lookup(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrNotFound, name, err)
	}
	return path, nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
