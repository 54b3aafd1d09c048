package archive

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/store"
)

// API page sizes.
const (
	apiDefaultLimit = 50
	apiMaxLimit     = 200
)

// itemsPage is the JSON answer of the items API.
type itemsPage struct {
	Items []live.Item `json:"items"`
	// Next is the after of the following page; null on the last page.
	Next *int64 `json:"next"`
}

// apiItems serves GET /api/events/{event}/items?session=S&after=SEQ&limit=L&q=TEXT
// (or room=R or track=T instead of session):
// visible strained items in seq order, keyset-paginated.
func (h *Handler) apiItems(c *fiber.Ctx) error {
	after, err := afterParam(c)
	if err != nil {
		return err
	}
	limit := apiDefaultLimit
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > apiMaxLimit {
			return fiber.NewError(fiber.StatusBadRequest, "The limit parameter must be a number from 1 to 200.")
		}
		limit = n
	}
	q := strings.TrimSpace(c.Query("q"))
	if len([]rune(q)) > 200 {
		return fiber.NewError(fiber.StatusBadRequest, "The q parameter is too long (200 characters at most).")
	}
	ec, err := h.resolve(c)
	if err != nil {
		return err
	}
	switch {
	case q != "":
		err = h.limit(c, "search")
	case after > 0:
		err = h.limit(c, "deep")
	}
	if err != nil {
		return err
	}
	sc, err := h.scopeOf(c, ec)
	if err != nil {
		return err
	}
	key := ec.key("api", sc.key(), strconv.FormatInt(after, 10), strconv.Itoa(limit), q)
	page, err := cached(h.cache, key, func() (*itemsPage, int64, error) {
		rows, err := h.store.Items(c.UserContext(), sc.query(store.ItemQuery{EventID: ec.ev.ID, After: after, Limit: limit + 1, Q: q}))
		if err != nil {
			return nil, 0, err
		}
		p := &itemsPage{Items: make([]live.Item, 0, min(len(rows), limit))}
		if len(rows) > limit {
			rows = rows[:limit]
			next := rows[len(rows)-1].Seq
			p.Next = &next
		}
		for _, r := range rows {
			p.Items = append(p.Items, h.item(ec, r))
		}
		return p, int64(1024 * (len(p.Items) + 1)), nil
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(page)
}
