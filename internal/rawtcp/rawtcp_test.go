package rawtcp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime/trace"
	"testing"
	"time"

	xtrace "golang.org/x/exp/trace"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.FailNow()
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestWrapKeepsConnectionsItCannotMakeRaw(t *testing.T) {
	p, q := net.Pipe()
	defer p.Close()
	defer q.Close()
	if Wrap(p) != p {
		t.Fatal("a pipe was wrapped")
	}
	c, _ := tcpPair(t)
	if _, ok := Wrap(c).(*Conn); !ok && supported {
		t.Fatal("a TCP connection was not wrapped")
	}
}

func TestBytesArriveWholeAndInOrderPastAFullSocketBuffer(t *testing.T) {
	c, s := tcpPair(t)
	rc, rs := Wrap(c), Wrap(s)
	// More than loopback's socket buffers hold, read slowly: the writer
	// meets EAGAIN and must wait on the netpoller, then go on where it was.
	want := make([]byte, 16<<20)
	for i := range want {
		want[i] = byte(i * 7)
	}
	done := make(chan error, 1)
	go func() {
		n, err := rc.Write(want)
		if err == nil && n != len(want) {
			err = io.ErrShortWrite
		}
		done <- err
	}()
	got := make([]byte, 0, len(want))
	buf := make([]byte, 64<<10)
	for len(got) < len(want) {
		n, err := rs.Read(buf)
		if err != nil {
			t.Fatalf("read after %d bytes: %v", len(got), err)
		}
		got = append(got, buf[:n]...)
		if len(got) < 1<<20 {
			time.Sleep(time.Millisecond)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("bytes changed on the way")
	}
}

func TestReadEndsAtTheDeadlineWithATimeout(t *testing.T) {
	c, _ := tcpPair(t)
	rc := Wrap(c)
	if err := rc.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err := rc.Read(make([]byte, 10))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
}

func TestReadSeesEOFWhenThePeerCloses(t *testing.T) {
	c, s := tcpPair(t)
	rc := Wrap(c)
	if _, err := s.Write([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	got, err := io.ReadAll(rc)
	if err != nil || string(got) != "bye" {
		t.Fatalf("read %q, %v; want \"bye\" then EOF", got, err)
	}
}

func TestCloseEndsAWaitingRead(t *testing.T) {
	c, _ := tcpPair(t)
	rc := Wrap(c)
	errc := make(chan error, 1)
	go func() {
		_, err := rc.Read(make([]byte, 10))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	rc.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read on a closed connection: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a read went on waiting after Close")
	}
}

func TestWriteToAResetConnectionFails(t *testing.T) {
	c, s := tcpPair(t)
	rc := Wrap(c)
	s.(*net.TCPConn).SetLinger(0) // close with a reset
	s.Close()
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = rc.Write([]byte("hello"))
		time.Sleep(time.Millisecond)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "write" {
		t.Fatalf("write to a reset connection: %v, want a write OpError", err)
	}
}

// syscallsDuring counts the goroutines' entries into the scheduler's
// system-call state in an execution trace of f.
func syscallsDuring(t *testing.T, f func()) int {
	t.Helper()
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("tracing is on already: %v", err)
	}
	f()
	trace.Stop()
	r, err := xtrace.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind() != xtrace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		if st.Resource.Kind != xtrace.ResourceGoroutine {
			continue
		}
		if _, to := st.Goroutine(); to == xtrace.GoSyscall {
			n++
		}
	}
}

// pingPong sends 200 small messages each way over c and s.
func pingPong(t *testing.T, c, s net.Conn) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 4)
		for range 200 {
			if _, err := io.ReadFull(s, b); err != nil {
				t.Error(err)
				return
			}
			if _, err := s.Write(b); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	b := make([]byte, 4)
	for range 200 {
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatal(err)
		}
	}
	<-done
}

// The point of the package (docs/figures.md, "Round 6"): reads and writes
// the runtime does not see as system calls. The same exchange over plain
// connections enters the system-call state hundreds of times.
func TestReadsAndWritesAreNotSystemCallsToTheScheduler(t *testing.T) {
	if !supported {
		t.Skip("raw calls are made on Linux only")
	}
	c, s := tcpPair(t)
	plain := syscallsDuring(t, func() { pingPong(t, c, s) })
	c2, s2 := tcpPair(t)
	raw := syscallsDuring(t, func() { pingPong(t, Wrap(c2), Wrap(s2)) })
	t.Logf("system-call entries: plain %d, wrapped %d", plain, raw)
	if plain < 400 {
		t.Fatalf("plain connections entered the system-call state %d times for 800 reads and writes: the trace does not show what this test needs", plain)
	}
	if raw > 20 {
		t.Fatalf("wrapped connections entered the system-call state %d times (plain: %d)", raw, plain)
	}
}
