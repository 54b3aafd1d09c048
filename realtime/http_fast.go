package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/backchannel/backchannel/internal/web"
)

// FastLive wraps a node's fasthttp handler (fiber's) so that the commonest
// request of all, a long poll at the head of an event this node holds in
// memory from a browser that has its cookie, is answered without fiber's
// router and context: measured with bench/livepoll, fiber's share was about
// a sixth of a delivery's CPU. Every other request goes to next untouched,
// and so does a long poll the fast path cannot take whole (an event not in
// the lookup cache, a client without a cookie, a since behind memory, a
// full waiting slot, draining): next answers those the
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
	if !ctx.IsGet() || h.draining.Load() {
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
	if !validClientID(client) {
		return false
	}
	ip := h.deps.ClientAddr(ctx)
	t, admission := h.admitWait(client, ip, waitTicket{})
	if admission != waitAdmitted {
		return false // fiber's path answers the 429
	}
	defer h.releaseWait(t)
	defer func() {
		if r := recover(); r != nil {
			h.writeFastError(ctx, fmt.Errorf("realtime: panic in a long poll: %v", r))
		}
	}()
	SetLiveHeaders(&ctx.Response.Header)
	body, err := h.pollAnswer(ev.ID, q)
	if err != nil {
		h.writeFastError(ctx, err)
		return true
	}
	ctx.Response.Header.SetContentTypeBytes(jsonContentType)
	ctx.Response.SetBodyRaw(body)
	return true
}

// cachedEvent returns an event from the app's lookup while its copy is
// fresh, without looking it up.
func (h *Handler) cachedEvent(slug []byte) (LiveEvent, bool) { return h.deps.Events.FreshLive(slug) }

// writeFastError answers err as httperr does under /api/: {"error": msg}
// with the status it maps err to, logging what was not chosen.
func (h *Handler) writeFastError(ctx *fasthttp.RequestCtx, err error) {
	h.errorAnswer(&ctx.Response, string(ctx.Path()), err)
}

// errorAnswer sets resp to err's answer as httperr gives it under /api/,
// logging what was not chosen.
func (h *Handler) errorAnswer(resp *fasthttp.Response, path string, err error) {
	status, msg := web.Classify(err)
	var fe *fiber.Error
	if status >= 500 && !errors.As(err, &fe) {
		h.logger.Error("request failed", "method", "GET", "path", path, "status", status, "err", err)
	}
	b, _ := json.Marshal(fiber.Map{"error": msg}) // a map of one string cannot fail
	resp.Header.SetContentTypeBytes(jsonContentType)
	resp.SetStatusCode(status)
	resp.SetBodyRaw(b)
}

// Header names and values of SetAPIHeaders.
var (
	headerNoSniff        = []byte(fiber.HeaderXContentTypeOptions)
	headerResourcePolicy = []byte("Cross-Origin-Resource-Policy")
	headerReferrerPolicy = []byte(fiber.HeaderReferrerPolicy)
	valueNoSniff         = []byte("nosniff")
	valueSameSite        = []byte("same-site")
	valueReferrerPolicy  = []byte("strict-origin-when-cross-origin")
)

// SetLiveHeaders sets the headers of every live answer, the fast path's
// and fiber's: uncacheable, and the API headers below.
func SetLiveHeaders(h *fasthttp.ResponseHeader) {
	h.SetCanonical(cacheControlHeader, noStoreValue)
	SetAPIHeaders(h)
}

// SetAPIHeaders sets what every JSON or event-stream answer under
// /api/events carries: never sniffed as HTML nor embedded by other sites.
func SetAPIHeaders(h *fasthttp.ResponseHeader) {
	h.SetCanonical(headerNoSniff, valueNoSniff)
	h.SetCanonical(headerResourcePolicy, valueSameSite)
	h.SetCanonical(headerReferrerPolicy, valueReferrerPolicy)
}
