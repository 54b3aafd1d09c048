package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// proc is one child process that can be killed and started again with the
// same command line; its output goes to logs/<name>.log, appended across
// restarts with a marker line.
type proc struct {
	name string
	args []string
	env  []string
	dir  string
	log  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	starts int
}

func newProc(name, logDir, dir string, env []string, args ...string) *proc {
	return &proc{name: name, args: args, env: env, dir: dir, log: filepath.Join(logDir, name+".log")}
}

// start launches the process in its own process group, so a Ctrl-C at the
// terminal reaches only this program, which then stops its children itself.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s: already running", p.name)
	}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%s: open log: %w", p.name, err)
	}
	p.starts++
	fmt.Fprintf(f, "\n===== chaos: start #%d of %s at %s =====\n", p.starts, p.name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = p.dir, p.env, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("%s: start: %w", p.name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	return nil
}

// pid is the running process's id, or 0.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// kill sends sig and waits (up to wait) for the process to exit, then
// SIGKILLs it. It is a no-op when the process is not running.
func (p *proc) kill(sig syscall.Signal, wait time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if f, err := os.OpenFile(p.log, os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
		fmt.Fprintf(f, "\n===== chaos: signal %v to %s (pid %d) at %s =====\n", sig, p.name, cmd.Process.Pid, time.Now().Format(time.RFC3339Nano))
		f.Close()
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-done:
		return nil
	case <-time.After(wait):
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		// A busy machine can take a while to reap; the process is dying
		// all the same, so go on rather than abandon the run.
		log.Printf("%s: pid %d not reaped 60s after SIGKILL; going on", p.name, cmd.Process.Pid)
	}
	return nil
}

// exited reports whether the process ended by itself.
func (p *proc) exited() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil || p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// runOnce runs a command to completion, its output appended to logFile.
func runOnce(ctx context.Context, logFile, dir string, env []string, args ...string) error {
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "\n===== chaos: %v =====\n", args)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%v: %w (see %s)", args, err, logFile)
	}
	return nil
}

// waitUntil polls ok every 100 ms until it is true, ctx ends or timeout passes.
func waitUntil(ctx context.Context, timeout time.Duration, what string, ok func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if ok() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not ready after %s", what, timeout)
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("%s: interrupted", what), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// closeInheritedFiles marks every descriptor above stderr that this process
// inherited close-on-exec. The run is wrapped in `flock /tmp/bc-heavy.lock`,
// whose lock descriptor would otherwise pass to every child, and the
// postgres fault's restarted server, a daemon that outlives the run, would
// hold the lock for everyone until the next restart of Postgres.
func closeInheritedFiles() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
