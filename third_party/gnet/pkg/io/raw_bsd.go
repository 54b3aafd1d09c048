// Added by Backchannel (not part of upstream gnet): on the BSDs the loops keep
// upstream's system calls; only Linux has the raw ones (raw_linux.go).

//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package io

import "golang.org/x/sys/unix"

// RawRead is read(2).
func RawRead(fd int, p []byte) (int, error) { return unix.Read(fd, p) }

// RawWrite is write(2).
func RawWrite(fd int, p []byte) (int, error) { return unix.Write(fd, p) }

// RawWritev is writev(2).
func RawWritev(fd int, iov [][]byte) (int, error) { return Writev(fd, iov) }
