package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// FastLive wraps a node's fasthttp handler (fiber's) so that the commonest
// request of all, a long poll at the head of an event this node holds in
// memory from a browser that has its cookie, is answered without fiber's
// router and context: measured with bench/livepoll, fiber's share was about
// a sixth of a delivery's CPU. Every other request goes to next untouched,
// and so does a long poll the fast path cannot take whole (an event not in
// the lookup cache, a client without a cookie, a since behind memory, a
// full waiting slot, draining, a per-address bound): next answers those the
// ordinary way, errors included. The answers are the same either way; a
// test holds them byte for byte.
func (h *Handler) FastLive(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if !h.serveFast(ctx) {
			next(ctx)
		}
	}
}

var (
	livePathPrefix = []byte("/api/events/")
	livePathSuffix = []byte("/live")
)

// serveFast answers ctx if it is a long poll the fast path can take whole,
// and reports whether it did.
func (h *Handler) serveFast(ctx *fasthttp.RequestCtx) bool {
	if !ctx.IsGet() || h.draining.Load() || h.deps.MaxWaitsPerAddress > 0 {
		return false
	}
	path := ctx.URI().PathOriginal()
	if !bytes.HasPrefix(path, livePathPrefix) || !bytes.HasSuffix(path, livePathSuffix) {
		return false
	}
	slug := path[len(livePathPrefix) : len(path)-len(livePathSuffix)]
	ev, ok := h.cachedEvent(slug)
	if !ok {
		return false
	}
	q, err := ParseLiveQuery(string(ctx.URI().QueryString()))
	if err != nil || !q.HasSince || q.Wait <= 0 {
		return false
	}
	cookie := ctx.Request.Header.Cookie(ClientCookie)
	if len(cookie) != clientIDLen || !h.deps.Hub.InMemory(ev.ID, q.Since) {
		return false
	}
	client := string(cookie)
	if !validClientID(client) || !h.waits.acquire(client) {
		return false
	}
	defer h.waits.release(client)
	defer func() {
		if r := recover(); r != nil {
			h.logger.Error("realtime: panic in a long poll", "panic", r, "path", string(path))
			h.writeFastError(ctx, fiber.StatusInternalServerError, internalErrorMessage)
		}
	}()
	setLiveHeaders(&ctx.Response.Header)
	page, err := h.deps.Hub.Poll(context.Background(), ev.ID, q.Epoch, q.Since, q.Limit, q.Wait)
	switch {
	case errors.Is(err, ErrDraining):
		h.writeFastError(ctx, errDraining.Code, errDraining.Message)
	case err != nil:
		h.logger.Error("request failed", "method", "GET", "path", string(path), "status", fiber.StatusInternalServerError,
			"err", fmt.Errorf("realtime: poll event %d since %d: %w", ev.ID, q.Since, err))
		h.writeFastError(ctx, fiber.StatusInternalServerError, internalErrorMessage)
	case page.Reset:
		a, err := h.snapshot(ev.ID, q.Limit, true)
		if err != nil {
			h.logger.Error("request failed", "method", "GET", "path", string(path), "status", fiber.StatusInternalServerError, "err", err)
			h.writeFastError(ctx, fiber.StatusInternalServerError, internalErrorMessage)
			return true
		}
		h.writeFastJSON(ctx, fiber.StatusOK, a)
	default:
		body := page.JSON
		if body == nil {
			if body, err = encodePage(page); err != nil {
				h.writeFastError(ctx, fiber.StatusInternalServerError, internalErrorMessage)
				return true
			}
		}
		ctx.Response.Header.SetContentTypeBytes(jsonContentType)
		ctx.Response.SetBodyRaw(body)
	}
	return true
}

// internalErrorMessage is httperr's answer to an unexpected error.
const internalErrorMessage = "Something went wrong on our side; it has been logged."

// cachedEvent returns an event from the lookup cache while it is fresh,
// without looking it up.
func (h *Handler) cachedEvent(slug []byte) (LiveEvent, bool) {
	h.cacheMu.Lock()
	ce, ok := h.cache[string(slug)] // no allocation: the compiler reads the bytes in place
	h.cacheMu.Unlock()
	if !ok || !h.now().Before(ce.expires) {
		return LiveEvent{}, false
	}
	return ce.ev, true
}

// writeFastJSON answers v as JSON, the way fiber's c.JSON does.
func (h *Handler) writeFastJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		h.logger.Error("realtime: encode an answer", "err", err)
		status, b = fiber.StatusInternalServerError, []byte(`{"error":"`+internalErrorMessage+`"}`)
	}
	ctx.Response.Header.SetContentTypeBytes(jsonContentType)
	ctx.SetStatusCode(status)
	ctx.Response.SetBodyRaw(b)
}

// writeFastError answers {"error": msg}, as httperr does under /api/.
func (h *Handler) writeFastError(ctx *fasthttp.RequestCtx, status int, msg string) {
	h.writeFastJSON(ctx, status, fiber.Map{"error": msg})
}

// Headers every live answer carries: JSON and event streams are never
// sniffed as HTML nor embedded by other sites.
var (
	headerNoSniff        = []byte(fiber.HeaderXContentTypeOptions)
	headerResourcePolicy = []byte("Cross-Origin-Resource-Policy")
	headerReferrerPolicy = []byte(fiber.HeaderReferrerPolicy)
	valueNoSniff         = []byte("nosniff")
	valueSameSite        = []byte("same-site")
	valueReferrerPolicy  = []byte("strict-origin-when-cross-origin")
)

// setLiveHeaders sets the headers of every live answer, the fast path's
// and the ordinary one's.
func setLiveHeaders(h *fasthttp.ResponseHeader) {
	h.SetCanonical(cacheControlHeader, noStoreValue)
	h.SetCanonical(headerNoSniff, valueNoSniff)
	h.SetCanonical(headerResourcePolicy, valueSameSite)
	h.SetCanonical(headerReferrerPolicy, valueReferrerPolicy)
}
