package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/realtime"
)

// readLimit is the archive's Options.Limit: expensive public reads
// (searches, exports, archive pages past the first) are limited per client
// (RATE_LIMIT_READS, per kind), kept in Redis so the limit holds across
// nodes, under a per-address ceiling fifty times higher: a venue behind
// one NAT reads freely, a scraper does not. The client is the browser's
// bc_client cookie; a request without one counts against its address's
// ceiling only. A Redis failure lets the read through (logged): limits
// protect the service, they must not take it down.
func (a *App) readLimit(l *realtime.Limiter) func(*fiber.Ctx, string) error {
	r := a.Config.Security.RateReads
	rate := realtime.RateLimit{Count: r.Count, Period: r.Period}
	ceiling := realtime.RateLimit{Count: r.Count * 50, Period: r.Period}
	what := map[string]string{"search": "searches", "export": "exports", "deep": "archive pages"}
	return func(c *fiber.Ctx, kind string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		client, perClient := c.Cookies(realtime.ClientCookie), rate
		if !realtime.ValidClientID(client) {
			client, perClient = "", realtime.RateLimit{}
		}
		ok, retry, err := l.AllowClient(ctx, "read:"+kind, client, c.IP(), perClient, ceiling)
		if err != nil {
			a.Logger.Warn("read limit unavailable, letting the request through", "kind", kind, "err", err)
			return nil
		}
		if ok {
			return nil
		}
		secs := max(int64((retry+time.Second-1)/time.Second), 1)
		c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(secs, 10))
		return fiber.NewError(fiber.StatusTooManyRequests,
			fmt.Sprintf("Too many %s from this browser in a short time; try again in %d seconds.", what[kind], secs))
	}
}
