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
func (h *Handler) firstBatch(c *fiber.Ctx, ec *eventCtx, sc scope) ([]models.Item, error) {
	return h.store.Items(c.UserContext(), sc.query(store.ItemQuery{EventID: ec.ev.ID, Limit: exportBatch}))
}

// eachItem calls fn for every visible item of an event (or of the scope)
// in seq order with its session's track, from the first batch on, reading
// keyset batches, until fn or a query fails.
func (h *Handler) eachItem(ctx context.Context, ec *eventCtx, sc scope, first []models.Item, fn func(it live.Item, track string) error) error {
	var after int64
	rows := first
	for {
		if rows == nil {
			var err error
			if rows, err = h.store.Items(ctx, sc.query(store.ItemQuery{EventID: ec.ev.ID, After: after, Limit: exportBatch})); err != nil {
				return err
			}
		}
		for _, r := range rows {
			if err := fn(h.item(ec, r), ec.trackOf(r.SessionID)); err != nil {
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

// exportedItem is an item as exports write it: with its session's track
// beside its session and room.
type exportedItem struct {
	live.Item
	Track string `json:"track,omitempty"`
}

// exportJSON streams /events/{event}/export.json:
// {"event": {...}, "items": [item, ...]} with every visible item in order
// (of one session, room or track with ?session=, ?room= or ?track=).
func (h *Handler) exportJSON(c *fiber.Ctx) error {
	ec, err := h.resolve(c)
	if err != nil {
		return err
	}
	if err := h.limit(c, "export"); err != nil {
		return err
	}
	sc, err := h.scopeOf(c, ec)
	if err != nil {
		return err
	}
	batch, err := h.firstBatch(c, ec, sc)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+exportName(ec, sc)+`.json"`)
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
		err := h.eachItem(ctx, ec, sc, batch, func(it live.Item, track string) error {
			if !first {
				_ = w.WriteByte(',')
			}
			first = false
			return enc.Encode(exportedItem{Item: it, Track: track})
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
	"text", "url", "media_urls", "created_at", "received_at", "pinned", "room", "track"}

// exportCSV streams /events/{event}/export.csv: UTF-8, a header row, one
// row per visible item (of one session, room or track as for exportJSON),
// cells made safe from spreadsheet formula injection. Room and track come
// last, so readers of the older columns by position still read them.
func (h *Handler) exportCSV(c *fiber.Ctx) error {
	ec, err := h.resolve(c)
	if err != nil {
		return err
	}
	if err := h.limit(c, "export"); err != nil {
		return err
	}
	sc, err := h.scopeOf(c, ec)
	if err != nil {
		return err
	}
	first, err := h.firstBatch(c, ec, sc)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+exportName(ec, sc)+`.csv"`)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		cw := csv.NewWriter(w)
		_ = cw.Write(csvHeader)
		err := h.eachItem(ctx, ec, sc, first, func(it live.Item, track string) error {
			media := make([]string, 0, len(it.Media))
			for _, m := range it.Media {
				media = append(media, m.URL)
			}
			return cw.Write([]string{
				strconv.FormatInt(it.Seq, 10), safeCell(it.ID), safeCell(it.Source), safeCell(it.Kind), safeCell(it.Session),
				safeCell(it.Author.Name), safeCell(it.Author.Handle), safeCell(it.Author.URL),
				safeCell(it.Text), safeCell(it.URL), safeCell(strings.Join(media, " ")),
				it.CreatedAt.UTC().Format(time.RFC3339), it.ReceivedAt.UTC().Format(time.RFC3339Nano),
				strconv.FormatBool(it.Pinned), safeCell(it.Room), safeCell(track),
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

// exportName is an export's file name: the event's slug, and the scope's.
func exportName(ec *eventCtx, sc scope) string {
	if k := sc.key(); k != "" {
		return ec.ev.Slug + "-" + fileSafe(k)
	}
	return ec.ev.Slug
}

// fileSafe keeps letters, digits and hyphens of s (a track's name may hold
// anything), for a Content-Disposition file name.
func fileSafe(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '-'
		}
	}
	return string(b)
}
