package app

import (
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// patientListener keeps accepting when the process runs out of file
// descriptors. fasthttp treats every accept error but a timeout as the end
// of the listener, so a node holding as many long polls as its limit allows
// would otherwise stop serving for good the first time one more client
// connected. It waits instead, doubling from 5 ms to 1 s as net/http does,
// while the connections already open carry on; new clients wait in the
// kernel's backlog until a descriptor is free. It logs once a minute.
type patientListener struct {
	net.Listener
	logger   *slog.Logger
	lastLog  atomic.Int64 // unix nanoseconds
	exhausts atomic.Int64 // accept calls that found no free descriptor
}

func newPatientListener(ln net.Listener, logger *slog.Logger) *patientListener {
	return &patientListener{Listener: ln, logger: logger}
}

// Accept returns the next connection, waiting out a lack of descriptors.
func (l *patientListener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil || !outOfDescriptors(err) {
			return c, err
		}
		n := l.exhausts.Add(1)
		if now := time.Now().UnixNano(); now-l.lastLog.Load() > int64(time.Minute) {
			l.lastLog.Store(now)
			l.logger.Warn("out of file descriptors: new connections wait until some close",
				"err", err, "times", n, "hint", "raise the open-file limit (LimitNOFILE) or add web nodes")
		}
		delay = min(max(2*delay, 5*time.Millisecond), time.Second)
		time.Sleep(delay)
	}
}

// outOfDescriptors reports whether an accept failed for want of a file
// descriptor (per process or system-wide) or of kernel buffers.
func outOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}
