package console

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/rueidis"

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
	Store *store.Store
	Auth  *auth.Auth
	Verbs *moderation.Verbs
	Log   LiveLog // nil: the console shows what Postgres holds
	// Redis and Namespace keep which moderators have the console open
	// (nil Redis: the console names only the reader).
	Redis     rueidis.Client
	Namespace string
	Logger    *slog.Logger
	// Questions and QuestionList serve the questions console
	// (questions.go); nil Questions leaves it out.
	Questions    *moderation.Questions
	QuestionList QuestionLister
	// Now defaults to time.Now.
	Now func() time.Time
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
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Console{cfg: cfg, a: cfg.Auth, log: cfg.Logger}
}

// Register adds the console's routes (web.Routes), all for the event's
// moderators.
func (k *Console) Register(g fiber.Router) {
	ev := "/events/:event"
	mod := func(h fiber.Handler) fiber.Handler { return k.a.Guard(auth.PermEventModerate, h) }
	g.Get(ev+"/moderate", mod(k.moderate))
	g.Get(ev+"/moderate/tail", mod(k.tail))
	for _, op := range []string{live.OpHide, live.OpUnhide, live.OpPin, live.OpUnpin, live.OpApprove, live.OpReject, live.OpHold} {
		g.Post(ev+"/items/:seq/"+op, mod(k.itemOp(op)))
	}
	g.Post(ev+"/items/:seq/block-author", mod(k.blockAuthor))
	g.Post(ev+"/items/:seq/ban-poster", mod(k.banPoster))
	g.Post(ev+"/items/:seq/spotlight", mod(k.spotlight))
	g.Get(ev+"/reports", mod(k.reports))
	g.Get(ev+"/embed", k.a.Guard(auth.PermEventManage, k.embed))
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
	// Reports is how many attendees reported the item.
	Reports int
	// Poster: a room post whose poster the server sealed (a ban follows
	// their browser).
	Poster bool
	// Care: the item's media is sensitive or it carries a warning.
	Care bool
	Room string
	// Placement is the rule that placed a stored item (models.Placed…).
	Placement string
}

// Public reports whether live pages show the item.
func (m ModItem) Public() bool { return !m.Hidden && m.Review == models.ReviewApproved }

func toModItem(it live.Item, review string, live bool) ModItem {
	return ModItem{Seq: it.Seq, Author: it.Author.Name, Handle: it.Author.Handle, Text: it.Text, Source: it.Source,
		When: ui.When(it.CreatedAt), URL: it.URL, Media: len(it.Media), Hidden: it.Hidden, Pinned: it.Pinned,
		Review: review, Live: live, Session: it.Session, Room: it.Room, Poster: it.Poster != "", Care: it.NeedsCare()}
}

// ModerateView is the console's view model.
type ModerateView struct {
	Base      string // /admin/events/{id}
	Items     []ModItem
	Show      string // all, visible, hidden
	LiveNote  string
	Pending   int64
	ReturnURL string
	// Head is the live log's head the page shows (the tail's cursor);
	// Tail is false when there is no live log to follow.
	Head     int64
	Tail     bool
	Reported int
	Online   []string
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
		tail, v.Head, v.LiveNote = k.liveTail(ctx, ev.ID, stored)
		v.Tail = k.cfg.Log != nil && v.LiveNote == ""
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
	if err := k.addReports(ctx, ev.ID, v.Items); err != nil {
		return err
	}
	if v.Reported, err = k.cfg.Store.ReportedCount(ctx, ev.ID); err != nil {
		return err
	}
	v.Online = k.online(ctx, ev.ID, auth.ActorOf(c).Name)
	page := auth.EventPage("Moderate "+ev.Title, ev, "moderate", ui.Home, ui.Crumb{Label: ev.Title}, ui.Crumb{Label: "Moderate"})
	return web.Render(c, fiber.StatusOK, ModeratePage(k.a.Chrome(c, page), v))
}

// liveTail reads the log's entries past what Postgres holds (at most the
// newest few hundred) and replays them, so the console shows what live
// pages show.
func (k *Console) liveTail(ctx context.Context, eventID, stored int64) (map[int64]ModItem, int64, string) {
	out := map[int64]ModItem{}
	if k.cfg.Log == nil {
		return out, 0, ""
	}
	const unreadable = "The live log could not be read; showing what Postgres holds."
	_, head, err := k.cfg.Log.Head(ctx, eventID)
	if err != nil {
		k.log.Warn("admin: live log head", "event", eventID, "err", err)
		return out, 0, unreadable
	}
	es, err := k.cfg.Log.Range(ctx, eventID, max(stored, head-4*consoleSize), 4*consoleSize)
	if err != nil {
		k.log.Warn("admin: live log range", "event", eventID, "err", err)
		return out, 0, unreadable
	}
	items := map[int64]live.Item{}
	moderation.Replay(es, items, nil)
	for seq, it := range items {
		out[seq] = toModItem(it, it.Review(), true)
	}
	return out, head, ""
}

// addReports sets the report counts of items.
func (k *Console) addReports(ctx context.Context, eventID int64, items []ModItem) error {
	seqs := make([]int64, len(items))
	for i, it := range items {
		seqs[i] = it.Seq
	}
	n, err := k.cfg.Store.ReportCounts(ctx, eventID, seqs)
	if err != nil {
		return err
	}
	for i := range items {
		items[i].Reports = n[items[i].Seq]
	}
	return nil
}
