package app

import (
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
)

// contentSecurityPolicy allows no inline script or style: every script and
// stylesheet is a file under /static. Images may come from any https host
// (avatars, photos), never from javascript: or other schemes.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' https: data:; media-src 'self' https:; connect-src 'self'; font-src 'self'; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func (a *App) useMiddleware(f *fiber.App) {
	f.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		a.Logger.Error("panic in handler", "path", c.Path(), "panic", e)
	}}))
	f.Use(requestid.New())
	f.Use(a.requestLogger())
	f.Use(helmet.New(helmet.Config{
		XFrameOptions:             "DENY",
		ContentSecurityPolicy:     contentSecurityPolicy,
		ReferrerPolicy:            "strict-origin-when-cross-origin",
		CrossOriginEmbedderPolicy: "credentialless",
		CrossOriginResourcePolicy: "same-site",
		HSTSMaxAge:                hstsMaxAge(a.Config),
		PermissionPolicy:          "camera=(), microphone=(), geolocation=()",
	}))
	f.Use(crossOriginProtection())
	f.Use(compress.New(compress.Config{
		Level: compress.LevelBestSpeed,
		// Streams must reach the client as written, not buffered by gzip, and
		// long-poll answers are small and many: compressing them costs more
		// CPU per delivery than it saves.
		Next: isLivePath,
	}))
}

func hstsMaxAge(cfg *Config) int {
	if cfg.Development() {
		return 0
	}
	return 31536000
}

// requestLogger logs one line per request and records its duration by route.
func (a *App) requestLogger() fiber.Handler {
	hist := a.httpDuration
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status, _ = web.Classify(err) // what the error handler will answer
		}
		d := time.Since(start)
		route := c.Route().Path
		hist.WithLabelValues(c.Method(), route, strconv.Itoa(status)).Observe(d.Seconds())
		level := slog.LevelInfo
		if status >= 500 && !models.IsUnavailable(err) {
			level = slog.LevelError
		} else if status >= 500 {
			level = slog.LevelWarn // Postgres is down: expected, and /readyz says so
		} else if isLivePath(c) || strings.HasPrefix(c.Path(), "/static/") || c.Path() == "/healthz" || c.Path() == "/metrics" {
			// Thousands of long polls a second would drown every other line.
			level = slog.LevelDebug
		}
		attrs := []any{"method", c.Method(), "path", c.Path(), "status", status,
			"ms", float64(d.Microseconds()) / 1000, "ip", c.IP(),
			"request_id", c.GetRespHeader(fiber.HeaderXRequestID)}
		if err != nil && status >= 500 {
			attrs = append(attrs, "err", err.Error())
		}
		a.Logger.Log(c.UserContext(), level, "http", attrs...)
		return err
	}
}

// isLivePath reports whether the request is a long poll or a stream.
func isLivePath(c *fiber.Ctx) bool {
	p := c.Path()
	return strings.HasPrefix(p, "/api/events/") && (strings.HasSuffix(p, "/live") || strings.HasSuffix(p, "/stream"))
}
