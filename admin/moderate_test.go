package admin

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
)

// lastEntries returns the log entries after seq.
func (e *env) entriesAfter(ev models.Event, seq int64) []live.Entry {
	e.t.Helper()
	es, err := e.log.Range(context.Background(), ev.ID, seq, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

func (e *env) itemRow(ev models.Event, seq int64) models.Item {
	e.t.Helper()
	var it models.Item
	if err := e.db.Omit("search").Where("event_id = ? AND seq = ?", ev.ID, seq).Take(&it).Error; err != nil {
		e.t.Fatal(err)
	}
	return it
}

func (e *env) moderator(ev models.Event) *client {
	e.t.Helper()
	m := e.user("mod-"+ev.Slug+"@example.org", false)
	e.role(m, ev, models.RoleModerator)
	c := e.client()
	c.login(m.Email)
	return c
}

func TestHideWritesPostgresThenAppendsAHideOp(t *testing.T) {
	e := newEnv(t)
	seq := e.item(e.evA, "1", "ana", "rude words", models.ReviewApproved)
	c := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID)
	resp, _ := c.post(base+"/items/"+id(seq)+"/hide", url.Values{"return": {base + "/moderate"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"/moderate" {
		t.Fatalf("hide: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if !e.itemRow(e.evA, seq).Hidden {
		t.Fatal("items.hidden not set")
	}
	es := e.entriesAfter(e.evA, seq)
	if len(es) != 1 || es[0].Op != live.OpHide || es[0].Target != seq || es[0].Item != nil {
		t.Fatalf("log after hide: %+v; want one hide op targeting %d", es, seq)
	}
	if e.auditCount("hide", "item", id(seq)) != 1 {
		t.Fatal("hide not audited")
	}
	// Hiding again changes nothing in Postgres and writes no second audit entry.
	c.post(base+"/items/"+id(seq)+"/hide", nil)
	if e.auditCount("hide", "item", id(seq)) != 1 {
		t.Fatal("a no-op hide was audited")
	}
	// Unhide carries the item back.
	c.post(base+"/items/"+id(seq)+"/unhide", nil)
	es = e.entriesAfter(e.evA, seq)
	last := es[len(es)-1]
	if last.Op != live.OpUnhide || last.Target != seq || last.Item == nil || last.Item.Text != "rude words" {
		t.Fatalf("unhide entry: %+v", last)
	}
	if e.itemRow(e.evA, seq).Hidden {
		t.Fatal("items.hidden still set after unhide")
	}
}

func TestPinAndUnpinAppendOpsCarryingTheItem(t *testing.T) {
	e := newEnv(t)
	seq := e.item(e.evA, "1", "ana", "great talk", models.ReviewApproved)
	c := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID)
	c.post(base+"/items/"+id(seq)+"/pin", nil)
	if !e.itemRow(e.evA, seq).Pinned {
		t.Fatal("items.pinned not set")
	}
	c.post(base+"/items/"+id(seq)+"/unpin", nil)
	es := e.entriesAfter(e.evA, seq)
	if len(es) != 2 || es[0].Op != live.OpPin || !es[0].Item.Pinned || es[1].Op != live.OpUnpin || es[1].Item.Pinned {
		t.Fatalf("log: %+v", es)
	}
	if es[0].Item.ID != "mastodon:1" || es[0].Item.Author.Name != "ana" {
		t.Fatalf("pinned item: %+v", es[0].Item)
	}
}

func TestApprovingHeldItemsAppendsApproveOpsAndRejectingARejectOp(t *testing.T) {
	e := newEnv(t)
	a := e.item(e.evA, "1", "ana", "held one", models.ReviewPending)
	b := e.item(e.evA, "2", "bob", "held two", models.ReviewPending)
	x := e.item(e.evA, "3", "cy", "held three", models.ReviewPending)
	c := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID)
	_, body := c.get(base + "/queue")
	for _, want := range []string{"held one", "held two", "held three", "Pending (3)"} {
		if !strings.Contains(body, want) {
			t.Errorf("queue lacks %q", want)
		}
	}
	resp, _ := c.post(base+"/queue", url.Values{"decision": {"approve"}, "ids": {id(a), id(b)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	resp, _ = c.post(base+"/queue", url.Values{"one": {"reject:" + id(x)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	if e.itemRow(e.evA, a).Review != "approved" || e.itemRow(e.evA, b).Review != "approved" || e.itemRow(e.evA, x).Review != "rejected" {
		t.Fatal("review states not saved")
	}
	es := e.entriesAfter(e.evA, x)
	if len(es) != 3 {
		t.Fatalf("log after approving 2 and rejecting 1: %d entries; want 2 approve ops and a reject op", len(es))
	}
	for i, want := range []int64{a, b} {
		if es[i].Op != live.OpApprove || es[i].Target != want || es[i].Item == nil || es[i].Item.Held {
			t.Errorf("entry %d: %+v; want approve of %d carrying the item", i, es[i], want)
		}
	}
	if es[2].Op != live.OpReject || es[2].Target != x || es[2].Item != nil {
		t.Errorf("entry 2: %+v; want a reject of %d carrying no item", es[2], x)
	}
	if e.auditCount("approve", "item", "") != 2 || e.auditCount("reject", "item", "") != 1 {
		t.Fatal("reviews not audited")
	}
	_, body = c.get(base + "/queue?review=rejected")
	if !strings.Contains(body, "held three") {
		t.Fatal("rejected filter does not list the rejected item")
	}
	_, body = c.get(base + "/queue?review=approved")
	if !strings.Contains(body, "held one") || strings.Contains(body, "held three") {
		t.Fatal("approved filter is wrong")
	}
}

func TestBlockingAnAuthorBansThemAndHidesTheirPastItems(t *testing.T) {
	e := newEnv(t)
	s1 := e.item(e.evA, "1", "troll", "first", models.ReviewApproved)
	s2 := e.item(e.evA, "2", "ana", "fine", models.ReviewApproved)
	s3 := e.item(e.evA, "3", "troll", "second", models.ReviewApproved)
	c := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID)
	resp, _ := c.post(base+"/items/"+id(s1)+"/block-author", url.Values{"apply": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("block author: %d", resp.StatusCode)
	}
	var rule models.ModerationRule
	if err := e.db.Where("event_id = ? AND kind = 'author'", e.evA.ID).Take(&rule).Error; err != nil {
		t.Fatal(err)
	}
	if rule.Value != "@troll@example.social" || rule.CreatedBy == nil {
		t.Fatalf("rule: %+v", rule)
	}
	if !e.itemRow(e.evA, s1).Hidden || !e.itemRow(e.evA, s3).Hidden || e.itemRow(e.evA, s2).Hidden {
		t.Fatal("wrong items hidden")
	}
	hides := map[int64]bool{}
	for _, en := range e.entriesAfter(e.evA, s3) {
		if en.Op == live.OpHide {
			hides[en.Target] = true
		}
	}
	if !hides[s1] || !hides[s3] || hides[s2] || len(hides) != 2 {
		t.Fatalf("hide ops for %v; want %d and %d", hides, s1, s3)
	}
	// The ban list says who banned whom and when.
	_, body := c.get(base + "/rules")
	if !strings.Contains(body, "@troll@example.social") || !strings.Contains(body, "mod-alpha-conf@example.org") || !strings.Contains(body, " UTC") {
		t.Fatal("ban list lacks the ban, its author or its time")
	}
}

func TestBlockingAWordAndApplyingRulesToPastItems(t *testing.T) {
	e := newEnv(t)
	s1 := e.item(e.evA, "1", "ana", "buy CHEAP pills", models.ReviewApproved)
	s2 := e.item(e.evA, "2", "bob", "great talk", models.ReviewApproved)
	c := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID)
	c.post(base+"/block-word", url.Values{"word": {"cheap pills"}})
	if e.itemRow(e.evA, s1).Hidden {
		t.Fatal("banning without apply hid a past item")
	}
	var rule models.ModerationRule
	e.db.Where("event_id = ? AND kind = 'word'", e.evA.ID).Take(&rule)
	resp, _ := c.post(base+"/rules/action", url.Values{"action": {"apply"}, "ids": {id(rule.ID)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	if !e.itemRow(e.evA, s1).Hidden || e.itemRow(e.evA, s2).Hidden {
		t.Fatal("apply hid the wrong items")
	}
	es := e.entriesAfter(e.evA, s2)
	if len(es) != 1 || es[0].Op != live.OpHide || es[0].Target != s1 {
		t.Fatalf("log: %+v", es)
	}
}

func TestConsoleShowsPostgresAndLiveOnlyItemsAndLiveOnlyItemsCanBeHidden(t *testing.T) {
	e := newEnv(t)
	stored := e.item(e.evA, "1", "ana", "already strained", models.ReviewApproved)
	res, err := e.log.AppendItem(context.Background(), e.evA.ID, live.Item{ID: "bluesky:x", Source: "bluesky", Kind: "post",
		Author: live.Author{Name: "bea"}, Text: "fresh from the stream", Media: []live.Media{}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID)
	_, body := c.get(base + "/moderate")
	for _, want := range []string{"already strained", "fresh from the stream", "live only", `data-key="h"`, "/admin/static/admin.js"} {
		if !strings.Contains(body, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("console has an inline script")
	}
	resp, _ := c.post(base+"/items/"+id(res.Seq)+"/hide", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("hide live-only item: %d", resp.StatusCode)
	}
	es := e.entriesAfter(e.evA, res.Seq)
	if len(es) != 1 || es[0].Op != live.OpHide || es[0].Target != res.Seq {
		t.Fatalf("log: %+v", es)
	}
	// A hide before straining is audited like any other (issue 14).
	if e.auditCount("hide", "item", id(res.Seq)) != 1 {
		t.Fatal("the hide of an item not strained yet left no audit row")
	}
	if resp, body := c.post(base+"/items/999/hide", nil); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "There is no item 999.") {
		t.Fatalf("hide unknown item: %d; want 404 saying There is no item 999.", resp.StatusCode)
	}
	_ = stored
}

func TestBlockingTheAuthorOfAnUnstrainedItemHidesIt(t *testing.T) {
	e := newEnv(t)
	res, err := e.log.AppendItem(context.Background(), e.evA.ID, live.Item{ID: "bluesky:x", Source: "bluesky", Kind: "post",
		Author: live.Author{Name: "bea", Handle: "bea.bsky.social"}, Text: "spam, fresh", Media: []live.Media{}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID)
	if resp, _ := c.post(base+"/items/"+id(res.Seq)+"/block-author", url.Values{"apply": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("block author: %d", resp.StatusCode)
	}
	es := e.entriesAfter(e.evA, res.Seq)
	if len(es) != 1 || es[0].Op != live.OpHide || es[0].Target != res.Seq {
		t.Fatalf("log after the ban: %+v; want the unstrained item hidden", es)
	}
	if e.auditCount("create", "moderation_rule", "") != 1 || e.auditCount("hide", "item", id(res.Seq)) != 1 {
		t.Fatal("the ban and its hide are not both audited")
	}
}

func TestBansEditedInTheAdminCountForAttendeePostsAtOnce(t *testing.T) {
	var verbs *moderation.Verbs
	e := newEnv(t, func(d *Deps) {
		verbs = moderation.New(store.New(d.DB), moderation.LogOf(d.Log, realtime.ErrUnknownTarget, realtime.ErrNotShown), moderation.Options{RulesTTL: time.Hour})
		d.Moderation = verbs
	})
	post := func() bool {
		it := live.Item{Source: live.SourceRoom, Author: live.Author{Name: "Guest"}, Text: "free crypto"}
		if err := verbs.ScreenPost(context.Background(), e.evA.ID, &it, live.Poster{}); err != nil {
			t.Fatal(err)
		}
		return it.Hidden
	}
	if post() { // the (empty) rules are now cached for an hour
		t.Fatal("hidden before any ban")
	}
	c := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID) + "/rules"
	if resp, body := c.post(base+"/new", url.Values{"kind": {"word"}, "value": {"crypto"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add ban: %d %s", resp.StatusCode, body)
	}
	if !post() {
		t.Fatal("a ban added in the admin is not applied to the next post")
	}
	var rule models.ModerationRule
	e.db.Where("event_id = ?", e.evA.ID).Take(&rule)
	if resp, _ := c.post(base+"/action", url.Values{"action": {"delete"}, "ids": {id(rule.ID)}, "confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("lift ban: %d", resp.StatusCode)
	}
	if post() {
		t.Fatal("a lifted ban still hides the next post")
	}
}

func TestModerationAndSessionEditsTellTheWiringWhatChanged(t *testing.T) {
	type change struct {
		event int64
		what  string
	}
	var mu sync.Mutex
	var got []change
	e := newEnv(t, func(d *Deps) {
		d.OnChange = func(_ context.Context, eventID int64, what string) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, change{eventID, what})
		}
	})
	seq := e.item(e.evA, "1", "ana", "spam", models.ReviewApproved)
	c := e.moderator(e.evA)
	c.post("/admin/events/"+id(e.evA.ID)+"/items/"+id(seq)+"/hide", nil)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != (change{e.evA.ID, "items"}) {
		t.Fatalf("changes after a hide: %+v", got)
	}
}
