package main

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/redis/rueidis"
)

// procStat is what /proc says about a process.
type procStat struct {
	cpu     float64 // user + system seconds
	rssKB   int64
	hwmKB   int64 // peak RSS
	threads int64
}

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

func readProc(pid int) (procStat, error) {
	var st procStat
	if pid <= 0 {
		return st, fmt.Errorf("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st, err
	}
	// Fields after the command name (which may hold spaces) start at ")".
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) > 12 {
		ut, _ := strconv.ParseFloat(fields[11], 64)
		stt, _ := strconv.ParseFloat(fields[12], 64)
		st.cpu = (ut + stt) / clockTicks
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.Fields(v + " 0")[0], 10, 64)
		switch k {
		case "VmRSS":
			st.rssKB = n
		case "VmHWM":
			st.hwmKB = n
		case "Threads":
			st.threads = n
		}
	}
	return st, nil
}

// readProcs sums the CPU, RSS and threads of several processes (nginx's
// master and workers, say).
func readProcs(pids []int) (procStat, error) {
	var sum procStat
	for _, pid := range pids {
		st, err := readProc(pid)
		if err != nil {
			return sum, err
		}
		sum.cpu += st.cpu
		sum.rssKB += st.rssKB
		sum.hwmKB += st.hwmKB
		sum.threads += st.threads
	}
	return sum, nil
}

// pidsListeningOn finds the processes with a listening socket on base's port
// (none when none is found or they belong to another user).
func pidsListeningOn(base string) []int {
	u, err := url.Parse(base)
	if err != nil {
		return nil
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return nil
	}
	inodes := map[string]bool{}
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); err == nil && int(p) == port {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return nil
	}
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*/fd")
	for _, dir := range procs {
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && inodes[target] {
				pid, _ := strconv.Atoi(strings.Split(dir, "/")[2])
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// redisCPU returns Redis's used CPU seconds (user + system), -1 on error.
func redisCPU(ctx context.Context, rc rueidis.Client) float64 {
	if rc == nil {
		return -1
	}
	info, err := rc.Do(ctx, rc.B().Info().Section("cpu").Build()).ToString()
	if err != nil {
		return -1
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return total
}
