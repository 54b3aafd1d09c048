package archive

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// exportBatch is how many items an export reads per query while streaming.
const exportBatch = 1000

// exportTimeout bounds one export's streaming.
const exportTimeout = 10 * time.Minute

// firstBatch reads an export's first batch before the answer starts, so
// that a Postgres that cannot be reached gives a 503, not a cut document.
func (h *Handler) firstBatch(c *fiber.Ctx, ec *eventCtx) ([]models.Item, error) {
	return h.store.Items(c.UserContext(), store.ItemQuery{EventID: ec.ev.ID, Limit: exportBatch})
}

// eachItem calls fn for every visible item of an event in seq order, from
// the first batch on, reading keyset batches, until fn or a query fails.
func (h *Handler) eachItem(ctx context.Context, ec *eventCtx, first []models.Item, fn func(live.Item) error) error {
	var after int64
	rows := first
	for {
		if rows == nil {
			var err error
			if rows, err = h.store.Items(ctx, store.ItemQuery{EventID: ec.ev.ID, After: after, Limit: exportBatch}); err != nil {
				return err
			}
		}
		for _, r := range rows {
			if err := fn(h.item(ec, r)); err != nil {
				return err
			}
			after = r.Seq
		}
		if len(rows) < exportBatch {
			return nil
		}
		rows = nil
	}
}

// exportJSON streams /events/{event}/export.json:
// {"event": {...}, "items": [item, ...]} with every visible item in order.
func (h *Handler) exportJSON(c *fiber.Ctx) error {
	ec, err := h.resolve(c)
	if err != nil {
		return err
	}
	if err := h.limit(c, "export"); err != nil {
		return err
	}
	batch, err := h.firstBatch(c, ec)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+ec.ev.Slug+`.json"`)
	head, _ := json.Marshal(map[string]any{"slug": ec.ev.Slug, "title": ec.ev.Title,
		"starts_at": ec.ev.StartsAt.UTC(), "ends_at": ec.ev.EndsAt.UTC(), "timezone": ec.ev.Timezone})
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		_, _ = w.WriteString(`{"event":`)
		_, _ = w.Write(head)
		_, _ = w.WriteString(`,"items":[`)
		first := true
		enc := json.NewEncoder(w)
		err := h.eachItem(ctx, ec, batch, func(it live.Item) error {
			if !first {
				_ = w.WriteByte(',')
			}
			first = false
			return enc.Encode(it)
		})
		if err != nil {
			// The status is sent already: end the document so it fails to parse.
			h.opts.Logger.Error("archive: export json", "event", ec.ev.ID, "err", err)
			return
		}
		_, _ = w.WriteString("]}\n")
		_ = w.Flush()
	})
	return nil
}

// csvHeader names the columns of the CSV export.
var csvHeader = []string{"seq", "id", "source", "kind", "session", "author_name", "author_handle", "author_url",
	"text", "url", "media_urls", "created_at", "received_at", "pinned"}

// exportCSV streams /events/{event}/export.csv: UTF-8, a header row, one
// row per visible item, cells made safe from spreadsheet formula injection.
func (h *Handler) exportCSV(c *fiber.Ctx) error {
	ec, err := h.resolve(c)
	if err != nil {
		return err
	}
	if err := h.limit(c, "export"); err != nil {
		return err
	}
	first, err := h.firstBatch(c, ec)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+ec.ev.Slug+`.csv"`)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		cw := csv.NewWriter(w)
		_ = cw.Write(csvHeader)
		err := h.eachItem(ctx, ec, first, func(it live.Item) error {
			media := make([]string, 0, len(it.Media))
			for _, m := range it.Media {
				media = append(media, m.URL)
			}
			return cw.Write([]string{
				strconv.FormatInt(it.Seq, 10), safeCell(it.ID), safeCell(it.Source), safeCell(it.Kind), safeCell(it.Session),
				safeCell(it.Author.Name), safeCell(it.Author.Handle), safeCell(it.Author.URL),
				safeCell(it.Text), safeCell(it.URL), safeCell(strings.Join(media, " ")),
				it.CreatedAt.UTC().Format(time.RFC3339), it.ReceivedAt.UTC().Format(time.RFC3339Nano),
				strconv.FormatBool(it.Pinned),
			})
		})
		cw.Flush()
		if err != nil {
			h.opts.Logger.Error("archive: export csv", "event", ec.ev.ID, "err", err)
		}
		_ = w.Flush()
	})
	return nil
}

// safeCell defuses spreadsheet formulas (OWASP CSV injection): a cell that
// starts with = + - @ or a tab or carriage return is prefixed with '.
func safeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
