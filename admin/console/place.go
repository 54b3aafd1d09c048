package console

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/ui"
)

// PlaceChoice is a session an item can be moved to.
type PlaceChoice struct {
	Slug  string
	Label string // "13:00 Room B · Title"
}

// placing fills the console's sessions to move items to, and the count of
// items to place.
func (k *Console) placing(ctx context.Context, eventID int64, v *ModerateView) error {
	_, sessions, err := k.cfg.Store.EventSchedule(ctx, eventID)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		label := s.StartsAt.UTC().Format("Jan 2 15:04 UTC")
		if r := s.RoomName(); r != "" {
			label += " " + r
		}
		v.Sessions = append(v.Sessions, PlaceChoice{Slug: s.Slug, Label: label + " · " + s.Title})
	}
	v.ToPlace, err = k.cfg.Store.AdminToPlaceCount(ctx, eventID)
	return err
}

// place moves one item to a session through the verbs (moderation.Place):
// audited, kept by every later re-assignment, told to live pages.
func (k *Console) place(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	seq, err := ui.IDParam(c, "seq", "item")
	if err != nil {
		return err
	}
	session := c.FormValue("session")
	if session == "" {
		return fiber.NewError(fiber.StatusBadRequest, "Choose a session to move the item to.")
	}
	res, err := k.cfg.Verbs.Place(c.UserContext(), auth.ActorOf(c), ev.ID, session, seq)
	if err != nil {
		return err
	}
	if c.Get(fiber.HeaderAccept) == fiber.MIMEApplicationJSON {
		return c.JSON(fiber.Map{"seq": seq, "session": session})
	}
	msg := fmt.Sprintf("Item %d moved to %s.", seq, session)
	if len(res.Changed) == 0 {
		msg = fmt.Sprintf("Item %d was already placed in %s.", seq, session)
	}
	k.a.Flash(c, msg+liveNote(res))
	return ui.Redirect(c, ui.BackTo(c, fmt.Sprintf("/admin/events/%d/moderate", ev.ID)))
}
