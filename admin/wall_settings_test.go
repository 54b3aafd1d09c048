package admin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/models"
)

func eventForm(extra url.Values) url.Values {
	f := url.Values{"slug": {"gamma"}, "title": {"Gamma"}, "timezone": {"UTC"},
		"starts_at": {"2026-07-01T09:00"}, "ends_at": {"2026-07-02T18:00"}, "posting": {"open"}, "moderation": {"after"}}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

func TestTheEventFormSavesTheDeskAndWallSettingsAndRefusesUnsafeOnes(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login(e.super.Email)
	resp, body := c.post("/admin/events/new", eventForm(url.Values{
		"wall_layout": {"masonry"}, "wall_content": {"photos"}, "wall_theme": {"light"}, "wall_speed": {"5"},
		"wall_logo_url": {"https://conf.example/logo.svg"}, "wall_accent": {"#00AA88"}, "sensitive_media": {"hold"},
		"report_threshold": {"5"}, "filter_replies": {"on"}, "filter_languages": {"EN, de"},
		"embed_origins": {"https://conf.example.org/\nhttps://partner.example:8443"}}))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var ev models.Event
	if err := e.db.Where("slug = 'gamma'").Take(&ev).Error; err != nil {
		t.Fatal(err)
	}
	if ev.WallLayout != "masonry" || ev.WallContent != "photos" || ev.WallTheme != "light" || ev.WallSpeed != 5 ||
		ev.WallAccent != "#00aa88" || ev.SensitiveMedia != "hold" || ev.ReportThreshold != 5 || !ev.FilterReplies ||
		ev.FilterLanguages != "en,de" || ev.Blocklist || ev.EmbedOrigins != "https://conf.example.org\nhttps://partner.example:8443" {
		t.Fatalf("saved: %+v", ev)
	}
	_, page := c.get("/admin/events/" + id(ev.ID) + "/embed")
	if !strings.Contains(page, "https://conf.example.org, https://partner.example:8443") ||
		!strings.Contains(page, "/events/gamma/wall&#34;") && !strings.Contains(page, "/events/gamma/wall&quot;") {
		t.Fatalf("embed page lacks the origins or the snippet:\n%s", page)
	}

	_, body = c.post("/admin/events/new", eventForm(url.Values{"slug": {"delta"}, "wall_accent": {"red;}body{"},
		"wall_logo_url": {"javascript:alert(1)"}, "wall_speed": {"999"}, "embed_origins": {"https://*.example.org"},
		"filter_languages": {"english!"}}))
	for field, want := range map[string]string{"wall_accent": "colour", "wall_logo_url": "https", "wall_speed": "0 to 60",
		"embed_origins": "not an origin", "filter_languages": "language code"} {
		if got := fieldError(body, field); !strings.Contains(got, want) {
			t.Errorf("%s: error %q, want %q", field, got, want)
		}
	}
}

func TestABanCanBeTimedAndEndsWithoutBeingLifted(t *testing.T) {
	e := newEnv(t)
	c := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID)
	ends := time.Now().In(e.evA.Location()).Add(2 * time.Hour).Format("2006-01-02T15:04")
	resp, body := c.post(base+"/rules/new", url.Values{"kind": {"address"}, "value": {"203.0.113.7"}, "expires_at": {ends}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("timed ban: %d %s", resp.StatusCode, body)
	}
	var r models.ModerationRule
	if err := e.db.Where("event_id = ? AND kind = 'address'", e.evA.ID).Take(&r).Error; err != nil {
		t.Fatal(err)
	}
	if r.ExpiresAt == nil || time.Until(*r.ExpiresAt) < time.Hour || !r.Active(time.Now()) || r.Active(time.Now().Add(3*time.Hour)) {
		t.Fatalf("ban ends at %v", r.ExpiresAt)
	}
	_, list := c.get(base + "/rules")
	if !strings.Contains(list, "203.0.113.7") || !strings.Contains(list, " UTC") {
		t.Fatal("the ban list does not show the ban and its end")
	}
}
