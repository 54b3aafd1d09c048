package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// nchanAddr is where bench/nchan/nginx.conf listens.
const nchanAddr = "127.0.0.1:3300"

// startNchan starts nginx with nchan (bench/nchan/nginx.conf) under the
// run's data folder, the peer DESIGN.md compares the live path with. It
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

// nchanStep runs one step against nchan with the same tool and clients: a
// channel of its own per step, so each starts empty.
func (h *harness) nchanStep(ctx context.Context, lp string, s loadStep) loadResult {
	args := []string{"-mode", "nchan", "-url", "http://" + nchanAddr, "-event", "load-" + strconv.Itoa(s.clients),
		"-clients", strconv.Itoa(s.clients), "-rate", strconv.FormatFloat(s.rate, 'f', -1, 64), "-duration", s.duration.String()}
	return h.runLivepoll(ctx, lp, s, args)
}
