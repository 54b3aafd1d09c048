package resources

import (
	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
)

// EventCard is one event on the admin home page.
type EventCard struct {
	ID      int64
	Title   string
	Role    string
	When    string
	Home    string // path under the event the account lands on
	Pending int64
}

// home lists the events the account works on.
func (p *Pages) home(c *fiber.Ctx) error {
	pr := auth.PrincipalOf(c)
	evs, err := p.d.Store.AdminHomeEvents(c.UserContext(), pr.EventIDs(), 50)
	if err != nil {
		return err
	}
	cards := make([]EventCard, 0, len(evs))
	for _, e := range evs {
		role := pr.Roles[e.ID]
		if pr.User.IsSuperuser {
			role = "superuser"
		}
		home := ""
		if !pr.Can(auth.PermEventManage, e.ID) {
			home = "/moderate"
		}
		loc := e.Location()
		cards = append(cards, EventCard{ID: e.ID, Title: e.Title, Role: role, Home: home, Pending: e.Pending,
			When: e.StartsAt.In(loc).Format("2 Jan 2006") + " – " + e.EndsAt.In(loc).Format("2 Jan 2006")})
	}
	return web.Render(c, fiber.StatusOK, HomePage(p.d.Auth.Chrome(c, ui.Page{Title: "Home"}), cards))
}
