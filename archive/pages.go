package archive

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/views"
	av "github.com/backchannel/backchannel/views/archive"
)

// eventArchive serves /events/{event}/archive, or one room's or track's
// part of it (?room=R, ?track=T: their sessions, and their posts counted).
func (h *Handler) eventArchive(c *fiber.Ctx) error {
	ec, err := h.resolve(c)
	if err != nil {
		return err
	}
	sc, err := h.scopeOf(c, ec)
	if err != nil {
		return err
	}
	if sc.kind == "session" {
		return fiber.NewError(fiber.StatusBadRequest, "The archive is by room or track; a session has its own page.")
	}
	now := h.opts.Now()
	return h.render(c, ec.key("archive", sc.key()), func() (templ.Component, error) {
		ctx := c.UserContext()
		ev := ec.ev
		counts, err := h.store.SessionCounts(ctx, ev.ID)
		if err != nil {
			return nil, err
		}
		total, err := h.store.VisibleItemCount(ctx, ev.ID)
		if err != nil {
			return nil, err
		}
		sparks, err := h.store.SessionBuckets(ctx, ev.ID, sparkBars)
		if err != nil {
			return nil, err
		}
		step := stepFor(ev.EndsAt.Sub(ev.StartsAt), eventBars)
		act, err := h.store.Activity(ctx, ev.ID, 0, ev.StartsAt, ev.EndsAt, step)
		if err != nil {
			return nil, err
		}
		vm := av.EventArchiveVM{
			Event:     views.NewEventCardVM(ev, now),
			Total:     total,
			Activity:  chartOf("activity", "Posts over the event", act, ev.StartsAt, step, ec.loc),
			Links:     links(ev.Slug),
			Canonical: h.absolute(links(ev.Slug).Archive),
		}
		var assigned int64
		for _, s := range views.NewSessionVMs(ev, now) {
			sess := ec.bySlug[s.Slug]
			n := counts[sess.ID]
			assigned += n
			b := sparks[sess.ID]
			if b == nil {
				b = make([]int64, sparkBars)
			}
			step := sess.EndsAt.Sub(sess.StartsAt) / sparkBars
			spark := chartOf(idOf("spark-", sess.ID), "Posts during "+s.Title, b, sess.StartsAt, max(step, time.Second), ec.loc)
			vm.Sessions = append(vm.Sessions, av.SessionRowVM{Session: s, Count: n, Spark: spark})
		}
		vm.Unassigned = max(total-assigned, 0)
		if err := h.unplacedUnder(ctx, ec, vm.Sessions, now); err != nil {
			return nil, err
		}
		vm.Scopes = scopeLinks(ev)
		if sc.kind != "" {
			// One room's or track's archive: its sessions and their posts.
			in := map[int64]bool{}
			for _, id := range sc.sessionIDs {
				in[id] = true
			}
			kept := vm.Sessions[:0]
			vm.Total = 0
			for _, r := range vm.Sessions {
				if s := ec.bySlug[r.Session.Slug]; s != nil && in[s.ID] {
					r.Unplaced = nil
					kept = append(kept, r)
					vm.Total += r.Count
				}
			}
			vm.Sessions, vm.Unassigned = kept, 0
			vm.Scope = scopeLabel(ec, sc)
			vm.Canonical = h.absolute(links(ev.Slug).Archive + "?" + sc.kind + "=" + url.QueryEscape(sc.name))
		}
		return av.EventArchive(vm), nil
	})
}

// sessionPage serves /events/{event}/sessions/{session}?after=SEQ.
func (h *Handler) sessionPage(c *fiber.Ctx) error {
	ec, err := h.resolve(c)
	if err != nil {
		return err
	}
	sess, err := h.session(ec, c.Params("session"))
	if err != nil {
		return err
	}
	after, err := afterParam(c)
	if err != nil {
		return err
	}
	if after > 0 {
		if err := h.limit(c, "deep"); err != nil {
			return err
		}
	}
	now := h.opts.Now()
	return h.render(c, ec.key("session", sess.Slug, strconv.FormatInt(after, 10)), func() (templ.Component, error) {
		ctx := c.UserContext()
		sig, err := h.store.SessionSignature(ctx, ec.ev.ID, sess.ID)
		if err != nil {
			return nil, err
		}
		statsKey := ""
		if ec.cacheable {
			statsKey = fmt.Sprintf("stats:%d:%d:%d:%d:%s", ec.id, sess.ID, sess.StartsAt.Unix(), sess.EndsAt.Unix(), sig)
		}
		st, err := cached(h.cache, statsKey, func() (*sessionStats, int64, error) {
			st, err := h.statsOf(ctx, ec.ev.ID, sess.ID, sess.StartsAt, sess.EndsAt)
			return st, 16 << 10, err
		})
		if err != nil {
			return nil, err
		}
		rows, err := h.store.Items(ctx, store.ItemQuery{EventID: ec.ev.ID, SessionID: sess.ID, After: after, Limit: h.opts.PageSize + 1})
		if err != nil {
			return nil, err
		}
		path := views.SessionPath(ec.ev.Slug, sess.Slug)
		vm := av.SessionPageVM{
			Event:      views.NewEventCardVM(ec.ev, now),
			Total:      st.total,
			Photos:     st.photos,
			TopLinks:   st.links,
			TopPosters: st.posters,
			Activity:   chartOf("activity", "Posts per "+stepName(st.step), st.perStep, sess.StartsAt, st.step, ec.loc),
			FeedURL:    path + "/feed.atom",
			Links:      links(ec.ev.Slug),
			Canonical:  h.absolute(withAfter(path, after, nil)),
			Now:        now,
		}
		for _, s := range views.NewSessionVMs(ec.ev, now) {
			if s.Slug == sess.Slug {
				vm.Session = s
			}
		}
		if len(rows) > h.opts.PageSize {
			rows = rows[:h.opts.PageSize]
			vm.NextURL = withAfter(path, rows[len(rows)-1].Seq, nil)
		}
		if after > 0 {
			vm.FirstURL = path
		}
		for _, r := range rows {
			vm.Items = append(vm.Items, views.NewItemVM(h.item(ec, r), ec.loc))
		}
		return av.SessionPage(vm), nil
	})
}

func stepName(d time.Duration) string {
	switch {
	case d == time.Minute:
		return "minute"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	case d == time.Hour:
		return "hour"
	default:
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	}
}

// itemPage serves /events/{event}/items/{seq}.
func (h *Handler) itemPage(c *fiber.Ctx) error {
	ec, err := h.resolve(c)
	if err != nil {
		return err
	}
	seq, err := strconv.ParseInt(c.Params("seq"), 10, 64)
	if err != nil || seq <= 0 {
		return models.NotFound("post", c.Params("seq"))
	}
	now := h.opts.Now()
	return h.render(c, ec.key("item", strconv.FormatInt(seq, 10)), func() (templ.Component, error) {
		row, err := h.store.VisibleItem(c.UserContext(), ec.ev.ID, seq)
		if err != nil {
			return nil, err
		}
		it := h.item(ec, row)
		path := views.EventPath(ec.ev.Slug) + "/items/" + strconv.FormatInt(seq, 10)
		vm := av.ItemPageVM{Event: views.NewEventCardVM(ec.ev, now), Item: views.NewItemVM(it, ec.loc),
			Links: links(ec.ev.Slug), Canonical: h.absolute(path), Now: now}
		for _, s := range views.NewSessionVMs(ec.ev, now) {
			if s.Slug == it.Session {
				vm.Session = &s
			}
		}
		return av.ItemPage(vm), nil
	})
}

// search serves /events/{event}/search?q=TEXT&after=SEQ.
func (h *Handler) search(c *fiber.Ctx) error {
	ec, err := h.resolve(c)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(c.Query("q"))
	if len([]rune(q)) > 200 {
		return fiber.NewError(fiber.StatusBadRequest, "The search is too long (200 characters at most).")
	}
	after, err := afterParam(c)
	if err != nil {
		return err
	}
	if q != "" {
		if err := h.limit(c, "search"); err != nil {
			return err
		}
	}
	now := h.opts.Now()
	return h.render(c, ec.key("search", strconv.FormatInt(after, 10), url.QueryEscape(q)), func() (templ.Component, error) {
		vm := av.SearchVM{Event: views.NewEventCardVM(ec.ev, now), Query: q, Links: links(ec.ev.Slug), Now: now}
		if q == "" {
			return av.SearchPage(vm), nil
		}
		hits, err := h.store.Search(c.UserContext(), ec.ev.ID, q, after, searchPage+1)
		if err != nil {
			return nil, err
		}
		if len(hits) > searchPage {
			hits = hits[:searchPage]
			vm.NextURL = withAfter(vm.Links.Search, hits[len(hits)-1].Item.Seq, url.Values{"q": {q}})
		}
		for _, hit := range hits {
			it := h.item(ec, hit.Item)
			vm.Hits = append(vm.Hits, av.HitVM{Item: views.NewItemVM(it, ec.loc), Snippet: highlight(hit.Headline),
				Permalink: views.EventPath(ec.ev.Slug) + "/items/" + strconv.FormatInt(it.Seq, 10)})
		}
		return av.SearchPage(vm), nil
	})
}
