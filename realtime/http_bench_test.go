package realtime

import (
	"context"
	"fmt"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
)

// oneLiveEvent is an EventLookup that knows one event.
type oneLiveEvent struct{ ev LiveEvent }

func (o oneLiveEvent) LookupLive(_ context.Context, slug string) (LiveEvent, error) {
	if slug != o.ev.Slug {
		return LiveEvent{}, fmt.Errorf("event %q: %w", slug, models.ErrNotFound)
	}
	return o.ev, nil
}

func (o oneLiveEvent) FreshLive(slug []byte) (LiveEvent, bool) {
	return o.ev, string(slug) == o.ev.Slug
}

// BenchmarkLiveAnswer is the server's own work for one delivery of a long
// poll, without the network: fiber's routing, the handler and the hub's
// answer from memory for a poll one entry behind the head.
func BenchmarkLiveAnswer(b *testing.B) {
	r := redisEnvs(b)[0]
	l := NewLog(r.client, r.namespace)
	hub := startHub(b, r.client, l, nil, HubOptions{})
	ctx := context.Background()
	var head int64
	for i := range 3 {
		res, err := l.AppendItem(ctx, 1, testItem(fmt.Sprintf("bench-%d", i)))
		if err != nil {
			b.Fatal(err)
		}
		head = res.Seq
	}
	snap, err := hub.Snapshot(ctx, 1, 1)
	if err != nil {
		b.Fatal(err)
	}
	h := NewHandler(HandlerDeps{Hub: hub, Log: l, Events: oneLiveEvent{LiveEvent{ID: 1, Slug: "demo", Posting: PostingOpen}},
		Limiter: NewLimiter(r.client, r.namespace), Metrics: NewMetrics(nil)})
	app := fiber.New(fiber.Config{ErrorHandler: web.Handler(nil), DisableStartupMessage: true})
	h.RegisterLive(app)
	serve := app.Handler()
	uri := fmt.Sprintf("/api/events/demo/live?since=%d&epoch=%s&wait=25&limit=500", head-1, snap.Epoch)
	var fctx fasthttp.RequestCtx
	b.ReportAllocs()
	for b.Loop() {
		fctx.Request.Reset()
		fctx.Response.Reset()
		fctx.Request.SetRequestURI(uri)
		fctx.Request.Header.SetCookie(ClientCookie, "D83sZAoKPrd78--G8knvoA")
		serve(&fctx)
		if fctx.Response.StatusCode() != fiber.StatusOK {
			b.Fatalf("status %d: %s", fctx.Response.StatusCode(), fctx.Response.Body())
		}
	}
}
