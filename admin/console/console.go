package console

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/store"
)

// LiveLog is what the console reads of the live log: its head and the
// entries the strainer has not copied into Postgres yet.
type LiveLog interface {
	Head(ctx context.Context, eventID int64) (epoch string, head int64, err error)
	Range(ctx context.Context, eventID int64, after int64, limit int) ([]live.Entry, error)
}

// Config is what New needs.
type Config struct {
	Store  *store.Store
	Auth   *auth.Auth
	Verbs  *moderation.Verbs
	Log    LiveLog // nil: the console shows what Postgres holds
	Logger *slog.Logger
	// Questions and QuestionList serve the questions console
	// (questions.go); nil Questions leaves it out.
	Questions    *moderation.Questions
	QuestionList QuestionLister
}

// Console serves the moderation console and the held queue.
type Console struct {
	cfg Config
	a   *auth.Auth
	log *slog.Logger
}

// New returns the console over cfg.
func New(cfg Config) *Console {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Console{cfg: cfg, a: cfg.Auth, log: cfg.Logger}
}

// Register adds the console's routes (web.Routes), all for the event's
// moderators.
func (k *Console) Register(g fiber.Router) {
	ev := "/events/:event"
	mod := func(h fiber.Handler) fiber.Handler { return k.a.Guard(auth.PermEventModerate, h) }
	g.Get(ev+"/moderate", mod(k.moderate))
	for _, op := range []string{live.OpHide, live.OpUnhide, live.OpPin, live.OpUnpin} {
		g.Post(ev+"/items/:seq/"+op, mod(k.itemOp(op)))
	}
	g.Post(ev+"/items/:seq/block-author", mod(k.blockAuthor))
	g.Post(ev+"/items/:seq/place", mod(k.place)) // place.go
	g.Post(ev+"/block-word", mod(k.blockWord))
	g.Get(ev+"/queue", mod(k.queue))
	g.Post(ev+"/queue", mod(k.review))
	k.registerQuestions(g, mod)
}

// ModItem is one item in the console or the held queue.
type ModItem struct {
	Seq     int64
	Author  string
	Handle  string
	Text    string
	Source  string
	When    string
	URL     string
	Media   int
	Hidden  bool
	Pinned  bool
	Review  string
	Live    bool // only in the live log so far (not strained into Postgres)
	Session string
	Room    string
	// Placement is the rule that placed a stored item (models.Placed…).
	Placement string
}

func toModItem(it live.Item, review string, live bool) ModItem {
	return ModItem{Seq: it.Seq, Author: it.Author.Name, Handle: it.Author.Handle, Text: it.Text, Source: it.Source,
		When: ui.When(it.CreatedAt), URL: it.URL, Media: len(it.Media), Hidden: it.Hidden, Pinned: it.Pinned,
		Review: review, Live: live, Session: it.Session, Room: it.Room}
}

// ModerateView is the console's view model.
type ModerateView struct {
	Base      string // /admin/events/{id}
	Items     []ModItem
	Show      string // all, visible, hidden
	LiveNote  string
	Pending   int64
	ReturnURL string
	// Sessions are where an item can be placed (place.go).
	Sessions []PlaceChoice
	ToPlace  int64
}

// consoleSize is how many items the console shows.
const consoleSize = 100

// moderate is the console: the newest items of the event, from Postgres and
// the part of the live log the strainer has not copied yet.
func (k *Console) moderate(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	show := c.Query("show")
	if show != "visible" && show != "hidden" && show != "toplace" {
		show = "all"
	}
	rows, err := k.cfg.Store.AdminConsoleItems(ctx, ev.ID, show, consoleSize)
	if err != nil {
		return err
	}
	bySeq := map[int64]ModItem{}
	for _, r := range rows {
		it := toModItem(r.Item, r.Review, false)
		it.Placement = r.Placement
		bySeq[r.Seq] = it
	}
	v := ModerateView{Base: fmt.Sprintf("/admin/events/%d", ev.ID), Show: show}
	if err := k.placing(ctx, ev.ID, &v); err != nil { // place.go
		return err
	}
	if show != "hidden" && show != "toplace" {
		stored, err := k.cfg.Store.AdminStoredHead(ctx, ev.ID)
		if err != nil {
			return err
		}
		var tail map[int64]ModItem
		tail, v.LiveNote = k.liveTail(ctx, ev.ID, stored)
		for seq, it := range tail {
			if show == "visible" && (it.Hidden || it.Review != models.ReviewApproved) {
				continue
			}
			bySeq[seq] = it
		}
	}
	for _, it := range bySeq {
		v.Items = append(v.Items, it)
	}
	sort.Slice(v.Items, func(i, j int) bool { return v.Items[i].Seq > v.Items[j].Seq })
	if len(v.Items) > consoleSize {
		v.Items = v.Items[:consoleSize]
	}
	v.ReturnURL = v.Base + "/moderate"
	if show != "all" {
		v.ReturnURL += "?show=" + show
	}
	counts, err := k.cfg.Store.AdminReviewCounts(ctx, ev.ID)
	if err != nil {
		return err
	}
	v.Pending = counts[models.ReviewPending]
	page := auth.EventPage("Moderate "+ev.Title, ev, "moderate", ui.Home, ui.Crumb{Label: ev.Title}, ui.Crumb{Label: "Moderate"})
	return web.Render(c, fiber.StatusOK, ModeratePage(k.a.Chrome(c, page), v))
}

// liveTail reads the log's entries past what Postgres holds (at most the
// newest few hundred) and replays them, so the console shows what live
// pages show.
func (k *Console) liveTail(ctx context.Context, eventID, stored int64) (map[int64]ModItem, string) {
	out := map[int64]ModItem{}
	if k.cfg.Log == nil {
		return out, ""
	}
	const unreadable = "The live log could not be read; showing what Postgres holds."
	_, head, err := k.cfg.Log.Head(ctx, eventID)
	if err != nil {
		k.log.Warn("admin: live log head", "event", eventID, "err", err)
		return out, unreadable
	}
	es, err := k.cfg.Log.Range(ctx, eventID, max(stored, head-4*consoleSize), 4*consoleSize)
	if err != nil {
		k.log.Warn("admin: live log range", "event", eventID, "err", err)
		return out, unreadable
	}
	items := map[int64]live.Item{}
	moderation.Replay(es, items, nil)
	for seq, it := range items {
		out[seq] = toModItem(it, it.Review(), true)
	}
	return out, ""
}
