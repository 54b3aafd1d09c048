// Package web is the one handler shape of every HTTP package: each package
// exposes its routes as a Routes (routes.go), renders through Render
// (render.go) and returns errors, which Handler (errors.go) maps to HTTP
// answers in one place: JSON {"error": "..."} under /api/, an HTML page
// elsewhere, never a stack trace. Handlers return *fiber.Error for client
// mistakes and domain errors (models.NotFound, *models.ValidationError) for
// the rest, so the same missing thing reads the same on every page and API.
package web

import (
	"errors"
	"html"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/models"
)

// HTMLRenderer writes an error page for a status and message.
type HTMLRenderer func(c *fiber.Ctx, status int, message string) error

// Handler returns a fiber ErrorHandler. page renders HTML errors; nil uses a bare page.
func Handler(page HTMLRenderer) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, msg := Classify(err)
		if status == fiber.StatusServiceUnavailable && len(c.Response().Header.Peek(fiber.HeaderRetryAfter)) == 0 {
			c.Set(fiber.HeaderRetryAfter, RetryAfterSeconds)
		}
		var fe *fiber.Error
		switch {
		case status == fiber.StatusServiceUnavailable && models.IsUnavailable(err):
			// Suffered, but expected while Postgres restarts: one warning per
			// request would drown the log of an outage the dashboards show.
			slog.Debug("request needs Postgres, which is unavailable", "method", c.Method(), "path", c.Path(), "err", err)
		case status >= 500 && errors.As(err, &fe):
			// Chosen, not suffered (503 while a node drains): one line per
			// request would flood the log during every deploy.
			slog.Debug("request refused", "method", c.Method(), "path", c.Path(), "status", status, "err", err)
		case status >= 500:
			slog.Error("request failed", "method", c.Method(), "path", c.Path(), "status", status,
				"request_id", c.GetRespHeader(fiber.HeaderXRequestID), "err", err)
		}
		if IsAPI(c) {
			return c.Status(status).JSON(fiber.Map{"error": msg})
		}
		if page != nil {
			if perr := page(c, status, msg); perr == nil {
				return nil
			}
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Status(status).SendString("<!doctype html><title>" + html.EscapeString(msg) +
			"</title><h1>" + html.EscapeString(msg) + "</h1>")
	}
}

// UnavailableMessage is what a request that needs Postgres reads while
// Postgres cannot be reached (the live stream keeps working meanwhile).
const UnavailableMessage = "This part of the site is temporarily unavailable; please try again in a minute."

// RetryAfterSeconds is the Retry-After of a 503 that names none.
const RetryAfterSeconds = "30"

// IsAPI reports whether the request is for the JSON API.
func IsAPI(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/api/") }

// Classify turns an error into a status code and a message safe to show.
func Classify(err error) (int, string) {
	var fe *fiber.Error
	var ve *models.ValidationError
	var nf *models.NotFoundError
	switch {
	case errors.As(err, &fe):
		msg := fe.Message
		if fe.Code == fiber.StatusNotFound && msg == "Cannot "+"GET" {
			msg = "Not found."
		}
		return fe.Code, msg
	case errors.As(err, &nf):
		return fiber.StatusNotFound, nf.Message()
	case errors.Is(err, models.ErrNotFound):
		return fiber.StatusNotFound, "Not found."
	case errors.As(err, &ve):
		return fiber.StatusBadRequest, capitalize(ve.Error()) + "."
	case models.IsUnavailable(err):
		return fiber.StatusServiceUnavailable, UnavailableMessage
	default:
		return fiber.StatusInternalServerError, "Something went wrong on our side; it has been logged."
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
