package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/backchannel/backchannel/internal/clientip"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/realtime"
)

// ServerOptions tune the HTTP server.
type ServerOptions struct {
	// Live routes (long poll, stream) are registered before the general
	// middleware: they get recovery and their own few headers only, so a
	// delivery costs no request id, access log line, security-header set or
	// gzip check. Their own metrics count them.
	Live []web.Routes
	// ErrorPage renders HTML error pages; nil uses a bare page.
	ErrorPage web.HTMLRenderer
	// Routes are registered after the general middleware, in order: every
	// HTTP package's web.Routes (health, pages, events API, assets, the
	// archive, the posts), the same way.
	Routes []web.Routes
	// Mounts add routes that need the whole app (the admin mounts its own groups).
	Mounts []func(*fiber.App) error
}

// NewFiber builds the fiber app with middleware and the given routes.
func (a *App) NewFiber(opts ServerOptions) *fiber.App {
	fc := fiber.Config{
		AppName:               "backchannel",
		ErrorHandler:          web.Handler(opts.ErrorPage),
		ReadTimeout:           10 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           75 * time.Second,
		BodyLimit:             4 << 20,
		DisableStartupMessage: true,
		// Long polls park one goroutine each; allow as many as the fd limit.
		Concurrency: 256 * 1024,
	}
	// c.IP() is clientip's answer: the right-most untrusted hop of
	// X-Forwarded-For behind TRUSTED_PROXIES, the peer otherwise.
	clientip.FiberConfig(&fc, a.Config.TrustedProxies)
	f := fiber.New(fc)
	if len(a.Config.TrustedProxies) > 0 {
		f.Use(a.ClientIP.Middleware())
	}
	if len(opts.Live) > 0 {
		// Other /api/events routes pass through this too, then on to the
		// general middleware: recovering twice costs nothing.
		f.Use("/api/events", recover.New(), liveHeaders)
		for _, r := range opts.Live {
			r.Register(f)
		}
	}
	a.useMiddleware(f)
	for _, r := range opts.Routes {
		r.Register(f)
	}
	for _, m := range opts.Mounts {
		if err := m(f); err != nil {
			a.Logger.Error("mount routes", "err", err)
			return nil
		}
	}
	f.Use(func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "Not found.")
	})
	return f
}

// ListenAndServe serves f on the configured address until ctx ends, then
// calls beforeShutdown (to drain long polls) and shuts down gracefully.
// With loops, long polls and streams are answered on its event loops and
// the rest by f (realtime.LoopServer).
func (a *App) ListenAndServe(ctx context.Context, f *fiber.App, loops *realtime.LoopServer, beforeShutdown func()) error {
	ln, err := net.Listen("tcp", a.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("app: listen on %s (HTTP_ADDR): %w", a.Config.HTTPAddr, err)
	}
	return a.Serve(ctx, f, loops, ln, beforeShutdown)
}

// Serve is ListenAndServe on an existing listener.
func (a *App) Serve(ctx context.Context, f *fiber.App, loops *realtime.LoopServer, ln net.Listener, beforeShutdown func()) error {
	errc := make(chan error, 1)
	if loops != nil {
		go func() { errc <- loops.Serve(newPatientListener(ln, a.Logger), f) }()
	} else {
		go func() { errc <- f.Listener(newPatientListener(ln, a.Logger)) }()
	}
	a.Logger.Info("serving", "addr", ln.Addr().String(), "base_url", a.Config.BaseURL.String(), "live_loops", loops != nil)
	select {
	case err := <-errc:
		return fmt.Errorf("app: serve: %w", err)
	case <-ctx.Done():
	}
	a.Logger.Info("shutting down web server")
	if beforeShutdown != nil {
		beforeShutdown()
	}
	if loops != nil {
		sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
		err := loops.Shutdown(sctx)
		cancel()
		if err != nil {
			a.Logger.Warn("stop the live loops", "err", err)
		}
	}
	if err := f.ShutdownWithTimeout(a.Config.ShutdownTimeout); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("app: shutdown: %w", err)
	}
	return nil
}

// liveHeaders sets realtime's API headers on every /api/events answer.
func liveHeaders(c *fiber.Ctx) error {
	realtime.SetAPIHeaders(&c.Response().Header)
	return c.Next()
}
