package archive

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/views"
	av "github.com/backchannel/backchannel/views/archive"
)

// Which talks landed (docs/API.md, "Audience questions and reactions"): the
// reception page of an event and a speaker's shareable report.

// reception serves /events/{event}/reception?sort=KEY&dir=asc|desc.
func (h *Handler) reception(c *fiber.Ctx) error {
	ec, err := h.resolve(c)
	if err != nil {
		return err
	}
	sortKey, dir := c.Query("sort", "start"), c.Query("dir")
	if !av.ValidReceptionSort(sortKey) {
		return fiber.NewError(fiber.StatusBadRequest, "The sort must be one of the table's columns.")
	}
	if dir == "" {
		dir = "desc"
		if sortKey == "start" {
			dir = "asc"
		}
	}
	if dir != "asc" && dir != "desc" {
		return fiber.NewError(fiber.StatusBadRequest, `The direction must be "asc" or "desc".`)
	}
	now := h.opts.Now()
	return h.render(c, ec.key("reception", sortKey, dir), func() (templ.Component, error) {
		figures, err := h.store.Reception(c.UserContext(), ec.ev.ID)
		if err != nil {
			return nil, err
		}
		return av.Reception(receptionVM(ec, figures, sortKey, dir, now)), nil
	})
}

// receptionVM builds the reception page from the store's figures.
func receptionVM(ec *eventCtx, figures map[int64]*store.SessionReception, sortKey, dir string, now time.Time) av.ReceptionVM {
	path := views.EventPath(ec.ev.Slug) + "/reception"
	vm := av.ReceptionVM{Event: views.NewEventCardVM(ec.ev, now), Links: links(ec.ev.Slug),
		Columns: av.SortLinks(av.ReceptionColumns(), path, sortKey, dir)}
	for _, s := range views.NewSessionVMs(ec.ev, now) {
		row := av.ReceptionRowVM{Session: s, Minutes: s.EndsAt.Sub(s.StartsAt).Minutes()}
		if f := figures[ec.bySlug[s.Slug].ID]; f != nil {
			row.Posts, row.Posters, row.Questions, row.Votes, row.PeakReaders = f.Posts, f.Posters, f.Questions, f.Votes, f.PeakReaders
			row.Reactions = f.Reactions
		}
		vm.Rows = append(vm.Rows, row)
	}
	slices.SortStableFunc(vm.Rows, func(a, b av.ReceptionRowVM) int {
		x, y := a.Value(sortKey), b.Value(sortKey)
		if dir == "desc" {
			x, y = y, x
		}
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return a.Session.StartsAt.Compare(b.Session.StartsAt)
	})
	perSession := func(id, title, unit string, value func(av.ReceptionRowVM) int64) av.Chart {
		ch := av.Chart{ID: id, Title: title, Unit: unit}
		for _, r := range vm.Rows {
			ch.Bars = append(ch.Bars, av.Bar{Label: r.Session.Title, Value: value(r)})
		}
		return ch
	}
	vm.Charts = []av.Chart{
		perSession("posts", "Posts per session", "post", func(r av.ReceptionRowVM) int64 { return r.Posts }),
		perSession("questions", "Question votes per session", "vote", func(r av.ReceptionRowVM) int64 { return r.Votes }),
		perSession("reactions", "Reactions per session", "reaction", func(r av.ReceptionRowVM) int64 { return r.ReactionsTotal() }),
	}
	return vm
}

// report serves a speaker's shareable report, /r/{token}. A revoked or
// unknown token is the same 404, so a link cannot be probed.
func (h *Handler) report(c *fiber.Ctx) error {
	token := c.Params("token")
	if len(token) < 32 || len(token) > 128 {
		return models.NotFound("report", nil)
	}
	ctx := c.UserContext()
	link, slug, err := h.store.ReportByToken(ctx, token)
	if err != nil {
		return err
	}
	ev, err := h.events.BySlug(ctx, slug)
	if err != nil {
		return err
	}
	var sess *models.Session
	for i := range ev.Sessions {
		if ev.Sessions[i].ID == link.SessionID {
			sess = &ev.Sessions[i]
		}
	}
	if sess == nil {
		return models.NotFound("report", nil)
	}
	// The link is a secret: keep it out of shared caches and referrers.
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("Referrer-Policy", "no-referrer")
	vm, err := h.reportVM(ctx, ev, sess)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, av.Report(vm))
}

// maxReportQuestions and maxReportPosts bound the report's lists.
const (
	maxReportQuestions = 10
	maxReportPosts     = 10
)

func (h *Handler) reportVM(ctx context.Context, ev *models.Event, sess *models.Session) (av.ReportVM, error) {
	now := h.opts.Now()
	loc := ev.Location()
	st, err := h.statsOf(ctx, ev.ID, sess.ID, sess.StartsAt, sess.EndsAt)
	if err != nil {
		return av.ReportVM{}, err
	}
	vm := av.ReportVM{Event: views.NewEventCardVM(ev, now), Total: st.total, TopLinks: st.links, TopPosters: st.posters,
		Activity: chartOf("activity", "Posts per "+stepName(st.step), st.perStep, sess.StartsAt, st.step, loc), Now: now}
	for _, s := range views.NewSessionVMs(ev, now) {
		if s.Slug == sess.Slug {
			vm.Session = s
		}
	}
	counts, err := h.store.SessionReactions(ctx, ev.ID, sess.ID)
	if err != nil {
		return av.ReportVM{}, err
	}
	perMinute := make([]int64, max(int(sess.EndsAt.Sub(sess.StartsAt)/time.Minute), 1))
	totals := map[string]int64{}
	for _, r := range counts {
		totals[r.Kind] += r.Count
		if i := int(r.Minute.Sub(sess.StartsAt.Truncate(time.Minute)) / time.Minute); i >= 0 && i < len(perMinute) {
			perMinute[i] += r.Count
		}
	}
	vm.Reactions = chartOf("reactions", "Reactions per minute", perMinute, sess.StartsAt.Truncate(time.Minute), time.Minute, loc)
	vm.Reactions.Unit = "reaction"
	vm.ReactionTotals = av.NewKindCounts(totals)
	qs, err := h.store.SessionQuestions(ctx, ev.ID, sess.ID, false)
	if err != nil {
		return av.ReportVM{}, err
	}
	vm.Questions = topArchivedQuestions(qs, maxReportQuestions)
	posts, err := h.store.SessionHighlights(ctx, ev.ID, sess.ID, maxReportPosts)
	if err != nil {
		return av.ReportVM{}, err
	}
	info := &eventCtx{eventInfo: &eventInfo{ev: ev, loc: loc, slugByID: map[int64]string{sess.ID: sess.Slug}}}
	for _, p := range posts {
		vm.Posts = append(vm.Posts, views.NewItemVM(h.item(info, p), loc))
	}
	return vm, nil
}

// topArchivedQuestions orders stored questions most votes first (then
// oldest), answered ones included, and keeps at most n (all when n <= 0).
func topArchivedQuestions(qs []store.StoredQuestion, n int) []views.QuestionVM {
	lq := make([]live.Question, 0, len(qs))
	for _, q := range qs {
		lq = append(lq, q.Live())
	}
	slices.SortStableFunc(lq, func(a, b live.Question) int {
		if c := cmp.Compare(b.Votes, a.Votes); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if n > 0 && len(lq) > n {
		lq = lq[:n]
	}
	return views.NewQuestionVMs(lq)
}
