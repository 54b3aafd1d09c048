// Package rawtcp wraps a TCP connection so that its reads and writes are
// made as raw system calls that wait on Go's netpoller, without the
// runtime's system-call bookkeeping.
//
// Why: an ordinary socket read enters the scheduler's system-call state,
// and the first one after an idle spell wakes the runtime's monitor thread
// (sysmon) out of its deep sleep into a run of 20 µs naps, one run per
// arrival. On the web node that read is the hub's Redis connection, once
// per posted item; docs/figures.md ("Round 6") has the measurements. The
// reads and writes here never block (the socket is non-blocking, as every
// socket of Go's net package is), so the bookkeeping buys nothing.
package rawtcp

import (
	"io"
	"net"
	"os"
	"syscall"
)

// Conn is a TCP connection whose Read and Write are raw system calls.
// Everything else (deadlines, addresses, Close) is the wrapped connection's.
type Conn struct {
	net.Conn
	raw syscall.RawConn
}

// Wrap returns c with raw reads and writes when it is a *net.TCPConn on a
// platform this package supports, else c itself.
func Wrap(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok || !supported {
		return c
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return &Conn{Conn: c, raw: raw}
}

// Read reads into p, waiting on the netpoller (and the read deadline) while
// the socket has nothing.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.raw.Read(func(fd uintptr) bool {
		for {
			var e syscall.Errno
			n, e = rawRead(fd, p)
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false
			}
			errno = e
			return true
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, c.opError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p, waiting on the netpoller (and the write deadline)
// while the socket's buffer is full.
func (c *Conn) Write(p []byte) (int, error) {
	var n int
	var errno syscall.Errno
	err := c.raw.Write(func(fd uintptr) bool {
		for n < len(p) {
			m, e := rawWrite(fd, p[n:])
			switch e {
			case 0:
				n += m
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false
			default:
				errno = e
				return true
			}
		}
		return true
	})
	switch {
	case err != nil:
		return n, err
	case errno != 0:
		return n, c.opError("write", errno)
	}
	return n, nil
}

func (c *Conn) opError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}
