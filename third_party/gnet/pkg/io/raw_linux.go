// Added by Backchannel (not part of upstream gnet): system calls the event
// loops make on non-blocking fds without entersyscall/exitsyscall, so the Go
// scheduler's monitor thread (sysmon) is not woken by each read and write.
// Why: docs/figures.md in the Backchannel repository, "Round 5".

package io

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// RawRead is read(2) as a raw system call; fd must be non-blocking.
func RawRead(fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// RawWrite is write(2) as a raw system call; fd must be non-blocking.
func RawWrite(fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// RawWritev is writev(2) as a raw system call; fd must be non-blocking.
func RawWritev(fd int, iov [][]byte) (int, error) {
	var small [16]unix.Iovec
	vs := small[:0]
	for _, b := range iov {
		if len(b) == 0 {
			continue
		}
		v := unix.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&vs[0])), uintptr(len(vs)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// RawEpollWait is epoll_wait(2) with a zero timeout as a raw system call: it
// never blocks.
func RawEpollWait(epfd int, events []unix.EpollEvent) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}
