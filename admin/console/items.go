package console

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
)

// itemOp hides, unhides, pins or unpins one item through the verbs:
// Postgres and the audit log first, then the live log, strained or not.
func (k *Console) itemOp(op string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ev, err := k.a.Event(c)
		if err != nil {
			return err
		}
		seq, err := ui.IDParam(c, "seq", "item")
		if err != nil {
			return err
		}
		res, err := k.cfg.Verbs.Do(c.UserContext(), auth.ActorOf(c), ev.ID, op, seq)
		if err != nil {
			return err
		}
		if c.Get(fiber.HeaderAccept) == fiber.MIMEApplicationJSON {
			return c.JSON(fiber.Map{"seq": seq, "op": op})
		}
		msg := fmt.Sprintf("Item %d: %s done.", seq, op)
		switch {
		case len(res.NotTold) > 0:
			msg = fmt.Sprintf("Item %d: %s not done: it is not stored yet and the live log could not be told. Try again.", seq, op)
		case res.LiveErr != nil:
			msg = fmt.Sprintf("Item %d: %s saved, but live pages could not be told yet.", seq, op)
		}
		k.a.Flash(c, msg)
		return ui.Redirect(c, ui.BackTo(c, fmt.Sprintf("/admin/events/%d/moderate", ev.ID)))
	}
}

// blockAuthor bans an item's author in the event, optionally hiding their
// items (this one included, strained or not).
func (k *Console) blockAuthor(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	seq, err := ui.IDParam(c, "seq", "item")
	if err != nil {
		return err
	}
	it, err := k.cfg.Verbs.Item(c.UserContext(), ev.ID, seq)
	if err != nil {
		return err
	}
	who := it.Author.Handle
	if who == "" {
		who = it.Author.Name
	}
	if who == "" {
		return fiber.NewError(fiber.StatusBadRequest, "This item has no author to block.")
	}
	return k.ban(c, ev, moderation.Ban{Kind: models.RuleAuthor, Value: who, Note: fmt.Sprintf("from item %d", seq),
		Past: c.FormValue("apply") != ""})
}

// blockWord bans a word or phrase in the event.
func (k *Console) blockWord(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	return k.ban(c, ev, moderation.Ban{Kind: models.RuleWord, Value: c.FormValue("word"), Note: c.FormValue("note"),
		Past: c.FormValue("apply") != ""})
}

func (k *Console) ban(c *fiber.Ctx, ev *models.Event, b moderation.Ban) error {
	back := ui.BackTo(c, fmt.Sprintf("/admin/events/%d/moderate", ev.ID))
	res, err := k.cfg.Verbs.Ban(c.UserContext(), auth.ActorOf(c), ev.ID, b)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		k.a.Flash(c, "Not banned: "+verr.Error())
		return ui.Redirect(c, back)
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Banned %s %q.", res.Rule.Kind, res.Rule.Value)
	if !res.Created {
		msg = fmt.Sprintf("%s %q was already banned.", strings.ToUpper(res.Rule.Kind[:1])+res.Rule.Kind[1:], res.Rule.Value)
	}
	if b.Past {
		n := len(res.Hidden.Changed)
		msg += fmt.Sprintf(" Hid %d %s.", n, ui.Plural(n, "item", "items"))
		msg += liveNote(res.Hidden)
	}
	k.a.Flash(c, msg)
	return ui.Redirect(c, back)
}

// QueueView is the held queue's view model.
type QueueView struct {
	Base   string
	Review string
	Items  []ModItem
	Counts map[string]int64
}

// queueSize is how many items one page of the held queue shows.
const queueSize = 200

// queue is the held queue: items by review state.
func (k *Console) queue(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	review := c.Query("review")
	if review != models.ReviewApproved && review != models.ReviewRejected {
		review = models.ReviewPending
	}
	rows, err := k.cfg.Store.AdminQueueItems(ctx, ev.ID, review, queueSize)
	if err != nil {
		return err
	}
	v := QueueView{Base: fmt.Sprintf("/admin/events/%d", ev.ID), Review: review}
	for _, r := range rows {
		v.Items = append(v.Items, toModItem(r.Item, r.Review, false))
	}
	if v.Counts, err = k.cfg.Store.AdminReviewCounts(ctx, ev.ID); err != nil {
		return err
	}
	page := auth.EventPage("Held queue", ev, "queue", ui.Home, ui.Crumb{Label: ev.Title}, ui.Crumb{Label: "Held queue"})
	return web.Render(c, fiber.StatusOK, QueuePage(k.a.Chrome(c, page), v))
}

// review approves or rejects held items, one ("one": "approve:42") or
// many ("ids" with "decision").
func (k *Console) review(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	decision := c.FormValue("decision")
	var seqs []int64
	if one := c.FormValue("one"); one != "" { // a row's own button
		d, n, _ := strings.Cut(one, ":")
		if seq, err := strconv.ParseInt(n, 10, 64); err == nil && seq > 0 {
			decision, seqs = d, []int64{seq}
		}
	}
	if decision != "approve" && decision != "reject" {
		return fiber.NewError(fiber.StatusBadRequest, "Choose approve or reject.")
	}
	if len(seqs) == 0 {
		for _, b := range c.Request().PostArgs().PeekMulti("ids") {
			if n, err := strconv.ParseInt(string(b), 10, 64); err == nil && n > 0 {
				seqs = append(seqs, n)
			}
		}
	}
	back := ui.BackTo(c, fmt.Sprintf("/admin/events/%d/queue", ev.ID))
	if len(seqs) == 0 {
		k.a.Flash(c, "Select at least one item first.")
		return ui.Redirect(c, back)
	}
	res, err := k.cfg.Verbs.Do(c.UserContext(), auth.ActorOf(c), ev.ID, decision, seqs...)
	if err != nil {
		return err
	}
	verb := map[string]string{"approve": "Approved", "reject": "Rejected"}[decision]
	msg := fmt.Sprintf("%s %d %s.", verb, len(res.Changed), ui.Plural(len(res.Changed), "item", "items"))
	k.a.Flash(c, msg+liveNote(res))
	return ui.Redirect(c, back)
}

// liveNote tells the moderator what of a committed change did not reach
// the live log.
func liveNote(res moderation.Result) string {
	switch {
	case len(res.NotTold) > 0:
		return fmt.Sprintf(" %d %s not stored yet could not be changed in the live log: try again.",
			len(res.NotTold), ui.Plural(len(res.NotTold), "item", "items"))
	case res.LiveErr != nil:
		return " Live pages could not be told yet."
	}
	return ""
}
