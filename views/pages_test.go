package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

func liveVM() EventVM {
	items := []live.Item{testItem(1, "ana", "first"), testItem(2, "bo", "second"), testItem(3, "cy", "third")}
	items[0].Pinned = true
	items[2].Media = []live.Media{{Type: "image", URL: "https://img.example/full.jpg", ThumbURL: "https://img.example/thumb.jpg", Alt: "Stage"}}
	hidden := testItem(4, "dee", "hidden one")
	hidden.Hidden = true
	items = append(items, hidden)
	return NewEventVM(testEvent(), LiveSnapshot{Items: items, Epoch: "ep1", Head: 9}, testNow)
}

func TestHomeGroupsEventsWithDatesInTheirTimeZone(t *testing.T) {
	ev := testEvent()
	past := *ev
	past.Slug, past.Title = "old-conf", "Old Conf"
	past.StartsAt, past.EndsAt = ev.StartsAt.AddDate(-1, 0, 0), ev.EndsAt.AddDate(-1, 0, 0)
	vm := NewHomeVM(models.GroupEvents([]models.Event{*ev, past}, testNow), testNow)
	doc, _ := renderDoc(t, Home(vm))

	now := doc.Find(`[data-testid="group-now"] .event-card`)
	if now.Length() != 1 || !strings.Contains(now.Find("h3").Text(), "An Event Apart Boston") {
		t.Fatalf("now group: %d cards %q", now.Length(), now.Text())
	}
	if href, _ := now.Find("h3 a").Attr("href"); href != "/events/aea-boston-2026" {
		t.Errorf("event link %q", href)
	}
	if got := strings.TrimSpace(now.Find("time").Text()); got != "May 24–26, 2026" {
		t.Errorf("dates %q", got)
	}
	if got := now.Find(".tz").Text(); got != "America/New_York" {
		t.Errorf("time zone %q", got)
	}
	if doc.Find(`[data-testid="group-past"] .event-card`).Length() != 1 {
		t.Error("past event missing")
	}
	if got := doc.Find(`[data-testid="group-upcoming"] .empty`).Text(); got != "No upcoming events yet." {
		t.Errorf("upcoming empty state %q", got)
	}
}

func TestHomeShowsEmptyStatesWithNoEvents(t *testing.T) {
	doc, _ := renderDoc(t, Home(HomeVM{}))
	if n := doc.Find(".group .empty").Length(); n != 3 {
		t.Errorf("%d empty states, want 3", n)
	}
}

func TestLiveRendersItemsPinnedFirstThenNewestWithoutHidden(t *testing.T) {
	doc, _ := renderDoc(t, EventLive(liveVM()))
	var seqs []string
	doc.Find("[data-stream] article.item").Each(func(_ int, s *goquery.Selection) {
		seqs = append(seqs, s.AttrOr("data-seq", ""))
	})
	if got := strings.Join(seqs, ","); got != "1,3,2" {
		t.Fatalf("stream order %s, want 1,3,2 (pinned, then newest; hidden dropped)", got)
	}
	first := doc.Find("#item-1")
	if !first.HasClass("is-pinned") || first.Find(".pin-note").Length() != 1 {
		t.Error("pinned item not marked")
	}
	if !doc.Find("[data-empty]").Is("[hidden]") {
		t.Error("empty state shown with items")
	}
}

func TestLiveItemShowsAuthorTimeSourceAndPhotos(t *testing.T) {
	doc, _ := renderDoc(t, EventLive(liveVM()))
	it := doc.Find("#item-3")
	if got := it.Find(".name").Text(); got != "cy" {
		t.Errorf("name %q", got)
	}
	if got := it.Find(".handle").Text(); got != "@cy@example.social" {
		t.Errorf("handle %q", got)
	}
	if got := it.Find("img.avatar").AttrOr("src", ""); got != "https://example.social/a/cy.png" {
		t.Errorf("avatar %q", got)
	}
	if got := it.Find(".badge").Text(); got != "Mastodon" {
		t.Errorf("badge %q", got)
	}
	tm := it.Find("time")
	if got := tm.AttrOr("datetime", ""); got != "2026-05-24T09:27:00-04:00" {
		t.Errorf("datetime %q, want the event's zone", got)
	}
	if got := tm.Find(".rel").Text(); got != "3 min ago" {
		t.Errorf("relative %q", got)
	}
	if got := tm.Find(".abs").Text(); got != "09:27" {
		t.Errorf("absolute %q", got)
	}
	ph := it.Find(".photos a.photo")
	if ph.AttrOr("href", "") != "https://img.example/full.jpg" || ph.Find("img").AttrOr("src", "") != "https://img.example/thumb.jpg" || ph.Find("img").AttrOr("alt", "") != "Stage" {
		t.Errorf("photo link %q", goquery.NewDocumentFromNode(ph.Nodes[0]).Text())
	}
}

func TestLiveRendersSessionsBannerAndSchedule(t *testing.T) {
	doc, _ := renderDoc(t, EventLive(liveVM()))
	banner := doc.Find("[data-now-banner]")
	if banner.Is("[hidden]") || !strings.Contains(banner.Text(), "The Future of CSS") {
		t.Errorf("now banner %q", banner.Text())
	}
	rows := doc.Find(".session-list .session")
	if rows.Length() != 3 {
		t.Fatalf("%d sessions, want 3", rows.Length())
	}
	first := rows.First()
	if first.Find(".s-time").Text() != "09:00–10:00" || first.Find(".s-speaker").Text() != "Jen Simmons" || first.Find(".s-room").Text() != "Main Hall" {
		t.Errorf("session row %q", first.Text())
	}
	if href := first.Find("a.s-title").AttrOr("href", ""); href != "/events/aea-boston-2026/sessions/opening-keynote" {
		t.Errorf("session link %q", href)
	}
	if !first.HasClass("is-live") || rows.Eq(1).HasClass("is-live") {
		t.Error("live mark on the wrong session")
	}
	if doc.Find("h3.day").Length() != 2 {
		t.Error("sessions not grouped by day")
	}
}

func TestLivePostingFormWorksAsAPlainFormPost(t *testing.T) {
	vm := liveVM()
	vm.CSRFToken = "tok"
	doc, _ := renderDoc(t, EventLive(vm))
	f := doc.Find("form[data-post-form]")
	if f.AttrOr("action", "") != "/api/events/aea-boston-2026/posts" || f.AttrOr("method", "") != "post" {
		t.Fatalf("form action %q method %q", f.AttrOr("action", ""), f.AttrOr("method", ""))
	}
	if f.Find(`input[name="name"][maxlength="40"][required]`).Length() != 1 ||
		f.Find(`textarea[name="text"][maxlength="500"][required]`).Length() != 1 {
		t.Error("name or text field missing")
	}
	if f.Find(`input[type="hidden"][name="_csrf"]`).AttrOr("value", "") != "tok" {
		t.Error("CSRF field missing")
	}
	if doc.Find(`label[for="post-name"]`).Length() != 1 || doc.Find(`label[for="post-text"]`).Length() != 1 {
		t.Error("fields without labels")
	}
}

func TestLiveFormGivesWayToANoteWhenPostingIsClosed(t *testing.T) {
	vm := liveVM()
	vm.Posting = "closed"
	doc, _ := renderDoc(t, EventLive(vm))
	if doc.Find("form[data-post-form]").Length() != 0 || !strings.Contains(doc.Find(".post").Text(), "Posting is closed") {
		t.Error("closed posting still shows a form")
	}
}

func TestLivePageConfiguresItsScriptThroughDataAttributes(t *testing.T) {
	doc, _ := renderDoc(t, EventLive(liveVM()))
	root := doc.Find("[data-live]")
	want := map[string]string{"data-api": "/api/events/aea-boston-2026/live", "data-epoch": "ep1", "data-head": "9", "data-tz": "America/New_York"}
	for k, v := range want {
		if got := root.AttrOr(k, ""); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	var srcs []string
	doc.Find("script").Each(func(_ int, s *goquery.Selection) { srcs = append(srcs, s.AttrOr("src", "")) })
	if strings.Join(srcs, " ") != Assets().URL("live-core.js")+" "+Assets().URL("reactions.js")+" "+Assets().URL("live.js") {
		t.Errorf("scripts %v", srcs)
	}
	if doc.Find(`dialog[data-lightbox]`).Length() != 1 {
		t.Error("no lightbox dialog")
	}
}

func TestEmptyLivePageSaysSo(t *testing.T) {
	vm := NewEventVM(testEvent(), LiveSnapshot{}, testNow)
	doc, _ := renderDoc(t, EventLive(vm))
	if doc.Find("[data-empty]").Is("[hidden]") || doc.Find("article.item").Length() != 0 {
		t.Error("empty stream has no empty state")
	}
}

func TestWallHasQRCodeToTheLivePageAndTheHashtag(t *testing.T) {
	items := make([]live.Item, 0, 60)
	for i := int64(1); i <= 60; i++ {
		items = append(items, testItem(i, "p", "x"))
	}
	vm := NewWallVM(testEvent(), LiveSnapshot{Items: items, Epoch: "e", Head: 60}, "https://bc.example/", testNow)
	doc, _ := renderDoc(t, Wall(vm))
	svg := doc.Find("svg.qr")
	if svg.Length() != 1 || svg.AttrOr("role", "") != "img" || svg.AttrOr("aria-label", "") == "" {
		t.Fatal("no accessible QR SVG")
	}
	if d := svg.Find("path").AttrOr("d", ""); !strings.HasPrefix(d, "M") || len(d) < 100 {
		t.Errorf("QR path %q", d)
	}
	if vm.LiveURL != "https://bc.example/events/aea-boston-2026" || !strings.Contains(doc.Find(".wall-join").Text(), "bc.example/events/aea-boston-2026") {
		t.Errorf("live URL %q", vm.LiveURL)
	}
	if doc.Find(".wall-tag").Text() != "#aeaboston" {
		t.Errorf("hashtag %q", doc.Find(".wall-tag").Text())
	}
	if n := doc.Find("[data-stream] article.item").Length(); n != WallMaxItems {
		t.Errorf("%d items on the wall, want %d", n, WallMaxItems)
	}
	if doc.Find("[data-wall]").AttrOr("data-max", "") != "50" || doc.Find(".site-header").Length() != 0 {
		t.Error("wall config or chrome wrong")
	}
}

func TestErrorPageShowsStatusAndMessage(t *testing.T) {
	doc, _ := renderDoc(t, ErrorPage(404, `Event "x<y>" not found.`))
	if doc.Find(".error-status").Text() != "404" || doc.Find("h1").Text() != "Not Found" {
		t.Errorf("status %q title %q", doc.Find(".error-status").Text(), doc.Find("h1").Text())
	}
	if doc.Find(".error-message").Text() != `Event "x<y>" not found.` {
		t.Errorf("message %q", doc.Find(".error-message").Text())
	}
	if doc.Find(`meta[name="robots"][content="noindex"]`).Length() != 1 {
		t.Error("error page indexable")
	}
}

func TestLayoutIsAccessibleAndCacheBusted(t *testing.T) {
	p := Page{Title: "T", Description: "D", Canonical: "https://bc.example/x", Nav: SiteNav("/")}
	doc, _ := renderDoc(t, Layout(p, templ.Raw("<p>body</p>")))
	checks := map[string]bool{
		"lang":      doc.Find(`html[lang="en"]`).Length() == 1,
		"viewport":  doc.Find(`meta[name="viewport"]`).Length() == 1,
		"title":     doc.Find("title").Text() == "T · Backchannel",
		"canonical": doc.Find(`link[rel="canonical"]`).AttrOr("href", "") == "https://bc.example/x",
		"css":       doc.Find(`link[rel="stylesheet"]`).AttrOr("href", "") == Assets().URL("app.css"),
		"skip link": doc.Find(`a.skip-link[href="#main"]`).Length() == 1 && doc.Find("main#main").Length() == 1,
		"current":   doc.Find(`nav a[aria-current="page"]`).Text() == "Events",
		"body":      doc.Find("main p").Text() == "body",
		"scheme":    doc.Find(`meta[name="color-scheme"]`).AttrOr("content", "") == "light dark",
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("layout: %s", name)
		}
	}
}

func TestPhotoWithoutTextHasNoEmptyBody(t *testing.T) {
	it := testItem(1, "ana", "")
	it.Kind = live.KindPhoto
	it.Media = []live.Media{{Type: "image", URL: "https://img.example/a.jpg"}}
	doc, _ := renderDoc(t, ItemCard(NewItemVM(it, nil), testNow))
	if doc.Find(".item-body").Length() != 0 || doc.Find(".photos img").AttrOr("alt", "") != "Photo shared by ana" {
		t.Error("photo item renders an empty body or no fallback alt")
	}
}
