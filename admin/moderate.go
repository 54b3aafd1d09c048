package admin

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/store"
)

// ModItem is one item in the moderation console or the held queue.
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
}

// ModerateView is the console's view model.
type ModerateView struct {
	Base      string // /admin/events/{id}
	Items     []ModItem
	Show      string // all, visible, hidden
	LiveNote  string
	Pending   int64
	ReturnURL string
}

// QueueView is the held queue's view model.
type QueueView struct {
	Base   string
	Review string
	Items  []ModItem
	Counts map[string]int64
}

func toModItem(it live.Item, review string, live bool) ModItem {
	return ModItem{Seq: it.Seq, Author: it.Author.Name, Handle: it.Author.Handle, Text: it.Text, Source: it.Source,
		When: when(it.CreatedAt), URL: it.URL, Media: len(it.Media), Hidden: it.Hidden, Pinned: it.Pinned,
		Review: review, Live: live, Session: it.Session}
}

const consoleSize = 100

// moderate is the console: the newest items of the event, from Postgres and
// the part of the live log the strainer has not copied yet.
func (s *server) moderate(c *fiber.Ctx) error {
	sc, err := s.scope(c, &Resource{EventScoped: true})
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	show := c.Query("show")
	if show != "visible" && show != "hidden" {
		show = "all"
	}
	var rows []models.Item
	q := s.d.DB.WithContext(ctx).Omit("search").Where("event_id = ?", sc.EventID())
	switch show {
	case "visible":
		q = q.Where("NOT hidden AND review = 'approved'")
	case "hidden":
		q = q.Where("hidden OR review <> 'approved'")
	}
	if err := q.Order("seq DESC").Limit(consoleSize).Find(&rows).Error; err != nil {
		return fmt.Errorf("admin: console items: %w", err)
	}
	slugs, err := s.sessionSlugs(ctx, sc.EventID())
	if err != nil {
		return err
	}
	bySeq := map[int64]ModItem{}
	var maxSeq int64
	for _, r := range rows {
		slug := ""
		if r.SessionID != nil {
			slug = slugs[*r.SessionID]
		}
		bySeq[r.Seq] = toModItem(liveItem(r, slug), r.Review, false)
		maxSeq = max(maxSeq, r.Seq)
	}
	if show == "all" || show == "visible" {
		var pgMax int64
		if err := s.d.DB.WithContext(ctx).Model(&models.Item{}).Where("event_id = ?", sc.EventID()).
			Select("coalesce(max(seq), 0)").Scan(&pgMax).Error; err != nil {
			return err
		}
		v, note := s.liveTail(ctx, sc.EventID(), pgMax)
		for seq, it := range v {
			if show == "visible" && (it.Hidden || it.Review != models.ReviewApproved) {
				continue
			}
			bySeq[seq] = it
		}
		return s.renderConsole(c, sc, s.consoleView(sc, bySeq, show, note))
	}
	return s.renderConsole(c, sc, s.consoleView(sc, bySeq, show, ""))
}

func (s *server) consoleView(sc Scope, bySeq map[int64]ModItem, show, note string) ModerateView {
	v := ModerateView{Base: fmt.Sprintf("/admin/events/%d", sc.EventID()), Show: show, LiveNote: note}
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
	return v
}

func (s *server) renderConsole(c *fiber.Ctx, sc Scope, v ModerateView) error {
	if err := s.d.DB.WithContext(c.UserContext()).Model(&models.Item{}).
		Where("event_id = ? AND review = 'pending'", sc.EventID()).Count(&v.Pending).Error; err != nil {
		return err
	}
	ch := s.chrome(c, "Moderate "+sc.Event.Title, Crumb{Label: "Admin", Href: "/admin/"}, Crumb{Label: sc.Event.Title}, Crumb{Label: "Moderate"})
	ch.Event, ch.Section = sc.Event, "moderate"
	return render(c, fiber.StatusOK, ModeratePage(ch, v))
}

// liveTail reads log entries past what Postgres holds (at most the newest
// consoleSize), applying their ops, so the console shows what live pages show.
func (s *server) liveTail(ctx context.Context, eventID, after int64) (map[int64]ModItem, string) {
	out := map[int64]ModItem{}
	if s.d.Log == nil {
		return out, ""
	}
	_, head, err := s.d.Log.Head(ctx, eventID)
	if err != nil {
		s.log.Warn("admin: live log head", "event", eventID, "err", err)
		return out, "The live log could not be read; showing what Postgres holds."
	}
	from := max(after, head-4*consoleSize)
	es, err := s.d.Log.Range(ctx, eventID, from, 4*consoleSize)
	if err != nil {
		s.log.Warn("admin: live log range", "event", eventID, "err", err)
		return out, "The live log could not be read; showing what Postgres holds."
	}
	for _, e := range es {
		switch e.Op {
		case live.OpAdd:
			if e.Item != nil {
				review := models.ReviewApproved
				if e.Item.Held {
					review = models.ReviewPending
				}
				out[e.Seq] = toModItem(*e.Item, review, true)
			}
		default:
			it, ok := out[e.Target]
			if !ok {
				continue
			}
			switch e.Op {
			case live.OpHide:
				it.Hidden = true
			case live.OpUnhide:
				it.Hidden, it.Review = false, models.ReviewApproved
			case live.OpPin:
				it.Pinned = true
			case live.OpUnpin:
				it.Pinned = false
			}
			out[e.Target] = it
		}
	}
	return out, ""
}

// itemOp handles hide, unhide, pin and unpin of one item: Postgres first
// (with its audit entry), then the live-log op.
func (s *server) itemOp(op string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, err := s.scope(c, &Resource{EventScoped: true})
		if err != nil {
			return err
		}
		seq, err := idParam(c, "seq")
		if err != nil {
			return err
		}
		ctx := c.UserContext()
		if err := s.requireItem(ctx, sc.EventID(), seq); err != nil {
			return err
		}
		err = s.d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			switch op {
			case live.OpHide, live.OpUnhide:
				return s.setHidden(ctx, tx, sc, []int64{seq}, op == live.OpHide, "")
			default:
				return s.setItemFlag(ctx, tx, sc, []int64{seq}, "pinned", op == live.OpPin, op, "")
			}
		})
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("Item %d: %s done.", seq, op)
		if err := s.appendOps(ctx, sc.EventID(), op, []int64{seq}); err != nil {
			s.log.Error("admin: append op", "op", op, "seq", seq, "err", err)
			msg = fmt.Sprintf("Item %d: %s saved, but live pages could not be told yet.", seq, op)
		}
		if c.Get(fiber.HeaderAccept) == fiber.MIMEApplicationJSON {
			return c.JSON(fiber.Map{"seq": seq, "op": op})
		}
		s.flash(c, msg)
		return redirect(c, backTo(c, fmt.Sprintf("/admin/events/%d/moderate", sc.EventID())))
	}
}

// requireItem checks the item exists in Postgres or in the live log.
func (s *server) requireItem(ctx context.Context, eventID, seq int64) error {
	var n int64
	if err := s.d.DB.WithContext(ctx).Model(&models.Item{}).Where("event_id = ? AND seq = ?", eventID, seq).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if s.d.Log != nil {
		es, err := s.d.Log.Range(ctx, eventID, seq-1, 1)
		if err == nil && len(es) == 1 && es[0].Seq == seq && es[0].Op == live.OpAdd {
			return nil
		}
	}
	return fiber.NewError(fiber.StatusNotFound, "There is no such item.")
}

// backTo returns the form's "return" path when it stays in the admin.
func backTo(c *fiber.Ctx, def string) string {
	if r := c.FormValue("return"); strings.HasPrefix(r, "/admin/") && !strings.HasPrefix(r, "//") && !strings.ContainsAny(r, "\\\r\n") {
		return r
	}
	return def
}

// blockAuthor bans an item's author in the event, optionally hiding their
// past items (this one included).
func (s *server) blockAuthor(c *fiber.Ctx) error {
	sc, err := s.scope(c, &Resource{EventScoped: true})
	if err != nil {
		return err
	}
	seq, err := idParam(c, "seq")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	its, err := s.itemsForLog(ctx, sc.EventID(), []int64{seq})
	if err != nil {
		return err
	}
	it, ok := its[seq]
	if !ok {
		return fiber.NewError(fiber.StatusNotFound, "There is no such item.")
	}
	who := it.Author.Handle
	if who == "" {
		who = it.Author.Name
	}
	if who == "" {
		return fiber.NewError(fiber.StatusBadRequest, "This item has no author to block.")
	}
	return s.addRule(c, sc, "author", who, fmt.Sprintf("from item %d", seq), c.FormValue("apply") != "", seq)
}

// blockWord bans a word or phrase in the event.
func (s *server) blockWord(c *fiber.Ctx) error {
	sc, err := s.scope(c, &Resource{EventScoped: true})
	if err != nil {
		return err
	}
	return s.addRule(c, sc, "word", c.FormValue("word"), c.FormValue("note"), c.FormValue("apply") != "", 0)
}

// addRule creates a moderation rule (audited, created_by set) and, when
// apply is set, hides the past items it matches; then appends hide ops.
func (s *server) addRule(c *fiber.Ctx, sc Scope, kind, value, note string, apply bool, alsoSeq int64) error {
	ctx := c.UserContext()
	m := models.ModerationRule{EventID: sc.EventID(), Kind: kind, Value: value, Note: note}
	if verr := validateRule(&m); verr != nil {
		s.flash(c, "Not banned: "+verr.Error())
		return redirect(c, backTo(c, fmt.Sprintf("/admin/events/%d/moderate", sc.EventID())))
	}
	uid := sc.Actor.UserID
	m.CreatedBy = &uid
	var hidden []int64
	created := false
	err := s.d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var existing int64
		if err := tx.Model(&models.ModerationRule{}).Where("event_id = ? AND kind = ? AND lower(value) = lower(?)", m.EventID, m.Kind, m.Value).
			Count(&existing).Error; err != nil {
			return err
		}
		if existing == 0 {
			if err := tx.Create(&m).Error; err != nil {
				return err
			}
			after, err := snapshotRow(ctx, tx, "moderation_rules", "id", m.ID, "")
			if err != nil {
				return err
			}
			if err := writeAudit(tx, sc.Actor, "create", "moderation_rule", m.ID, sc.eventPtr(), nil, after, note); err != nil {
				return err
			}
			created = true
		}
		if !apply {
			return nil
		}
		var err error
		if hidden, err = moderation.MatchPast(ctx, store.New(tx), sc.EventID(), moderation.Compile([]models.ModerationRule{m}, false)); err != nil {
			return err
		}
		return s.setHidden(ctx, tx, sc, hidden, true, "ban "+kind+" "+m.Value)
	})
	if err != nil {
		return err
	}
	if alsoSeq != 0 && apply && !containsInt64(hidden, alsoSeq) {
		hidden = append(hidden, alsoSeq) // not strained yet: hide it in the live log
	}
	msg := fmt.Sprintf("Banned %s %q.", kind, m.Value)
	if !created {
		msg = fmt.Sprintf("%s %q was already banned.", capitalizeFirst(kind), m.Value)
	}
	if apply {
		msg += fmt.Sprintf(" Hid %d %s.", len(hidden), plural(len(hidden), "item", "items"))
		if err := s.appendOps(ctx, sc.EventID(), live.OpHide, hidden); err != nil {
			s.log.Error("admin: append hide ops", "err", err)
		}
	}
	s.flash(c, msg)
	return redirect(c, backTo(c, fmt.Sprintf("/admin/events/%d/moderate", sc.EventID())))
}

func containsInt64(xs []int64, x int64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// queue is the held queue: items by review state.
func (s *server) queue(c *fiber.Ctx) error {
	sc, err := s.scope(c, &Resource{EventScoped: true})
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	review := c.Query("review")
	if review != models.ReviewApproved && review != models.ReviewRejected {
		review = models.ReviewPending
	}
	var rows []models.Item
	q := s.d.DB.WithContext(ctx).Omit("search").Where("event_id = ? AND review = ?", sc.EventID(), review)
	if review == models.ReviewApproved {
		// approved is the normal state: list only those a moderator approved
		q = q.Where("seq IN (SELECT object_id::bigint FROM audit_log WHERE object_type = 'item' AND action = 'approve' AND event_id = ?)", sc.EventID())
	}
	order := "seq ASC" // oldest waiting first
	if review != models.ReviewPending {
		order = "seq DESC"
	}
	if err := q.Order(order).Limit(200).Find(&rows).Error; err != nil {
		return fmt.Errorf("admin: queue: %w", err)
	}
	slugs, err := s.sessionSlugs(ctx, sc.EventID())
	if err != nil {
		return err
	}
	v := QueueView{Base: fmt.Sprintf("/admin/events/%d", sc.EventID()), Review: review, Counts: map[string]int64{}}
	for _, r := range rows {
		slug := ""
		if r.SessionID != nil {
			slug = slugs[*r.SessionID]
		}
		v.Items = append(v.Items, toModItem(liveItem(r, slug), r.Review, false))
	}
	var counts []struct {
		Review string
		N      int64
	}
	if err := s.d.DB.WithContext(ctx).Raw(`SELECT review, count(*) AS n FROM items WHERE event_id = ? AND review <> 'approved' GROUP BY review`,
		sc.EventID()).Scan(&counts).Error; err != nil {
		return err
	}
	for _, x := range counts {
		v.Counts[x.Review] = x.N
	}
	ch := s.chrome(c, "Held queue", Crumb{Label: "Admin", Href: "/admin/"}, Crumb{Label: sc.Event.Title}, Crumb{Label: "Held queue"})
	ch.Event, ch.Section = sc.Event, "queue"
	return render(c, fiber.StatusOK, QueuePage(ch, v))
}

// review approves or rejects held items, one ("seq") or many ("ids").
// Approving appends an unhide op carrying the item, which shows it live.
func (s *server) review(c *fiber.Ctx) error {
	sc, err := s.scope(c, &Resource{EventScoped: true})
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	decision := c.FormValue("decision")
	var seqs []int64
	if one := c.FormValue("one"); one != "" { // a row's own button: "approve:42"
		d, n, _ := strings.Cut(one, ":")
		if seq, err := strconv.ParseInt(n, 10, 64); err == nil && seq > 0 {
			decision, seqs = d, []int64{seq}
		}
	}
	var state string
	switch decision {
	case "approve":
		state = models.ReviewApproved
	case "reject":
		state = models.ReviewRejected
	default:
		return fiber.NewError(fiber.StatusBadRequest, "Choose approve or reject.")
	}
	for _, b := range c.Request().PostArgs().PeekMulti("ids") {
		if len(seqs) == 1 && c.FormValue("one") != "" {
			break
		}
		if n, err := strconv.ParseInt(string(b), 10, 64); err == nil && n > 0 {
			seqs = append(seqs, n)
		}
	}
	if len(seqs) == 0 {
		s.flash(c, "Select at least one item first.")
		return redirect(c, backTo(c, fmt.Sprintf("/admin/events/%d/queue", sc.EventID())))
	}
	var changed map[int64]string
	err = s.d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		changed, err = s.setReview(ctx, tx, sc, seqs, state)
		return err
	})
	if err != nil {
		return err
	}
	var show, hide []int64
	for seq, was := range changed {
		switch {
		case state == models.ReviewApproved:
			show = append(show, seq)
		case was == models.ReviewApproved:
			hide = append(hide, seq) // it was public: take it down
		}
	}
	sort.Slice(show, func(i, j int) bool { return show[i] < show[j] })
	sort.Slice(hide, func(i, j int) bool { return hide[i] < hide[j] })
	var opErr error
	if err := s.appendOps(ctx, sc.EventID(), live.OpUnhide, show); err != nil {
		opErr = err
	}
	if err := s.appendOps(ctx, sc.EventID(), live.OpHide, hide); err != nil {
		opErr = err
	}
	verb := map[string]string{models.ReviewApproved: "Approved", models.ReviewRejected: "Rejected"}[state]
	msg := fmt.Sprintf("%s %d %s.", verb, len(changed), plural(len(changed), "item", "items"))
	if opErr != nil {
		s.log.Error("admin: append review ops", "err", opErr)
		msg += " Live pages could not be told yet."
	}
	s.flash(c, msg)
	return redirect(c, backTo(c, fmt.Sprintf("/admin/events/%d/queue", sc.EventID())))
}
