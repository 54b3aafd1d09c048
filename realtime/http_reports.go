package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// MaxReportReason bounds the optional reason of a report, in characters.
const MaxReportReason = 200

// ReportResult is what recording a report did.
type ReportResult struct {
	// Duplicate: this client had reported the item already (nothing changed).
	Duplicate bool
}

// report answers POST /api/events/:event/items/:seq/report: an attendee
// flags a post for the moderators, once per browser per item, within the
// per-client rate (ReportRate, with the address ceiling above it). The
// count and whether it held the item stay with the moderators.
func (h *Handler) report(c *fiber.Ctx) error {
	noStore(c)
	if h.deps.Report == nil {
		return fiber.NewError(fiber.StatusNotFound, "Reports are not taken here.")
	}
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	seq, err := strconv.ParseInt(c.Params("seq"), 10, 64)
	if err != nil || seq <= 0 {
		return fiber.NewError(fiber.StatusBadRequest, "The item must be a positive number.")
	}
	reason, err := readReason(c)
	if err != nil {
		return err
	}
	client := ClientID(c, h.deps.SecureCookie)
	if err := h.limit(c, "reports", client, h.deps.ReportRate); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := h.deps.Report(ctx, ev.ID, seq, client, reason)
	if err != nil {
		return fmt.Errorf("realtime: report item %d of event %d: %w", seq, ev.ID, err)
	}
	status := fiber.StatusAccepted
	if res.Duplicate {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(fiber.Map{"reported": true, "again": res.Duplicate})
}

// readReason reads the optional reason of a report (JSON {"reason": …},
// a form, or no body), trimmed and checked.
func readReason(c *fiber.Ctx) (string, error) {
	body := c.Body()
	if len(body) > maxPostBody {
		return "", fiber.NewError(fiber.StatusRequestEntityTooLarge, "The report is too large.")
	}
	var reason string
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	switch {
	case len(body) == 0:
	case strings.HasPrefix(ct, fiber.MIMEApplicationJSON):
		if !utf8.Valid(body) {
			return "", fiber.NewError(fiber.StatusBadRequest, "The reason is not valid UTF-8.")
		}
		var in struct {
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return "", fiber.NewError(fiber.StatusBadRequest, `The body must be a JSON object like {"reason": "…"}.`)
		}
		reason = in.Reason
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm), strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		reason = c.FormValue("reason")
	default:
		return "", fiber.NewError(fiber.StatusUnsupportedMediaType, "Send the report as JSON or as a form.")
	}
	if !utf8.ValidString(reason) {
		return "", fiber.NewError(fiber.StatusBadRequest, "The reason is not valid UTF-8.")
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > MaxReportReason {
		return "", fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("The reason can be at most %d characters.", MaxReportReason))
	}
	return reason, nil
}
