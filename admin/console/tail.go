package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
)

// The console follows the live log: a long poll over the entries past the
// page's cursor (every item, held and hidden ones too, and every op of any
// moderator), answered with the changed items rendered as the page renders
// them. Moderators are few, so the poll looks at the log's head a few
// times a second instead of joining the hub (which serves only what the
// public sees).

const (
	// tailWait is how long a tail request waits for a new entry.
	tailWait = 10 * time.Second
	// tailEvery is how often a waiting tail request looks at the head: a
	// new item reaches the console within this (plus a render).
	tailEvery = 150 * time.Millisecond
	// tailBatch bounds the entries one answer covers; the next request
	// goes on from there.
	tailBatch = 200
	// onlineFor is how long a moderator counts as online after their
	// console last asked (a tail request is at most tailWait apart).
	onlineFor = 30 * time.Second
)

// TailItem is one changed item of a tail answer.
type TailItem struct {
	Seq     int64  `json:"seq"`
	Visible bool   `json:"visible"`
	HTML    string `json:"html"`
}

// TailAnswer is the tail's JSON answer.
type TailAnswer struct {
	// Head is the cursor of the next request.
	Head int64 `json:"head"`
	// Reset: the log went back (a new epoch); the page reloads.
	Reset    bool       `json:"reset,omitempty"`
	Items    []TailItem `json:"items"`
	Online   []string   `json:"online"`
	Pending  int64      `json:"pending"`
	Reported int        `json:"reported"`
}

// tail answers GET /admin/events/{id}/moderate/tail?after=N with the items
// the entries past N added or changed, waiting up to tailWait for one.
func (k *Console) tail(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	if k.cfg.Log == nil {
		return fiber.NewError(fiber.StatusNotFound, "This console has no live log to follow.")
	}
	after, err := strconv.ParseInt(c.Query("after"), 10, 64)
	if err != nil || after < 0 {
		return fiber.NewError(fiber.StatusBadRequest, "after must be a seq (a whole number, 0 or more).")
	}
	ctx := c.UserContext()
	ans := TailAnswer{Head: after, Items: []TailItem{}}
	ans.Online = k.online(ctx, ev.ID, auth.ActorOf(c).Name)
	deadline := k.cfg.Now().Add(tailWait)
	var entries []live.Entry
	for {
		_, head, err := k.cfg.Log.Head(ctx, ev.ID)
		if err != nil {
			return fmt.Errorf("console: tail of event %d: %w", ev.ID, err)
		}
		if head < after {
			ans.Reset, ans.Head = true, head
			return c.JSON(ans)
		}
		if head > after {
			if entries, err = k.cfg.Log.Range(ctx, ev.ID, after, tailBatch); err != nil {
				return fmt.Errorf("console: tail of event %d: %w", ev.ID, err)
			}
			ans.Head = head
			if len(entries) > 0 && len(entries) == tailBatch {
				ans.Head = entries[len(entries)-1].Seq
			}
			break
		}
		if !k.cfg.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(tailEvery):
		}
	}
	var seqs []int64
	for _, e := range entries {
		if e.Op == live.OpAdd {
			seqs = append(seqs, e.Seq)
		} else if e.Target > 0 && e.Op != live.OpSpotlight {
			seqs = append(seqs, e.Target)
		}
	}
	slices.Sort(seqs)
	seqs = slices.Compact(seqs)
	if len(seqs) > consoleSize {
		seqs = seqs[len(seqs)-consoleSize:]
	}
	stored, err := k.cfg.Store.AdminStoredHead(ctx, ev.ID)
	if err != nil {
		return err
	}
	items := make([]ModItem, 0, len(seqs))
	for _, seq := range seqs {
		it, err := k.cfg.Verbs.Item(ctx, ev.ID, seq)
		var nf *models.NotFoundError
		if errors.As(err, &nf) {
			continue
		}
		if err != nil {
			return err
		}
		items = append(items, toModItem(it, it.Review(), seq > stored))
	}
	if err := k.addReports(ctx, ev.ID, items); err != nil {
		return err
	}
	base := fmt.Sprintf("/admin/events/%d", ev.ID)
	ret := ui.BackTo(c, base+"/moderate")
	ch := k.a.Chrome(c, auth.EventPage("Moderate", ev, "moderate"))
	var places ModerateView
	if len(items) > 0 {
		if err := k.placing(ctx, ev.ID, &places); err != nil {
			return err
		}
	}
	for _, it := range items {
		var b bytes.Buffer
		if err := modItem(ch, base, ret, it, places.Sessions).Render(ctx, &b); err != nil {
			return fmt.Errorf("console: render item %d: %w", it.Seq, err)
		}
		ans.Items = append(ans.Items, TailItem{Seq: it.Seq, Visible: it.Public(), HTML: b.String()})
	}
	counts, err := k.cfg.Store.AdminReviewCounts(ctx, ev.ID)
	if err != nil {
		return err
	}
	ans.Pending = counts[models.ReviewPending]
	if ans.Reported, err = k.cfg.Store.ReportedCount(ctx, ev.ID); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(ans)
}

// online notes that name has the event's console open and returns who
// has, sorted. Without Redis (or when it fails) it names only them.
func (k *Console) online(ctx context.Context, eventID int64, name string) []string {
	r := k.cfg.Redis
	if r == nil {
		return []string{name}
	}
	key := fmt.Sprintf("%sadmin:online:%d", k.cfg.Namespace, eventID)
	now := k.cfg.Now()
	cut := strconv.FormatInt(now.Add(-onlineFor).UnixMilli(), 10)
	res := r.DoMulti(ctx,
		r.B().Zadd().Key(key).ScoreMember().ScoreMember(float64(now.UnixMilli()), name).Build(),
		r.B().Zremrangebyscore().Key(key).Min("-inf").Max("("+cut).Build(),
		r.B().Expire().Key(key).Seconds(int64(2*onlineFor/time.Second)).Build(),
		r.B().Zrange().Key(key).Min("0").Max("-1").Build(),
	)
	names, err := res[3].AsStrSlice()
	if err != nil {
		k.log.Warn("admin: moderators online", "event", eventID, "err", err)
		return []string{name}
	}
	slices.Sort(names)
	return names
}

// banPoster bans the browser that posted a room item (and for an hour its
// address when asked), whatever name it types next.
func (k *Console) banPoster(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	seq, err := ui.IDParam(c, "seq", "item")
	if err != nil {
		return err
	}
	b := moderation.PosterBan{Past: c.FormValue("apply") != "", Note: c.FormValue("note")}
	if h, err := strconv.Atoi(c.FormValue("hours", "0")); err == nil && h > 0 {
		b.For = time.Duration(h) * time.Hour
	}
	if c.FormValue("address") != "" {
		b.AddressFor = time.Hour
	}
	back := ui.BackTo(c, fmt.Sprintf("/admin/events/%d/moderate", ev.ID))
	res, err := k.cfg.Verbs.BanPoster(c.UserContext(), auth.ActorOf(c), ev.ID, seq, b)
	var verr *models.ValidationError
	switch {
	case errors.Is(err, moderation.ErrNoPoster):
		k.a.Flash(c, fmt.Sprintf("Item %d is not a room post with a poster to ban: ban its author instead.", seq))
		return ui.Redirect(c, back)
	case errors.As(err, &verr):
		k.a.Flash(c, "Not banned: "+verr.Error())
		return ui.Redirect(c, back)
	case err != nil:
		return err
	}
	msg := fmt.Sprintf("Banned the browser that posted item %d", seq)
	if b.For > 0 {
		msg += fmt.Sprintf(" for %d hours", int(b.For/time.Hour))
	}
	if res.Address != nil {
		msg += ", and its address for an hour"
	}
	msg += "."
	if b.Past {
		n := len(res.Client.Hidden.Changed)
		msg += fmt.Sprintf(" Hid %d %s.", n, ui.Plural(n, "item", "items")) + liveNote(res.Client.Hidden)
	}
	if c.Get(fiber.HeaderAccept) == fiber.MIMEApplicationJSON {
		return c.JSON(fiber.Map{"seq": seq, "op": "ban-poster", "message": msg})
	}
	k.a.Flash(c, msg)
	return ui.Redirect(c, back)
}

// spotlight shows an item on every wall of the event (or one room's) now.
func (k *Console) spotlight(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	seq, err := ui.IDParam(c, "seq", "item")
	if err != nil {
		return err
	}
	secs, err := strconv.Atoi(c.FormValue("seconds", strconv.Itoa(int(moderation.DefaultSpotlight/time.Second))))
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "seconds must be a whole number.")
	}
	back := ui.BackTo(c, fmt.Sprintf("/admin/events/%d/moderate", ev.ID))
	sp, err := k.cfg.Verbs.Spotlight(c.UserContext(), auth.ActorOf(c), ev.ID, seq, time.Duration(secs)*time.Second,
		strings.TrimSpace(c.FormValue("room")))
	var verr *models.ValidationError
	switch {
	case errors.Is(err, moderation.ErrNotShown):
		return fiber.NewError(fiber.StatusConflict, fmt.Sprintf("Item %d is not shown to the public: approve or unhide it first.", seq))
	case errors.As(err, &verr):
		return err
	case err != nil:
		return err
	}
	msg := fmt.Sprintf("Item %d is on screen for %d seconds.", seq, sp.Seconds)
	if sp.Seconds == 0 {
		msg = "The spotlight is off."
	}
	if c.Get(fiber.HeaderAccept) == fiber.MIMEApplicationJSON {
		return c.JSON(fiber.Map{"seq": seq, "op": "spotlight", "seconds": sp.Seconds, "message": msg})
	}
	k.a.Flash(c, msg)
	return ui.Redirect(c, back)
}

// ReportsView is the reports queue's view model.
type ReportsView struct {
	Base      string
	Items     []ReportedItem
	ReturnURL string
	Sessions  []PlaceChoice
}

// ReportedItem is one reported item with its count and reasons.
type ReportedItem struct {
	ModItem
	Reasons []string
}

// reports is the reports queue: reported items, most reported first.
func (k *Console) reports(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	rs, err := k.cfg.Store.ReportedItems(ctx, ev.ID, queueSize)
	if err != nil {
		return err
	}
	v := ReportsView{Base: fmt.Sprintf("/admin/events/%d", ev.ID)}
	v.ReturnURL = v.Base + "/reports"
	var places ModerateView
	if err := k.placing(ctx, ev.ID, &places); err != nil {
		return err
	}
	v.Sessions = places.Sessions
	for _, r := range rs {
		it, err := k.cfg.Verbs.Item(ctx, ev.ID, r.Seq)
		var nf *models.NotFoundError
		if errors.As(err, &nf) {
			continue
		}
		if err != nil {
			return err
		}
		m := toModItem(it, it.Review(), false)
		m.Reports = r.Count
		v.Items = append(v.Items, ReportedItem{ModItem: m, Reasons: r.Reasons})
	}
	page := auth.EventPage("Reports", ev, "reports", ui.Home, ui.Crumb{Label: ev.Title}, ui.Crumb{Label: "Reports"})
	return web.Render(c, fiber.StatusOK, ReportsPage(k.a.Chrome(c, page), v))
}

// EmbedView is the embed page's view model: the snippets organizers paste
// into their sites.
type EmbedView struct {
	Base    string
	Origins []string
	Wall    string
	Live    string
	Overlay string
}

// embed shows copy-paste snippets that frame the event's wall and live
// page, and which sites may use them (the event's form sets the list).
func (k *Console) embed(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	site := c.BaseURL() + "/events/" + ev.Slug
	v := EmbedView{Base: fmt.Sprintf("/admin/events/%d", ev.ID), Origins: ev.FrameAncestors(),
		Wall:    fmt.Sprintf(`<iframe src="%s/wall" title="%s wall" width="1280" height="720" style="border:0" loading="lazy" referrerpolicy="strict-origin-when-cross-origin"></iframe>`, site, ev.Title),
		Live:    fmt.Sprintf(`<iframe src="%s" title="%s live" width="480" height="800" style="border:0" loading="lazy" referrerpolicy="strict-origin-when-cross-origin"></iframe>`, site, ev.Title),
		Overlay: site + "/overlay"}
	page := auth.EventPage("Embed", ev, "embed", ui.Home, ui.Crumb{Label: ev.Title}, ui.Crumb{Label: "Embed"})
	return web.Render(c, fiber.StatusOK, EmbedPage(k.a.Chrome(c, page), v))
}
