package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// centrifugoAddr is where Centrifugo listens during a load run.
const centrifugoAddr = "127.0.0.1:18100"

// centrifugoKey is the HTTP API key of the load run's Centrifugo (loopback only).
const centrifugoKey = "load-run-api-key"

// startCentrifugo starts Centrifugo v6 (scripts/centrifugo.sh installs it)
// with one node, the in-memory broker and unidirectional SSE, the peer our
// stream is compared with. It returns a stop function and the pid.
func (h *harness) startCentrifugo(ctx context.Context) (func(), int, error) {
	out, err := exec.CommandContext(ctx, "bash", filepath.Join(h.root, "scripts", "centrifugo.sh")).Output()
	if err != nil {
		return nil, 0, fmt.Errorf("scripts/centrifugo.sh: %w", err)
	}
	bin := strings.TrimSpace(string(out))
	dir := filepath.Join(h.data, "centrifugo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, err
	}
	port, _ := strconv.Atoi(centrifugoAddr[strings.LastIndexByte(centrifugoAddr, ':')+1:])
	conf, _ := json.Marshal(map[string]any{
		"http_server": map[string]any{"address": "127.0.0.1", "port": port},
		"client":      map[string]any{"insecure": true},
		"http_api":    map[string]any{"key": centrifugoKey},
		"uni_sse":     map[string]any{"enabled": true},
		"log":         map[string]any{"level": "warn"},
	})
	confPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(confPath, conf, 0o644); err != nil {
		return nil, 0, err
	}
	logf, err := os.Create(filepath.Join(h.logs, "centrifugo.log"))
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(bin, "--config", confPath)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, 0, fmt.Errorf("start centrifugo: %w", err)
	}
	if err := waitUntil(ctx, 20*time.Second, "centrifugo on "+centrifugoAddr, func() bool { return accepting(centrifugoAddr) }); err != nil {
		_ = cmd.Process.Kill()
		logf.Close()
		return nil, 0, err
	}
	log.Printf("centrifugo: %s on %s (pid %d)", bin, centrifugoAddr, cmd.Process.Pid)
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
	}, cmd.Process.Pid, nil
}

// centrifugoStep runs one SSE step against Centrifugo with the same tool
// and clients: a channel of its own per step.
func (h *harness) centrifugoStep(ctx context.Context, lp string, pid int, s loadStep) loadResult {
	args := []string{"-mode", "centrifugo", "-url", "http://" + centrifugoAddr, "-event", "load-" + strconv.Itoa(s.clients),
		"-api-key", centrifugoKey, "-pid", strconv.Itoa(pid),
		"-clients", strconv.Itoa(s.clients), "-rate", strconv.FormatFloat(s.rate, 'f', -1, 64), "-duration", s.duration.String()}
	return h.runLivepoll(ctx, lp, s, args)
}
