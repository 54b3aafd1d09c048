package app

import (
	"context"
	"crypto/subtle"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/backchannel/backchannel/migrations"
)

// health serves /healthz (the process lives), /readyz (its stores answer)
// and /metrics.
type health struct{ app *App }

// Register mounts the health routes.
func (h health) Register(r fiber.Router) {
	r.Get("/healthz", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(fiber.Map{"status": "ok", "version": Version})
	})
	internal := internalOnly(h.app.Config.Security.MetricsToken)
	r.Get("/readyz", internal, h.readyz)
	r.Get("/metrics", internal, adaptor.HTTPHandler(promhttp.HandlerFor(h.app.Metrics, promhttp.HandlerOpts{})))
}

// readyz answers 200 only when Postgres and Redis answer and every migration
// is applied, so a load balancer sends no traffic to a node that cannot
// serve; otherwise 503 naming each part: "postgres", "redis", "migrations"
// are "ok" or say what is wrong. (While Postgres is down the node still
// serves the live stream; see docs/ARCHITECTURE.md, "When Postgres is down".)
func (h health) readyz(c *fiber.Ctx) error {
	a := h.app
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	checks := fiber.Map{}
	ok := true
	fail := func(name string, err error) {
		checks[name] = err.Error()
		ok = false
	}
	if db, err := a.SQL(); err != nil {
		fail("postgres", err)
		checks["migrations"] = "unknown: Postgres is unavailable"
	} else if err := db.PingContext(ctx); err != nil {
		fail("postgres", err)
		checks["migrations"] = "unknown: Postgres is unavailable"
	} else {
		checks["postgres"] = "ok"
		if current, err := migrations.Current(ctx, db); err != nil {
			fail("migrations", err)
		} else if !current {
			checks["migrations"] = "pending: run `backchannel migrate up`"
			ok = false
		} else {
			checks["migrations"] = "ok"
		}
	}
	if err := PingRedis(ctx, a.Redis); err != nil {
		fail("redis", err)
	} else {
		checks["redis"] = "ok"
	}
	status := fiber.StatusOK
	if !ok {
		status = fiber.StatusServiceUnavailable
	}
	return c.Status(status).JSON(fiber.Map{"ready": ok, "checks": checks})
}

// internalOnly lets a request through to /metrics and /readyz when it
// comes from this machine (a loopback client address that no proxy
// forwarded: a request nginx passes on carries X-Forwarded-For) or carries
// "Authorization: Bearer <METRICS_TOKEN>" (compared in constant time);
// anything else gets 403. They say which parts are down and how the
// process is doing: nothing for the public.
func internalOnly(token string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if token != "" {
			if got, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok &&
				subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1 {
				return c.Next()
			}
		}
		ip, err := netip.ParseAddr(c.IP())
		forwarded := len(c.Request().Header.Peek(fiber.HeaderXForwardedFor)) > 0 ||
			len(c.Request().Header.Peek("Forwarded")) > 0 || len(c.Request().Header.Peek("X-Real-Ip")) > 0
		if err == nil && ip.Unmap().IsLoopback() && !forwarded {
			return c.Next()
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return fiber.NewError(fiber.StatusForbidden, "This answers only on this machine or with the metrics token.")
	}
}
