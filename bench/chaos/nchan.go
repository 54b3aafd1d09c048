package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// nchanAddr is where bench/nchan/nginx.conf listens.
const nchanAddr = "127.0.0.1:3300"

// startNchan starts nginx with nchan (bench/nchan/nginx.conf) under the
// run's data folder, the peer docs/ARCHITECTURE.md compares the live path with. It
// returns a stop function, or an error when nginx or its module is missing
// (scripts/nchan-deps.sh installs them).
func (h *harness) startNchan(ctx context.Context) (func(), error) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr != nil {
			return nil, fmt.Errorf("nginx not found (scripts/nchan-deps.sh installs it): %w", err)
		}
		nginx = "/usr/sbin/nginx"
	}
	prefix := filepath.Join(h.data, "nchan")
	if err := os.MkdirAll(filepath.Join(prefix, "tmp"), 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(h.root, "bench", "nchan", "nginx.conf")
	args := []string{"-p", prefix, "-c", conf}
	if out, err := exec.CommandContext(ctx, nginx, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("start nginx with nchan: %v: %s", err, strings.TrimSpace(string(out)))
	}
	log.Printf("nchan: nginx on %s (prefix %s)", nchanAddr, prefix)
	return func() {
		if out, err := exec.Command(nginx, append(args, "-s", "stop")...).CombinedOutput(); err != nil {
			log.Printf("stop nginx: %v: %s", err, strings.TrimSpace(string(out)))
		}
	}, nil
}

// floorAddr is where bench/lpfloor listens during a load run.
const floorAddr = "127.0.0.1:3301"

// startFloor builds and starts bench/lpfloor, nchan's protocol on bare
// fasthttp: the least a Go long-poll server costs on this machine.
func (h *harness) startFloor(ctx context.Context) (func(), error) {
	bin := filepath.Join(h.data, "lpfloor")
	if err := runOnce(ctx, filepath.Join(h.logs, "build.log"), h.root, os.Environ(), "go", "build", "-o", bin, "./bench/lpfloor"); err != nil {
		return nil, fmt.Errorf("build bench/lpfloor: %w", err)
	}
	logf, err := os.Create(filepath.Join(h.logs, "lpfloor.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-addr", floorAddr)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start bench/lpfloor: %w", err)
	}
	if err := waitUntil(ctx, 10*time.Second, "bench/lpfloor on "+floorAddr, func() bool { return accepting(floorAddr) }); err != nil {
		_ = cmd.Process.Kill()
		logf.Close()
		return nil, err
	}
	log.Printf("floor: bench/lpfloor on %s (pid %d)", floorAddr, cmd.Process.Pid)
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
	}, nil
}

// accepting reports whether addr accepts a TCP connection.
func accepting(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// nchanStep runs one step against nchan's protocol at addr (nginx, or
// lpfloor) with the same tool and clients: a channel of its own per step,
// so each starts empty.
func (h *harness) nchanStep(ctx context.Context, lp, addr string, s loadStep, round int) loadResult {
	channel := "load-" + strconv.Itoa(s.clients)
	if round > 0 {
		// A channel of its own: nchan gives a new subscriber the oldest
		// message it holds, which would be an earlier round's.
		channel += "-r" + strconv.Itoa(round+1)
	}
	args := []string{"-mode", "nchan", "-url", "http://" + addr, "-event", channel,
		"-clients", strconv.Itoa(s.clients), "-rate", strconv.FormatFloat(s.rate, 'f', -1, 64), "-duration", s.duration.String()}
	return h.runLivepoll(ctx, lp, s, args)
}
