package admin

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/outbound"
)

var hiddenData = regexp.MustCompile(`(?s)<textarea name="data" hidden>(.*?)</textarea>`)

func TestTheScheduleImportShowsAPreviewThenImportsWhatWasPreviewedAsTheSignedInUser(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "timetable", "testdata", "pretalx-schedule.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	var changed []string
	e := newEnv(t, func(d *Deps) {
		d.Fetch = outbound.NewClient(outbound.Policy{AllowPrivate: []string{strings.TrimPrefix(srv.URL, "http://")}})
		d.OnChange = func(_ context.Context, _ int64, what string) { changed = append(changed, what) }
	})
	// The fixture's conference runs on May 24 and 25, Berlin time.
	e.db.Exec("UPDATE events SET starts_at = ?, ends_at = ? WHERE id = ?",
		time.Date(2026, 5, 24, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 26, 0, 0, 0, 0, time.UTC), e.evA.ID)
	c := e.client()
	c.login(e.super.Email)
	page := "/admin/events/" + id(e.evA.ID) + "/schedule"
	if resp, b := c.get(page); resp.StatusCode != 200 || !strings.Contains(b, "Import a schedule") || !strings.Contains(b, `value="pretalx"`) {
		t.Fatalf("GET %s: %d", page, resp.StatusCode)
	}

	resp, b := c.post(page, url.Values{"action": {"preview"}, "format": {"pretalx"}, "url": {srv.URL + "/schedule.json"}})
	if resp.StatusCode != 200 || !strings.Contains(b, `data-testid="schedule-preview"`) ||
		!strings.Contains(b, "would import 5 sessions in 3 rooms with 6 speakers (6 new)") ||
		!strings.Contains(b, "would create session rust-for-web-developers") {
		t.Fatalf("preview: %d\n%s", resp.StatusCode, b)
	}
	var n int64
	e.db.Table("sessions").Count(&n)
	if n != 0 || len(changed) != 0 {
		t.Fatalf("the preview wrote %d sessions (changed %v)", n, changed)
	}
	m := hiddenData.FindStringSubmatch(b)
	if m == nil {
		t.Fatal("the preview carries no data to import")
	}
	resp, b = c.post(page, url.Values{"action": {"apply"}, "format": {"pretalx"}, "source": {srv.URL + "/schedule.json"},
		"data": {html.UnescapeString(m[1])}})
	if resp.StatusCode != 200 || !strings.Contains(b, `data-testid="schedule-applied"`) || !strings.Contains(b, "created session rust-for-web-developers") {
		t.Fatalf("apply: %d\n%s", resp.StatusCode, b)
	}
	e.db.Table("sessions").Where("event_id = ?", e.evA.ID).Count(&n)
	if n != 5 {
		t.Errorf("%d sessions imported", n)
	}
	if got := e.auditCount("import", "event", id(e.evA.ID)); got != 1 {
		t.Errorf("%d import audit rows", got)
	}
	var actors []string
	e.db.Table("audit_log").Where("event_id = ? AND object_type IN ('session', 'room', 'event')", e.evA.ID).Distinct().Pluck("actor", &actors)
	if len(actors) != 1 || !strings.Contains(actors[0], e.super.Email) {
		t.Errorf("audited as %v, want the signed-in %s", actors, e.super.Email)
	}
	if len(changed) != 1 || changed[0] != "sessions" {
		t.Errorf("OnChange told %v, want [sessions] (re-assignment and caches)", changed)
	}
	if resp, b := c.get(page); !strings.Contains(b, srv.URL+"/schedule.json") {
		t.Errorf("the form does not offer the last URL for a re-sync: %d", resp.StatusCode)
	}
}

func TestABadScheduleInTheAdminSaysWhereAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login(e.super.Email)
	page := "/admin/events/" + id(e.evA.ID) + "/schedule"
	xml, _ := os.ReadFile(filepath.Join("..", "timetable", "testdata", "frab-schedule.xml"))
	for _, tc := range []struct{ format, data, want string }{
		{"frab", string(xml[:2000]), "schedule.xml:"},
		{"pretalx", string(xml), "is XML (for a frab schedule.xml use --format frab), not a pretalx schedule JSON"},
		{"frab", string(xml), "starts before the event does"}, // the event starts at 13:00 UTC
	} {
		resp, b := c.post(page, url.Values{"action": {"apply"}, "format": {tc.format}, "source": {"schedule.xml"}, "data": {tc.data}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(b), tc.want) {
			t.Errorf("%s: %d, want 422 saying %q", tc.want, resp.StatusCode, tc.want)
		}
	}
	// A URL the outbound policy refuses (no client configured here: uploads only).
	resp, b := c.post(page, url.Values{"action": {"preview"}, "format": {"frab"}, "url": {"http://127.0.0.1:1/schedule.xml"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b, "upload the file instead") {
		t.Errorf("url without a client: %d", resp.StatusCode)
	}
	var n int64
	e.db.Table("sessions").Count(&n)
	if n != 0 {
		t.Errorf("%d sessions written", n)
	}
}
