package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// runProfile is `go run ./bench/chaos -mode profile`: where a delivery's
// CPU goes. bench/liveserver (the loop server and the hub alone, no other
// middleware) serves one event on the run's own Redis; bench/livepoll parks
// -clients long polls, then as many streams, and appends at -rate for
// -duration; the server's CPU profile covers the deliveries (SIGUSR1 when
// every client waits, SIGUSR2 once all caught up) and is split per delivery
// into the kernel's share (writes, reads, epoll), parsing, the hub, encoding
// (JSON, headers, SSE), the loops' own work, the runtime and the rest.
func runProfile(ctx context.Context, h *harness) (int, error) {
	if err := h.setupStores(ctx); err != nil {
		return 2, err
	}
	if h.redis == nil {
		return 2, fmt.Errorf("the profile runs on the run's own Redis, not a cluster")
	}
	bins := map[string]string{}
	for _, name := range []string{"liveserver", "livepoll"} {
		bins[name] = filepath.Join(h.data, name)
		if err := runOnce(ctx, filepath.Join(h.logs, "build.log"), h.root, os.Environ(), "go", "build", "-o", bins[name], "./bench/"+name); err != nil {
			return 2, fmt.Errorf("build bench/%s: %w", name, err)
		}
	}
	d := h.o.duration
	if d <= 0 {
		d = 30 * time.Second
	}
	clients, rate := h.o.clients, h.o.rate
	if clients <= 0 || clients == 200 {
		clients = 1000
	}
	if rate <= 0 || rate == 200 {
		rate = 5
	}
	for i, mode := range []string{"poll", "sse"} {
		prof := filepath.Join(h.data, "cpu-"+mode+".pprof")
		deliveries, serverCPU, err := h.profileStep(ctx, bins, mode, 3260+i, clients, rate, d, prof)
		if err != nil {
			return 1, err
		}
		if err := printSplit(ctx, mode, bins["liveserver"], prof, deliveries, serverCPU); err != nil {
			return 1, err
		}
	}
	return 0, nil
}

var reDeliveries = regexp.MustCompile(`\((\d+) deliveries\)`)

// profileStep runs the server and the tool once and returns the deliveries
// the profile covers and the server's CPU per 1,000 as livepoll measured it.
func (h *harness) profileStep(ctx context.Context, bins map[string]string, mode string, port, clients int, rate float64, d time.Duration, prof string) (int, string, error) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logf, err := os.Create(filepath.Join(h.logs, "liveserver-"+mode+".log"))
	if err != nil {
		return 0, "", err
	}
	defer logf.Close()
	srv := exec.Command(bins["liveserver"], "-addr", addr, "-redis", h.redisAddr, "-event", "load", "-event-id", "1",
		"-cpuprofile", prof, "-profile-signals", "-history-rate", "1000000")
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return 0, "", err
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	if err := waitUntil(ctx, 10*time.Second, "liveserver on "+addr, func() bool { return accepting(addr) }); err != nil {
		return 0, "", err
	}
	args := []string{"-mode", mode, "-url", "http://" + addr, "-event", "load", "-event-id", "1", "-redis", h.redisAddr,
		"-pid", strconv.Itoa(srv.Process.Pid), "-clients", strconv.Itoa(clients),
		"-rate", strconv.FormatFloat(rate, 'f', -1, 64), "-duration", d.String()}
	log.Printf("profile %s: livepoll %s", mode, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, bins["livepoll"], args...)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return 0, "", err
	}
	deliveries, cpu := 0, ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		fmt.Println("    " + line)
		switch {
		case strings.Contains(line, "clients connected") && !strings.Contains(line, " of "):
			_ = srv.Process.Signal(syscall.SIGUSR1)
		case strings.HasPrefix(line, "appended:"):
			_ = srv.Process.Signal(syscall.SIGUSR2)
		}
		if m := reDeliveries.FindStringSubmatch(line); m != nil {
			deliveries, _ = strconv.Atoi(m[1])
		}
		if m := reServer.FindStringSubmatch(line); m != nil {
			cpu = m[4]
		}
	}
	if err := cmd.Wait(); err != nil {
		return 0, "", fmt.Errorf("livepoll %s: %w", mode, err)
	}
	_ = srv.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { _ = srv.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
	}
	if deliveries == 0 {
		return 0, "", fmt.Errorf("profile %s: livepoll reported no deliveries", mode)
	}
	return deliveries, cpu, nil
}

// cpuShare is one category of the split.
type cpuShare struct {
	name string
	ns   int64
}

// categories, tried in order on each sample's stack (innermost frame
// first); the first that matches a frame takes the sample.
var categories = []struct {
	name  string
	match *regexp.Regexp
}{
	{"encode: JSON, headers, SSE", regexp.MustCompile(`^(encoding/json\.|realtime\.encodePage|realtime\.writeEntries|realtime\.writeEvent|realtime\.appendChunk|realtime\.pollAnswerBytes|realtime\.streamHeaderBytes|github\.com/valyala/fasthttp\.\(\*ResponseHeader\)\.(AppendBytes|SetCanonical|Set|SetCookie))`)},
	{"parse: request heads and queries", regexp.MustCompile(`^(realtime\.parseHead|realtime\.ParseLiveQuery|realtime\.livePath|realtime\.\(\*requestHead\)|realtime\.queryUnescape|realtime\.ParseSeq|github\.com/valyala/fasthttp\.\(\*RequestHeader\))`)},
	{"hub: window, pages, wake-ups", regexp.MustCompile(`^realtime\.(\(\*Hub\)|\(\*liveEvent\)|\(\*sleeper\)|wakeSleepers|\(\*Log\))`)},
	{"loops: gnet and the connections' state", regexp.MustCompile(`^(github\.com/panjf2000/|realtime\.\(\*loop\)|realtime\.\(\*loopConn\)|realtime\.\(\*LoopServer\)|realtime\.\(\*Handler\))`)},
	{"redis client", regexp.MustCompile(`^github\.com/redis/rueidis`)},
	{"runtime: GC and allocation", regexp.MustCompile(`^runtime\.(gcBgMarkWorker|gcDrain|scanobject|mallocgc|bgsweep|gcAssist|markroot|greyobject|memclrNoHeapPointers|growslice|makeslice)`)},
	{"runtime: scheduler and timers", regexp.MustCompile(`^runtime\.(schedule|findRunnable|mcall|park_m|goready|ready|runqgrab|stealWork|checkTimers|notewakeup|notesleep|futexwakeup|futexsleep|wakep|startm|stopm|exitsyscall|entersyscall|sysmon)`)},
}

// kernel calls, by what the innermost non-syscall frame does.
var (
	reSyscallLeaf = regexp.MustCompile(`^(internal/runtime/syscall/linux\.Syscall6|syscall\.(Syscall|Syscall6|RawSyscall|RawSyscall6|RawSyscallNoError|rawSyscallNoError|rawVforkSyscall)|internal/runtime/syscall\.Syscall6|runtime/internal/syscall\.Syscall6|golang\.org/x/sys/unix\.(Syscall|Syscall6|RawSyscall|RawSyscall6)|runtime\.(futex|epollwait|epollctl|usleep|nanotime1|write1|read|osyield|madvise|mmap|munmap|sigprocmask|rtsigprocmask|sched_yield))$`)
	reWrites      = regexp.MustCompile(`(?i)(\.write|writev|sendto|sendmsg)`)
	reReads       = regexp.MustCompile(`(?i)(\.read|recvfrom|recvmsg)`)
	reEpoll       = regexp.MustCompile(`(?i)(epoll|netpoll)`)
	reFutex       = regexp.MustCompile(`^runtime\.(futex|usleep|osyield|nanotime1)`)
)

// classify names the category of one sample's stack (innermost first).
func classify(frames []string) string {
	if len(frames) > 0 && reSyscallLeaf.MatchString(frames[0]) {
		if reFutex.MatchString(frames[0]) {
			return "runtime: scheduler and timers"
		}
		for _, f := range frames[1:] {
			switch {
			case reEpoll.MatchString(f):
				return "kernel: epoll"
			case reWrites.MatchString(f):
				return "kernel: writes"
			case reReads.MatchString(f):
				return "kernel: reads"
			case strings.HasPrefix(f, "syscall.") || strings.HasPrefix(f, "golang.org/x/sys/unix.") || strings.HasPrefix(f, "internal/"):
				continue
			}
			break
		}
		return "kernel: other calls (accept, close, timers, memory)"
	}
	for _, f := range frames {
		f = strings.TrimPrefix(f, "github.com/backchannel/backchannel/")
		for _, c := range categories {
			if c.match.MatchString(f) {
				return c.name
			}
		}
	}
	return "other"
}

// printSplit reads the profile (go tool pprof -traces) and prints the CPU
// per delivery by category.
func printSplit(ctx context.Context, mode, bin, prof string, deliveries int, serverCPU string) error {
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-traces", bin, prof).Output()
	if err != nil {
		return fmt.Errorf("go tool pprof -traces %s: %w", prof, err)
	}
	shares := map[string]int64{}
	var total int64
	var value int64
	var frames []string
	flush := func() {
		if value > 0 && len(frames) > 0 {
			shares[classify(frames)] += value
			total += value
		}
		value, frames = 0, frames[:0]
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "-----------+") {
			flush()
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.Contains(line, ":") && !strings.HasPrefix(strings.TrimSpace(line), "runtime") && len(frames) == 0 && value == 0 && !startsWithDuration(fields[0]) {
			continue // the header
		}
		if startsWithDuration(fields[0]) && len(fields) >= 2 {
			d, _ := time.ParseDuration(fields[0])
			value = int64(d)
			frames = append(frames, fields[1])
			continue
		}
		if value > 0 {
			frames = append(frames, fields[0])
		}
	}
	flush()
	var list []cpuShare
	for name, ns := range shares {
		list = append(list, cpuShare{name, ns})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ns > list[j].ns })
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Printf("\nwhere a delivery's CPU goes: %s, %d deliveries, profile %s (%.0f µs per delivery in the profile; livepoll measured %s CPU-s per 1,000)\n",
		map[string]string{"poll": "long polls", "sse": "streams"}[mode], deliveries, prof,
		float64(total)/1e3/float64(deliveries), serverCPU)
	fmt.Fprintln(tw, "µs per delivery\tshare\tcategory\t")
	for _, s := range list {
		fmt.Fprintf(tw, "%.2f\t%.1f%%\t%s\t\n", float64(s.ns)/1e3/float64(deliveries), 100*float64(s.ns)/float64(total), s.name)
	}
	return tw.Flush()
}

func startsWithDuration(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	_, err := time.ParseDuration(s)
	return err == nil
}
