package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
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

// loadStep is one bench/livepoll run.
type loadStep struct {
	name     string
	clients  int
	rate     float64
	duration time.Duration
	mode     string // livepoll's -mode against our node: poll or sse
}

// loadResult is what the checker reads from livepoll's output.
type loadResult struct {
	step                loadStep
	connected           int
	p50, p99, max       string
	deliveries          float64
	lost, dup           int
	rssMiB, peakMiB     int
	cpuPct              int
	cpuPer1k, allPer1k  string
	toolCPU             string
	redisCmds, appended int64
	delivered           int64 // entries delivered in all (livepoll's count)
	// hubCmds and fallbacks are the node's own counters over the step
	// (backchannel_hub_redis_commands_total, backchannel_live_loop_fallbacks_total;
	// -1: not read).
	hubCmds, fallbacks float64
	err                error
}

var (
	reConnected = regexp.MustCompile(`livepoll: (\d+) clients connected`)
	reLatency   = regexp.MustCompile(`p50 (\S+)\s+p90 (\S+)\s+p99 (\S+)\s+max (\S+)`)
	reDeliv     = regexp.MustCompile(`deliveries/s: (\d+)`)
	reDelivered = regexp.MustCompile(`\((\d+) deliveries\)`)
	reLost      = regexp.MustCompile(`lost: (\d+)\s+duplicated: (\d+)`)
	reServer    = regexp.MustCompile(`RSS (\d+) MiB \(peak (\d+) MiB\).*= (\d+)% of a core(?:, ([\d.]+) CPU-s per 1,000)?`)
	reRedis     = regexp.MustCompile(`server\+redis ([\d.]+) CPU-s per 1,000`)
	reAppended  = regexp.MustCompile(`appended: (\d+) items`)
	reTool      = regexp.MustCompile(`load tool \(this process\): CPU ([\d.]+) s`)
)

// prepareNode starts stores, the event (no sources) and one web node, and
// builds bench/livepoll.
func (h *harness) prepareNode(ctx context.Context) (string, error) {
	if err := h.setupStores(ctx); err != nil {
		return "", err
	}
	if h.redis == nil {
		return "", fmt.Errorf("load and soak run on the run's own Redis, not a cluster")
	}
	now := time.Now().UTC()
	ev := fmt.Sprintf("slug: %s\ntitle: Load\ntimezone: UTC\nstarts_at: %s\nends_at: %s\nposting: open\nmoderation: after\n",
		eventSlug, now.Add(-time.Hour).Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339))
	if err := h.setupEvent(ctx, ev); err != nil {
		return "", err
	}
	if err := h.startWebs(ctx, 1); err != nil {
		return "", err
	}
	lp := filepath.Join(h.data, "livepoll")
	if err := runOnce(ctx, filepath.Join(h.logs, "build.log"), h.root, os.Environ(), "go", "build", "-o", lp, "./bench/livepoll"); err != nil {
		return "", fmt.Errorf("build bench/livepoll: %w", err)
	}
	log.Printf("web node %s (pid %d), redis %s, event %s (id %d)", h.nodes[0], h.webs[0].pid(), h.redisAddr, eventSlug, h.eventID)
	return lp, nil
}

// livepoll runs one step against the web node.
func (h *harness) livepoll(ctx context.Context, lp string, s loadStep, extra ...string) loadResult {
	mode := s.mode
	if mode == "" {
		mode = "poll"
	}
	args := append([]string{"-mode", mode, "-url", h.nodes[0], "-event", eventSlug, "-event-id", strconv.FormatInt(h.eventID, 10),
		"-clients", strconv.Itoa(s.clients), "-rate", strconv.FormatFloat(s.rate, 'f', -1, 64),
		"-duration", s.duration.String(), "-redis", h.redisAddr, "-pid", strconv.Itoa(h.webs[0].pid())}, extra...)
	before := nodeCounters(h.nodes[0])
	r := h.runLivepoll(ctx, lp, s, args)
	after := nodeCounters(h.nodes[0])
	r.hubCmds, r.fallbacks = before.delta(after, hubCommandsMetric), before.delta(after, loopFallbacksMetric)
	return r
}

// The node's counters a load step reads before and after.
const (
	hubCommandsMetric   = "backchannel_hub_redis_commands_total"
	loopFallbacksMetric = "backchannel_live_loop_fallbacks_total"
)

// counters are unlabelled counters of a node's /metrics (nil: not read).
type counters map[string]float64

// delta is how much name grew from c to later, -1 when either lacks it.
func (c counters) delta(later counters, name string) float64 {
	a, ok1 := c[name]
	b, ok2 := later[name]
	if !ok1 || !ok2 {
		return -1
	}
	return b - a
}

// nodeCounters reads the counters load steps report from a node's /metrics
// in one request.
func nodeCounters(node string) counters {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(node + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	out := counters{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || (name != hubCommandsMetric && name != loopFallbacksMetric) {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			out[name] = f
		}
	}
	return out
}

// runLivepoll runs bench/livepoll with args, echoing its output, and parses it.
func (h *harness) runLivepoll(ctx context.Context, lp string, s loadStep, args []string) loadResult {
	r := loadResult{step: s}
	before := redisCommands(h.redisAddr)
	log.Printf("%s: livepoll %s", s.name, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, lp, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	f, _ := os.OpenFile(filepath.Join(h.logs, "livepoll.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	defer f.Close()
	if err := cmd.Start(); err != nil {
		r.err = err
		return r
	}
	var all strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		fmt.Println("    " + line)
		fmt.Fprintln(f, line)
		all.WriteString(line + "\n")
	}
	r.err = cmd.Wait()
	text := all.String()
	if m := reConnected.FindStringSubmatch(text); m != nil {
		r.connected, _ = strconv.Atoi(m[1])
	}
	if m := reLatency.FindStringSubmatch(text); m != nil {
		r.p50, r.p99, r.max = m[1], m[3], m[4]
	}
	if m := reDeliv.FindStringSubmatch(text); m != nil {
		r.deliveries, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := reDelivered.FindStringSubmatch(text); m != nil {
		r.delivered, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reLost.FindStringSubmatch(text); m != nil {
		r.lost, _ = strconv.Atoi(m[1])
		r.dup, _ = strconv.Atoi(m[2])
	}
	if m := reServer.FindStringSubmatch(text); m != nil {
		r.rssMiB, _ = strconv.Atoi(m[1])
		r.peakMiB, _ = strconv.Atoi(m[2])
		r.cpuPct, _ = strconv.Atoi(m[3])
		r.cpuPer1k = m[4]
	}
	if m := reTool.FindStringSubmatch(text); m != nil {
		r.toolCPU = m[1]
	}
	if m := reRedis.FindStringSubmatch(text); m != nil {
		r.allPer1k = m[1]
	}
	if m := reAppended.FindStringSubmatch(text); m != nil {
		r.appended, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if after := redisCommands(h.redisAddr); before >= 0 && after >= 0 {
		r.redisCmds = after - before
	}
	return r
}

// runLoad is `task load`: one fresh node, livepoll at 1,000, 10,000 and
// 19,000 waiting clients, at a high delivery rate, and streams at 1,000 and
// 10,000; then the same tool against nginx+nchan, bench/lpfloor and
// Centrifugo; then the budget table and the side-by-side table.
func runLoad(ctx context.Context, h *harness) (int, error) {
	lp, err := h.prepareNode(ctx)
	if err != nil {
		return 2, err
	}
	d := h.o.duration
	if d <= 0 {
		d = 30 * time.Second
	}
	steps := []loadStep{
		{"1,000 waiting", 1000, 5, d, "poll"},
		{"10,000 waiting", 10000, 2, d, "poll"},
		{"19,000 waiting", 19000, 2, d, "poll"},
		{"deliveries", 10000, 40, d, "poll"},
		{"1,000 streams", 1000, 5, d, "sse"},
		{"10,000 streams", 10000, 2, d, "sse"},
	}
	if h.o.scale > 0 && h.o.scale != 1 {
		for i := range steps {
			steps[i].clients = max(1, int(float64(steps[i].clients)*h.o.scale))
			steps[i].name += fmt.Sprintf(" (scaled to %d)", steps[i].clients)
		}
	}
	baseline := openFiles(h.webs[0].pid())
	var res []loadResult
	for _, s := range steps {
		if ctx.Err() != nil {
			return 2, ctx.Err()
		}
		res = append(res, h.livepoll(ctx, lp, s))
		if h.webs[0].exited() {
			return 1, fmt.Errorf("FAIL: the web node died during %s (see %s)", s.name, h.webs[0].log)
		}
		waitConnectionsClosed(ctx, h.webs[0].pid(), baseline)
	}
	// The peers, and the floor under any fasthttp server (bench/lpfloor),
	// with the same tool, clients and rates, while our node idles.
	// The long-poll steps run -rounds more times, ours and nchan's side by
	// side in each round, in alternating order (ours first, then nchan's
	// first, ...), so that a machine that drifts during the run weighs on
	// both alike; they are compared by medians, and each round's pair by
	// its own ratio.
	var nchan, floor, centrifugo, extra []loadResult
	peers := append([]loadResult(nil), res...)
	var rounds []string
	if h.o.nchan {
		stop, err := h.startNchan(ctx)
		if err != nil {
			return 2, err
		}
		for i, s := range steps[:2] {
			var ours, theirs []loadResult
			runOurs := func() {
				ours = append(ours, h.livepoll(ctx, lp, s))
				waitConnectionsClosed(ctx, h.webs[0].pid(), baseline)
			}
			for r := 0; r < max(h.o.rounds, 1) && ctx.Err() == nil; r++ {
				if r%2 == 0 {
					runOurs()
				}
				theirs = append(theirs, h.nchanStep(ctx, lp, nchanAddr, s, r))
				if r%2 == 1 {
					runOurs()
				}
			}
			peers[i] = medianOf(ours)
			nchan = append(nchan, medianOf(theirs))
			extra = append(append(extra, ours...), theirs...)
			rounds = append(rounds, roundsLine(s, ours, theirs))
		}
		stop()
		stop, err = h.startFloor(ctx)
		if err != nil {
			return 2, err
		}
		for _, s := range steps[:2] {
			floor = append(floor, h.nchanStep(ctx, lp, floorAddr, s, 0))
		}
		stop()
	}
	if h.o.centrifugo {
		stop, pid, err := h.startCentrifugo(ctx)
		if err != nil {
			return 2, err
		}
		for _, s := range steps[4:6] {
			centrifugo = append(centrifugo, h.centrifugoStep(ctx, lp, pid, s))
		}
		stop()
	}
	printBudgets(res)
	printPeers(peers, nchan, floor, centrifugo)
	for _, l := range rounds {
		fmt.Println(l)
	}
	for _, r := range append(append(append(res, extra...), floor...), centrifugo...) {
		if r.lost > 0 || r.dup > 0 {
			h.failed = true
			fmt.Printf("\nFAIL: %s: %d lost, %d duplicated\n", r.step.name, r.lost, r.dup)
			return 1, nil
		}
	}
	return 0, nil
}

// printBudgets prints the budget table of runLoad's first four steps.
func printBudgets(res []loadResult) {
	if len(res) < 4 {
		return
	}
	one, ten, max19, del := res[0], res[1], res[2], res[3]
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nbudget (docs/ARCHITECTURE.md)\tbudget\tmeasured\tnote")
	fmt.Fprintf(tw, "arrival -> client, 1,000 waiting\tp50 <= 10 ms, p99 <= 50 ms\tp50 %s, p99 %s\t%.0f items/s, max %s\n", one.p50, one.p99, one.step.rate, one.max)
	fmt.Fprintf(tw, "same, 10,000 waiting\tp99 <= 250 ms\tp99 %s\tp50 %s, %.0f items/s\n", ten.p99, ten.p50, ten.step.rate)
	fmt.Fprintf(tw, "waiting clients held by one node\t>= 19,000, RSS <= 1 GiB\t%d connected, RSS %d MiB (peak %d)\tp99 %s\n", max19.connected, max19.rssMiB, max19.peakMiB, max19.p99)
	if max19.connected > 0 {
		fmt.Fprintf(tw, "memory per waiting client\t<= 16 KB\t%.1f KB (RSS / clients)\tpeak %.1f KB\n",
			float64(max19.rssMiB)*1024/float64(max19.connected), float64(max19.peakMiB)*1024/float64(max19.connected))
	}
	fmt.Fprintf(tw, "Redis commands per long poll (steady)\t0\t%s\tthe hubs' commands per 1,000 deliveries, 1k vs 10k vs 19k clients; Redis in all per appended item: %s (the append script's 10 and the heartbeats)\n",
		hubCmdsPer1k(one, ten, max19), cmdsPerItem(one, ten, max19))
	fmt.Fprintf(tw, "live requests the loops left to fiber\tone per client (its first visit)\t%s\tbackchannel_live_loop_fallbacks_total over each step\n", fallbacksOf(one, ten, max19))
	fmt.Fprintf(tw, "deliveries per second, one node\t>= 200,000\t%.0f\t%d clients x %.0f items/s; p99 %s\n", del.deliveries, del.step.clients, del.step.rate, del.p99)
	fmt.Fprintf(tw, "CPU per 1,000 deliveries\t<= nchan (rows below)\tserver %s s, server+redis %s s\tat 1,000 clients\n", one.cpuPer1k, one.allPer1k)
	fmt.Fprintf(tw, "server CPU and RSS\t\t%s\t\n", cpuRSS(res))
	fmt.Fprintln(tw, "strainer, posts, page render\tsee docs/ARCHITECTURE.md\tnot measured by this tool\tgo test -bench in jobs/, realtime/, views/, archive/")
	tw.Flush()
}

// openFiles counts a process's open file descriptors (-1 when unreadable).
func openFiles(pid int) int {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(fds)
}

// waitConnectionsClosed waits until the node holds about as many files as
// at baseline: fasthttp only notices a long-poll client that left when the
// poll's wait ends, so the next step would otherwise start with the last
// one's connections still open and could hit the open-file limit.
func waitConnectionsClosed(ctx context.Context, pid, baseline int) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		n := openFiles(pid)
		if n < 0 || baseline < 0 || n <= baseline+50 {
			return
		}
		time.Sleep(time.Second)
	}
	log.Printf("the node still holds %d files (%d before the load)", openFiles(pid), baseline)
}

// printPeers sets our 1,000- and 10,000-client steps beside the peers':
// our long poll beside nginx+nchan (and the fasthttp floor, bench/lpfloor),
// our stream beside Centrifugo; ratios are ours / the peer's (goal: <= 1.0).
// Our CPU is the node's and Redis's together (the whole pipeline), the
// peers' their own process's. The long-poll rows are medians of -rounds runs.
func printPeers(ours, nchan, floor, centrifugo []loadResult) {
	if len(nchan)+len(centrifugo) == 0 {
		return
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nsame tool, same clients\tp50 / p99 / max\tCPU-s per 1,000 deliveries\tp99 ratio\tCPU ratio\tlost / dup\tload tool CPU s")
	row := func(x, peer loadResult, who string) {
		cpu := x.allPer1k
		if cpu == "" {
			cpu = x.cpuPer1k
		}
		fmt.Fprintf(tw, "%s, %.0f items/s: %s\t%s / %s / %s\t%s\t%s\t%s\t%d / %d\t%s\n", x.step.name, x.step.rate, who,
			x.p50, x.p99, x.max, cpu, ratio(x.p99, peer.p99), ratioNum(cpu, peer.cpuPer1k), x.lost, x.dup, x.toolCPU)
	}
	for i := range 2 {
		if i < len(nchan) {
			row(ours[i], nchan[i], "backchannel long poll (node+redis)")
			row(nchan[i], nchan[i], "nginx + nchan")
			if i < len(floor) {
				row(floor[i], nchan[i], "bench/lpfloor (bare fasthttp)")
			}
		}
		if i < len(centrifugo) && len(ours) > 4+i {
			row(ours[4+i], centrifugo[i], "backchannel SSE (node+redis)")
			row(centrifugo[i], centrifugo[i], "Centrifugo uni_sse")
		}
	}
	tw.Flush()
}

// medianOf is one result whose latencies and CPU figures are the medians of
// rs's (each figure on its own), lost and duplicated summed.
func medianOf(rs []loadResult) loadResult {
	if len(rs) == 0 {
		return loadResult{}
	}
	m := rs[0]
	m.lost, m.dup = 0, 0
	for _, r := range rs {
		m.lost += r.lost
		m.dup += r.dup
	}
	pick := func(get func(loadResult) string, parse func(string) (float64, bool)) string {
		type v struct {
			s string
			x float64
		}
		var vs []v
		for _, r := range rs {
			if x, ok := parse(get(r)); ok {
				vs = append(vs, v{get(r), x})
			}
		}
		if len(vs) == 0 {
			return get(rs[0])
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i].x < vs[j].x })
		return vs[(len(vs)-1)/2].s
	}
	dur := func(s string) (float64, bool) {
		d, err := time.ParseDuration(s)
		return float64(d), err == nil
	}
	num := func(s string) (float64, bool) {
		x, err := strconv.ParseFloat(s, 64)
		return x, err == nil
	}
	m.p50 = pick(func(r loadResult) string { return r.p50 }, dur)
	m.p99 = pick(func(r loadResult) string { return r.p99 }, dur)
	m.max = pick(func(r loadResult) string { return r.max }, dur)
	m.cpuPer1k = pick(func(r loadResult) string { return r.cpuPer1k }, num)
	m.allPer1k = pick(func(r loadResult) string { return r.allPer1k }, num)
	m.toolCPU = pick(func(r loadResult) string { return r.toolCPU }, num)
	return m
}

// roundsLine lists a long-poll step's rounds: CPU-s per 1,000 deliveries
// (ours node+redis, nchan's, and their ratio) and p99, then the median of
// the rounds' CPU ratios.
func roundsLine(s loadStep, ours, theirs []loadResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %.0f items/s, rounds (ours / nchan, CPU-s per 1,000 (ratio) and p99):", s.name, s.rate)
	var ratios []float64
	for i := range max(len(ours), len(theirs)) {
		var o, t loadResult
		if i < len(ours) {
			o = ours[i]
		}
		if i < len(theirs) {
			t = theirs[i]
		}
		cpu := o.allPer1k
		if cpu == "" {
			cpu = o.cpuPer1k
		}
		r := ratioNum(cpu, t.cpuPer1k)
		if x, err := strconv.ParseFloat(r, 64); err == nil {
			ratios = append(ratios, x)
		}
		fmt.Fprintf(&b, " %d: %s / %s (%s), %s / %s;", i+1, cpu, t.cpuPer1k, r, o.p99, t.p99)
	}
	if len(ratios) == 0 {
		return strings.TrimSuffix(b.String(), ";")
	}
	sort.Float64s(ratios)
	fmt.Fprintf(&b, " median of the rounds' CPU ratios %.2f", ratios[(len(ratios)-1)/2])
	return b.String()
}

// ratio divides two durations as livepoll prints them ("12.3ms").
func ratio(a, b string) string {
	x, err1 := time.ParseDuration(a)
	y, err2 := time.ParseDuration(b)
	if err1 != nil || err2 != nil || y == 0 {
		return "?"
	}
	return fmt.Sprintf("%.2f", float64(x)/float64(y))
}

// ratioNum divides two decimal numbers.
func ratioNum(a, b string) string {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil || y == 0 {
		return "?"
	}
	return fmt.Sprintf("%.2f", x/y)
}

func cmdsPerItem(rs ...loadResult) string {
	var parts []string
	for _, r := range rs {
		if r.appended > 0 {
			parts = append(parts, fmt.Sprintf("%.1f", float64(r.redisCmds)/float64(r.appended)))
		} else {
			parts = append(parts, "?")
		}
	}
	return strings.Join(parts, " / ")
}

// hubCmdsPer1k is the hubs' Redis commands per 1,000 deliveries of each step.
func hubCmdsPer1k(rs ...loadResult) string {
	var parts []string
	for _, r := range rs {
		if r.hubCmds < 0 || r.delivered <= 0 {
			parts = append(parts, "?")
			continue
		}
		parts = append(parts, fmt.Sprintf("%.2f", r.hubCmds*1000/float64(r.delivered)))
	}
	return strings.Join(parts, " / ")
}

// fallbacksOf is how many live requests of each step went to fiber.
func fallbacksOf(rs ...loadResult) string {
	var parts []string
	for _, r := range rs {
		if r.fallbacks < 0 {
			parts = append(parts, "?")
		} else {
			parts = append(parts, fmt.Sprintf("%.0f for %d clients", r.fallbacks, r.step.clients))
		}
	}
	return strings.Join(parts, " / ")
}

func cpuRSS(rs []loadResult) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%s: %d%% core, %d MiB", r.step.name, r.cpuPct, r.rssMiB))
	}
	return strings.Join(parts, "; ")
}

// redisCommands reads total_commands_processed from INFO stats, -1 on error.
func redisCommands(addr string) int64 {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return -1
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("INFO stats\r\n")); err != nil {
		return -1
	}
	br := bufio.NewReader(c)
	head, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "$") {
		return -1
	}
	n, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return -1
	}
	for _, line := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(line, "total_commands_processed:"); ok {
			x, _ := strconv.ParseInt(v, 10, 64)
			return x
		}
	}
	return -1
}

// metricsOf reads go_goroutines and process_resident_memory_bytes from /metrics.
func metricsOf(base string) (goroutines int, rssMiB float64, err error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			goroutines = int(f)
		}
		if v, ok := strings.CutPrefix(line, "process_resident_memory_bytes "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			rssMiB = f / (1 << 20)
		}
	}
	return goroutines, rssMiB, sc.Err()
}

// runSoak is `task soak`: steady load for -duration (default 10m), with the
// server's goroutines and RSS at start and end.
func runSoak(ctx context.Context, h *harness) (int, error) {
	lp, err := h.prepareNode(ctx)
	if err != nil {
		return 2, err
	}
	d := h.o.duration
	if d <= 0 {
		d = 10 * time.Minute
	}
	s := loadStep{"soak", h.o.clients, h.o.rate, d, "poll"}
	type sample struct {
		when       string
		goroutines int
		rss        float64
	}
	var samples []sample
	take := func(when string) {
		g, rss, err := metricsOf(h.nodes[0])
		if err != nil {
			log.Printf("metrics %s: %v", when, err)
		}
		samples = append(samples, sample{when, g, rss})
		log.Printf("metrics %s: %d goroutines, RSS %.0f MiB", when, g, rss)
	}
	take("idle, before the load")
	mid := make(chan struct{})
	go func() {
		defer close(mid)
		for _, at := range []struct {
			d    time.Duration
			when string
		}{{20 * time.Second, "start of the load (+20s)"}, {d - 5*time.Second, "end of the load (-5s)"}} {
			select {
			case <-ctx.Done():
				return
			case <-time.After(at.d):
				take(at.when)
			}
		}
	}()
	r := h.livepoll(ctx, lp, s)
	<-mid
	// fasthttp never notices a client leave: parked polls end at their own
	// deadline (livepoll's wait, 25 s), so look once they all must have.
	select {
	case <-ctx.Done():
		return 2, ctx.Err()
	case <-time.After(30 * time.Second):
	}
	take("idle, 30 s after the load")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nsoak: %d clients, %.0f items/s for %s\tgoroutines\tRSS\n", s.clients, s.rate, d)
	for _, x := range samples {
		fmt.Fprintf(tw, "%s\t%d\t%.0f MiB\n", x.when, x.goroutines, x.rss)
	}
	tw.Flush()
	fmt.Printf("latency p50 %s p99 %s max %s; lost %d, duplicated %d\n", r.p50, r.p99, r.max, r.lost, r.dup)
	if r.lost > 0 || r.dup > 0 || r.err != nil {
		h.failed = true
		fmt.Printf("\nFAIL: soak: %d lost, %d duplicated (livepoll: %v)\n", r.lost, r.dup, r.err)
		return 1, nil
	}
	return 0, nil
}
