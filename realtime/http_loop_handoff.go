package realtime

import (
	"log/slog"
	"net"
	"os"
	"sync"
)

// handoffListener is the listener fiber's fasthttp server accepts from:
// the connections the loops give it, each with the bytes they had read.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept returns the next connection handed over.
func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept; connections handed over later are closed.
func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is the address of the port the loop server serves.
func (l *handoffListener) Addr() net.Addr { return l.addr }

// give makes a connection of a socket the loops let go of (fd, a duplicate
// they no longer poll) and hands it over with what was read of it.
func (l *handoffListener) give(fd int, pending []byte, logger *slog.Logger) {
	f := os.NewFile(uintptr(fd), "")
	c, err := net.FileConn(f)
	_ = f.Close()
	if err != nil {
		logger.Warn("realtime: hand a connection to fasthttp", "err", err)
		return
	}
	if len(pending) > 0 {
		c = &prefixConn{Conn: c, prefix: pending}
	}
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

// prefixConn reads the bytes the loops had read before the socket's own.
type prefixConn struct {
	net.Conn
	mu     sync.Mutex
	prefix []byte
}

// Read returns what is left of the prefix first.
func (p *prefixConn) Read(b []byte) (int, error) {
	p.mu.Lock()
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		p.mu.Unlock()
		return n, nil
	}
	p.mu.Unlock()
	return p.Conn.Read(b)
}
