package admin

import (
	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/models"
)

// EventCard is one event on the admin home page.
type EventCard struct {
	ID      int64
	Title   string
	Role    string
	When    string
	Home    string // path under the event the user lands on
	Pending int64
}

// home lists the events the user works on.
func (s *server) home(c *fiber.Ctx) error {
	p := mustPrincipal(c)
	q := s.d.DB.WithContext(c.UserContext()).Order("starts_at DESC").Limit(50)
	if !p.User.IsSuperuser {
		q = q.Where("id IN ?", append(p.EventIDs(), 0))
	}
	var evs []models.Event
	if err := q.Find(&evs).Error; err != nil {
		return err
	}
	var pending []struct {
		EventID int64
		N       int64
	}
	if err := s.d.DB.WithContext(c.UserContext()).Raw(
		`SELECT event_id, count(*) AS n FROM items WHERE review = 'pending' GROUP BY event_id`).Scan(&pending).Error; err != nil {
		return err
	}
	counts := map[int64]int64{}
	for _, r := range pending {
		counts[r.EventID] = r.N
	}
	cards := make([]EventCard, 0, len(evs))
	for _, e := range evs {
		role := p.Roles[e.ID]
		if p.User.IsSuperuser {
			role = "superuser"
		}
		home := ""
		if !p.Can(PermEventManage, e.ID) {
			home = "/moderate"
		}
		cards = append(cards, EventCard{ID: e.ID, Title: e.Title, Role: role, Home: home,
			When:    e.StartsAt.In(e.Location()).Format("2 Jan 2006") + " – " + e.EndsAt.In(e.Location()).Format("2 Jan 2006"),
			Pending: counts[e.ID]})
	}
	ch := s.chrome(c, "Home")
	return render(c, fiber.StatusOK, HomePage(ch, cards))
}
