package views

import (
	"strings"
	"testing"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

func TestItemsThatNeedCareAreMarkedForBlurWithAWarningFirstAndVideosAsPosterFrames(t *testing.T) {
	cw := testItem(1, "ana", "the plot twist")
	cw.ContentWarning = "spoilers"
	labelled := testItem(2, "bo", "a photo")
	labelled.Labels = []string{"graphic-media"}
	labelled.Media = []live.Media{{Type: "image", URL: "https://img.example/a.jpg"}}
	video := testItem(3, "cy", "a clip")
	video.Sensitive = true
	video.Media = []live.Media{{Type: "video", URL: "https://v.example/a.mp4", ThumbURL: "https://v.example/a.jpg"},
		{Type: "video", URL: "javascript:alert(1)"}}
	plain := testItem(4, "dee", "nothing to hide")
	vm := NewEventVM(testEvent(), LiveSnapshot{Items: []live.Item{cw, labelled, video, plain}, Epoch: "e", Head: 4}, testNow)
	doc, _ := renderDoc(t, EventLive(vm))
	card := func(seq string) string { return `article.item[data-seq="` + seq + `"]` }
	for _, seq := range []string{"1", "2", "3"} {
		if !doc.Find(card(seq)).HasClass("is-sensitive") || doc.Find(card(seq)+" [data-reveal]").Length() != 1 {
			t.Errorf("item %s is not marked sensitive with a reveal button", seq)
		}
	}
	if doc.Find(card("4")).HasClass("is-sensitive") || doc.Find(card("4")+" [data-reveal]").Length() != 0 {
		t.Error("a plain item is marked sensitive")
	}
	if !doc.Find(card("1")).HasClass("has-cw") || !strings.Contains(doc.Find(card("1")+" .cw").Text(), "spoilers") {
		t.Error("the content warning is not shown first")
	}
	v := doc.Find(card("3") + " video")
	if v.Length() != 1 || v.AttrOr("preload", "") != "none" || v.AttrOr("poster", "") != "https://v.example/a.jpg" ||
		doc.Find(card("3")+" img.video-poster").AttrOr("src", "") != "https://v.example/a.jpg" {
		t.Errorf("video: %d players, preload %q, poster %q", v.Length(), v.AttrOr("preload", ""), v.AttrOr("poster", ""))
	}
	if doc.Find(card("4")+" [data-report]").Length() != 1 || doc.Find("[data-live]").AttrOr("data-report-base", "") != "/api/events/aea-boston-2026/items" {
		t.Error("the live page has no report button")
	}
}

func TestTheWallFollowsTheEventsLayoutAndBrand(t *testing.T) {
	ev := testEvent()
	ev.WallLayout, ev.WallContent, ev.WallTheme, ev.WallSpeed = models.WallMasonry, models.WallPhotos, models.ThemeLight, 5
	ev.WallLogoURL, ev.WallAccent = "https://conf.example/logo.svg", "#00aa88"
	photo := testItem(1, "ana", "with a photo")
	photo.Media = []live.Media{{Type: "image", URL: "https://img.example/a.jpg"}}
	text := testItem(2, "bo", "words only")
	vm := NewWallVM(ev, LiveSnapshot{Items: []live.Item{photo, text}, Epoch: "e", Head: 2}, "https://bc.example", testNow)
	vm.Room = "Main"
	doc, _ := renderDoc(t, Wall(vm))
	w := doc.Find("[data-wall]")
	if !w.HasClass("wall-masonry") || !w.HasClass("wall-photos") || w.AttrOr("data-speed", "") != "5" ||
		w.AttrOr("data-accent", "") != "#00aa88" || w.AttrOr("data-room", "") != "Main" || !doc.Find("body").HasClass("theme-light") {
		t.Errorf("wall settings not applied: class %q, body %q", w.AttrOr("class", ""), doc.Find("body").AttrOr("class", ""))
	}
	if doc.Find("img.wall-logo").AttrOr("src", "") != "https://conf.example/logo.svg" {
		t.Error("no logo")
	}
	if n := doc.Find("[data-stream] article.item").Length(); n != 1 {
		t.Errorf("a photos-only wall shows %d items, want the one with a photo", n)
	}
	if doc.Find("[data-spotlight][hidden]").Length() != 1 {
		t.Error("no hidden spotlight stage")
	}
	ev.WallAccent, ev.WallTheme, ev.WallLogoURL = "red;}body{", "neon", "javascript:alert(1)"
	bad := NewWallVM(ev, LiveSnapshot{}, "https://bc.example", testNow)
	if bad.Accent != "" || bad.Theme != models.ThemeDark || bad.LogoURL != "" {
		t.Errorf("unsafe settings pass: %+v", bad)
	}
}

func TestTheOverlayShowsTheNewestItemOnATransparentPage(t *testing.T) {
	items := []live.Item{testItem(1, "ana", "older"), testItem(2, "bo", "newest")}
	items[0].Pinned = true
	vm := NewWallVM(testEvent(), LiveSnapshot{Items: items, Epoch: "e", Head: 2}, "https://bc.example", testNow)
	doc, _ := renderDoc(t, Overlay(vm))
	if !doc.Find("body").HasClass("page-overlay") || doc.Find("[data-overlay]").AttrOr("data-api", "") == "" {
		t.Fatal("not an overlay page")
	}
	if got := doc.Find("[data-lower-third] article.item").AttrOr("data-seq", ""); got != "2" {
		t.Errorf("the lower third shows item %q, want the newest (2)", got)
	}
}
