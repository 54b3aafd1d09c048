package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/backchannel/backchannel/realtime"
)

// The clients (long polls and streams) run on a few epoll loops (one per core) rather than
// a goroutine each, the way wrk and other load tools do: a delivery then
// costs the tool one read and one write system call and no scheduling, so
// on a two-core machine the tool takes as little CPU as it can from the
// server it measures.

// pollProto is what a long-poll client says and how it reads the answers.
type pollProto interface {
	// request appends the next GET request to buf.
	request(buf []byte, host string) []byte
	// answer handles a complete answer read at at.
	answer(a rawAnswer, at time.Time) error
}

// loopConn is one client's connection on a loop.
type loopConn struct {
	c     *client
	fd    int
	in    []byte     // bytes read of the answer in progress
	retry time.Time  // when to dial again after an error (zero: connected)
	first bool       // no request sent yet
	sse   *sseReader // the answer being streamed (stream modes)
}

// eventLoop drives its connections with one epoll instance.
type eventLoop struct {
	host  string
	addr  syscall.SockaddrInet4
	epfd  int
	conns map[int]*loopConn // by fd
	down  []*loopConn       // waiting to dial again
	out   []byte
	rbuf  []byte
}

func newEventLoop(host string) (*eventLoop, error) {
	tcp, err := net.ResolveTCPAddr("tcp4", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll: %w", err)
	}
	l := &eventLoop{host: host, epfd: epfd, conns: map[int]*loopConn{}, rbuf: make([]byte, 64<<10)}
	l.addr.Port = tcp.Port
	copy(l.addr.Addr[:], tcp.IP.To4())
	return l, nil
}

// dial connects lc (blocking, which on loopback takes microseconds), sends
// its first request and adds it to the epoll set.
func (l *eventLoop) dial(lc *loopConn) error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	if err := syscall.Connect(fd, &l.addr); err != nil {
		syscall.Close(fd)
		return fmt.Errorf("connect %s: %w", l.host, err)
	}
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return err
	}
	lc.fd, lc.in, lc.retry = fd, lc.in[:0], time.Time{}
	if lc.c.streaming() {
		lc.sse = &sseReader{}
	}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)}); err != nil {
		syscall.Close(fd)
		return fmt.Errorf("epoll add: %w", err)
	}
	l.conns[fd] = lc
	return l.send(lc)
}

// send writes lc's next request; a request is small enough for an empty
// socket buffer to take at once.
func (l *eventLoop) send(lc *loopConn) error {
	if lc.sse != nil {
		l.out = lc.c.streamProto().request(l.out[:0], l.host)
	} else {
		l.out = lc.c.proto().request(l.out[:0], l.host)
	}
	n, err := syscall.Write(lc.fd, l.out)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if n != len(l.out) {
		return fmt.Errorf("write: short write of %d bytes", n)
	}
	if lc.first {
		lc.first = false
		lc.c.started.Add(1)
	}
	return nil
}

// fail closes lc after an error, counts it and schedules a new dial.
func (l *eventLoop) fail(lc *loopConn, err error) {
	if lc.fd > 0 {
		_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, lc.fd, nil)
		syscall.Close(lc.fd)
		delete(l.conns, lc.fd)
		lc.fd = -1
	}
	lc.c.fail(err)
	lc.retry = time.Now().Add(200 * time.Millisecond)
	l.down = append(l.down, lc)
}

// run dials its clients (spreading the connection storm a little) and
// serves their answers until stop is closed.
func (l *eventLoop) run(clients []*client, stop <-chan struct{}) {
	defer syscall.Close(l.epfd)
	for i, c := range clients {
		lc := &loopConn{c: c, fd: -1, first: true}
		if err := l.dial(lc); err != nil {
			l.fail(lc, err)
		}
		if i%100 == 99 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	events := make([]syscall.EpollEvent, 1024)
	for {
		select {
		case <-stop:
			for fd := range l.conns {
				syscall.Close(fd)
			}
			return
		default:
		}
		n, err := syscall.EpollWait(l.epfd, events, 50)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			panic(fmt.Sprintf("epoll_wait: %v", err))
		}
		for _, ev := range events[:max(n, 0)] {
			if lc := l.conns[int(ev.Fd)]; lc != nil {
				l.readable(lc)
			}
		}
		if len(l.down) > 0 {
			l.redial()
		}
	}
}

func (l *eventLoop) redial() {
	now := time.Now()
	down := l.down
	l.down = nil
	for _, lc := range down {
		if now.Before(lc.retry) {
			l.down = append(l.down, lc)
			continue
		}
		if err := l.dial(lc); err != nil {
			l.fail(lc, err)
		}
	}
}

// readable reads what lc's socket holds and, once an answer is complete,
// hands it over and sends the next request.
func (l *eventLoop) readable(lc *loopConn) {
	n, err := syscall.Read(lc.fd, l.rbuf)
	if errors.Is(err, syscall.EAGAIN) {
		return
	}
	if err != nil || n == 0 {
		l.fail(lc, errors.Join(errors.New("connection closed by the server"), err))
		return
	}
	at := time.Now()
	buf := l.rbuf[:n]
	if lc.sse != nil {
		if err := lc.sse.feed(buf, lc.c.streamProto(), at); err != nil {
			l.fail(lc, err)
		}
		return
	}
	if len(lc.in) > 0 {
		lc.in = append(lc.in, buf...)
		buf = lc.in
	}
	a, used, err := parseAnswer(buf, realtime.ClientCookie)
	if err != nil {
		l.fail(lc, err)
		return
	}
	if used == 0 { // incomplete: keep what came
		if len(lc.in) == 0 {
			lc.in = append(lc.in, buf...)
		}
		return
	}
	if used != len(buf) {
		l.fail(lc, fmt.Errorf("%d bytes after the answer, before any request", len(buf)-used))
		return
	}
	lc.in = lc.in[:0]
	if err := lc.c.proto().answer(a, at); err != nil {
		lc.c.fail(err)
	}
	if a.closeAfter {
		l.fail(lc, errors.New("the server closed the connection (Connection: close)"))
		return
	}
	if err := l.send(lc); err != nil {
		l.fail(lc, err)
	}
}

// parseAnswer parses one HTTP/1.1 answer with a Content-Length body at the
// start of buf. used is 0 when buf does not hold all of it yet.
func parseAnswer(buf []byte, cookieName string) (a rawAnswer, used int, err error) {
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		if len(buf) > 64<<10 {
			return a, 0, fmt.Errorf("%w: headers over 64 KiB", errAnswer)
		}
		return a, 0, nil
	}
	head := buf[:end]
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return a, 0, errAnswer
	}
	if a.status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return a, 0, errAnswer
	}
	length := -1
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return a, 0, errAnswer
		}
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "Content-Length"):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return a, 0, errAnswer
			}
		case asciiEqualFold(name, "Connection"):
			a.closeAfter = asciiEqualFold(value, "close")
		case asciiEqualFold(name, "Set-Cookie") && cookieName != "":
			if v, ok := bytes.CutPrefix(value, []byte(cookieName+"=")); ok {
				v, _, _ = bytes.Cut(v, []byte(";"))
				a.cookie = string(v)
			}
		case asciiEqualFold(name, "Last-Modified"):
			a.lastMod = string(value)
		case asciiEqualFold(name, "Etag"):
			a.etag = string(value)
		}
	}
	if length < 0 {
		return a, 0, fmt.Errorf("%w: no Content-Length", errAnswer)
	}
	bodyStart := end + 4
	if len(buf) < bodyStart+length {
		return a, 0, nil
	}
	a.body = buf[bodyStart : bodyStart+length]
	return a, bodyStart + length, nil
}
