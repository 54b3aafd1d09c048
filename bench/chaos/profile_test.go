package main

import "testing"

func TestClassifyNamesWhereASampleSpentItsTime(t *testing.T) {
	cases := []struct {
		frames []string
		want   string
	}{
		{[]string{"internal/runtime/syscall/linux.Syscall6", "syscall.RawSyscall6", "syscall.Syscall", "golang.org/x/sys/unix.write",
			"github.com/panjf2000/gnet/v2.(*conn).write"}, "kernel: writes"},
		{[]string{"internal/runtime/syscall/linux.Syscall6", "syscall.RawSyscall6", "syscall.Syscall", "golang.org/x/sys/unix.read",
			"github.com/panjf2000/gnet/v2.(*eventloop).read"}, "kernel: reads"},
		{[]string{"internal/runtime/syscall/linux.Syscall6", "syscall.RawSyscall6", "syscall.Syscall6", "golang.org/x/sys/unix.EpollWait"}, "kernel: epoll"},
		{[]string{"runtime.futex", "runtime.futexsleep"}, "runtime: scheduler and timers"},
		{[]string{"bytes.Index", "github.com/backchannel/backchannel/realtime.parseHead", "github.com/backchannel/backchannel/realtime.(*loopConn).serve"}, "parse: request heads and queries"},
		{[]string{"runtime.mapaccess1_faststr", "github.com/backchannel/backchannel/realtime.(*liveEvent).cachedCollect"}, "hub: window, pages, wake-ups"},
		{[]string{"strconv.AppendInt", "github.com/backchannel/backchannel/realtime.writeEvent"}, "encode: JSON, headers, SSE"},
		{[]string{"github.com/backchannel/backchannel/realtime.(*loop).handle"}, "loops: gnet and the connections' state"},
	}
	for _, tc := range cases {
		if got := classify(tc.frames); got != tc.want {
			t.Errorf("classify(%v) = %q, want %q", tc.frames, got, tc.want)
		}
	}
}
