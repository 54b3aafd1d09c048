package app

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// TestAServerOutOfDescriptorsKeepsServing uses up the process's open-file
// limit while a fiber app serves on a patientListener, so that its accept
// fails with EMFILE, then frees them: the client that connected meanwhile is
// answered, and the server never stopped. (fasthttp alone stops serving.)
func TestAServerOutOfDescriptorsKeepsServing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := fiber.New(fiber.Config{DisableStartupMessage: true})
	f.Get("/", func(c *fiber.Ctx) error { return c.SendString("still here") })
	served := make(chan error, 1)
	go func() { served <- f.Listener(newPatientListener(ln, slog.New(slog.NewTextHandler(io.Discard, nil)))) }()
	t.Cleanup(func() { _ = f.Shutdown() })
	if got := getOnce(t, ln.Addr().String()); got != "still here" {
		t.Fatalf("answer before: %q", got)
	}

	var filler []*os.File
	for len(filler) < 1<<20 {
		fd, err := os.Open(os.DevNull)
		if err != nil {
			break
		}
		filler = append(filler, fd)
	}
	filler[len(filler)-1].Close() // one left, for the client's socket
	filler = filler[:len(filler)-1]
	client, dialErr := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	time.Sleep(200 * time.Millisecond) // the server's accepts fail meanwhile
	for _, fd := range filler {
		fd.Close()
	}
	if dialErr != nil {
		t.Fatalf("dial with one descriptor left: %v", dialErr)
	}
	defer client.Close()
	select {
	case err := <-served:
		t.Fatalf("the server stopped when out of descriptors: %v", err)
	default:
	}
	if got := ask(t, client); got != "still here" {
		t.Fatalf("answer after descriptors came back: %q", got)
	}
}

func getOnce(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return ask(t, c)
}

func ask(t *testing.T, c net.Conn) string {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
