package admin

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/models"
)

// fieldError returns the error shown under a form field, or "".
func fieldError(body, field string) string {
	m := regexp.MustCompile(`data-testid="error-` + regexp.QuoteMeta(field) + `">([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestEachFormShowsValidationErrorsPerField(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login(e.super.Email)
	ev := "/admin/events/" + id(e.evA.ID)
	cases := []struct {
		name   string
		path   string
		form   url.Values
		errors map[string]string // field → part of its message
		clean  []string          // fields that must show no error
	}{
		{"event", "/admin/events/new", url.Values{"slug": {"Bad Slug"}, "title": {""}, "timezone": {"Mars/Olympus"},
			"starts_at": {"2026-05-24T09:00"}, "ends_at": {"2026-05-23T09:00"}, "posting": {"open"}, "moderation": {"after"}},
			map[string]string{"slug": "a-z, 0-9", "title": "required", "timezone": "not a known IANA time zone", "ends_at": ""},
			[]string{"posting", "moderation"}},
		{"event slug taken", "/admin/events/new", url.Values{"slug": {e.evB.Slug}, "title": {"X"}, "timezone": {"UTC"},
			"starts_at": {"2026-05-24T09:00"}, "ends_at": {"2026-05-25T09:00"}, "posting": {"open"}, "moderation": {"after"}},
			map[string]string{"slug": "already used"}, []string{"title", "timezone"}},
		{"session", ev + "/sessions/new", url.Values{"slug": {"keynote"}, "title": {"Keynote"},
			"starts_at": {"2026-05-24T14:00"}, "ends_at": {"not a time"}},
			map[string]string{"ends_at": "not a date and time"}, []string{"slug", "title", "starts_at"}},
		{"session outside event", ev + "/sessions/new", url.Values{"slug": {"Key Note"}, "title": {"Keynote"},
			"starts_at": {"2026-05-20T09:00"}, "ends_at": {"2026-05-20T10:00"}},
			map[string]string{"starts_at": "starts before the event", "slug": "a-z"}, []string{"title", "ends_at"}},
		{"source", ev + "/sources/new", url.Values{"kind": {"mastodon"}, "config": {`{"instance": "ftp://x", "tag": "a b"}`}},
			map[string]string{"config": "token_env"}, []string{"kind"}},
		// The outbound probes: a server secret as token_env, a feed at a
		// cloud metadata address.
		{"source token_env not a source secret", ev + "/sources/new", url.Values{"kind": {"mastodon"},
			"config": {`{"instance": "https://organizer.example", "tag": "conf", "token_env": "DATABASE_URL"}`}},
			map[string]string{"config": "DATABASE_URL is not a source secret"}, []string{"kind"}},
		{"source feed at a metadata address", ev + "/sources/new", url.Values{"kind": {"feed"},
			"config": {`{"url": "http://169.254.169.254/latest/meta-data/iam/"}`}},
			map[string]string{"config": "cloud metadata address"}, []string{"kind"}},
		{"source json", ev + "/sources/new", url.Values{"kind": {"feed"}, "config": {`not json`}},
			map[string]string{"config": "JSON object"}, nil},
		{"rule", ev + "/rules/new", url.Values{"kind": {"author"}, "value": {"  "}},
			map[string]string{"value": "required"}, []string{"kind"}},
		{"role", ev + "/roles/new", url.Values{"email": {"ghost@example.org"}, "role": {"moderator"}},
			map[string]string{"email": "no account"}, []string{"role"}},
		{"user", "/admin/users/new", url.Values{"email": {"nope"}, "password": {"short"}},
			map[string]string{"email": "valid email", "password": "at least 12"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var audits int64
			e.db.Model(&models.AuditEntry{}).Count(&audits)
			resp, body := c.post(tc.path, tc.form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d; want 422", resp.StatusCode)
			}
			for f, want := range tc.errors {
				got := fieldError(body, f)
				if got == "" || !strings.Contains(got, want) {
					t.Errorf("field %s: error %q; want one containing %q", f, got, want)
				}
			}
			for _, f := range tc.clean {
				if got := fieldError(body, f); got != "" {
					t.Errorf("field %s: unexpected error %q", f, got)
				}
			}
			for f, v := range tc.form { // what was typed is kept (never passwords)
				if f != "password" && strings.TrimSpace(v[0]) != "" && !strings.Contains(body, htmlEscape(v[0])) && !strings.Contains(body, v[0]) {
					t.Errorf("field %s: value %q not kept in the form", f, v[0])
				}
			}
			var after int64
			e.db.Model(&models.AuditEntry{}).Count(&after)
			if after != audits {
				t.Errorf("an invalid form wrote %d audit entries", after-audits)
			}
		})
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `"`, "&#34;", `<`, "&lt;", `>`, "&gt;", `'`, "&#39;").Replace(s)
}

func TestAuditLogRecordsEachChangeInItsTransaction(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login(e.super.Email)
	ev := "/admin/events/" + id(e.evA.ID)

	resp, body := c.post(ev+"/sessions/new", url.Values{"slug": {"keynote"}, "title": {"Keynote"}, "speaker": {"Jen"},
		"room": {"Main"}, "starts_at": {"2026-05-24T14:00"}, "ends_at": {"2026-05-24T15:00"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create session: %d %s", resp.StatusCode, body)
	}
	var s models.Session
	if err := e.db.Where("event_id = ? AND slug = 'keynote'", e.evA.ID).Take(&s).Error; err != nil {
		t.Fatal(err)
	}
	resp, _ = c.post(ev+"/sessions/"+id(s.ID), url.Values{"slug": {"keynote"}, "title": {"Opening keynote"}, "speaker": {"Jen"},
		"room": {"Main"}, "starts_at": {"2026-05-24T14:00"}, "ends_at": {"2026-05-24T15:00"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update session: %d", resp.StatusCode)
	}
	resp, _ = c.post(ev+"/sessions/action", url.Values{"action": {"delete"}, "ids": {id(s.ID)}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete session: %d", resp.StatusCode)
	}

	var es []models.AuditEntry
	e.db.Where("object_type = 'session' AND object_id = ?", id(s.ID)).Order("id").Find(&es)
	if len(es) != 3 {
		t.Fatalf("%d audit entries for the session; want create, update, delete", len(es))
	}
	for i, want := range []string{"create", "update", "delete"} {
		if es[i].Action != want || es[i].UserID == nil || *es[i].UserID != e.super.ID || es[i].Actor != e.super.Email ||
			es[i].EventID == nil || *es[i].EventID != e.evA.ID {
			t.Errorf("entry %d: %+v; want %s by %s in event %d", i, es[i], want, e.super.Email, e.evA.ID)
		}
	}
	var before, after map[string]any
	json.Unmarshal(es[1].Before, &before)
	json.Unmarshal(es[1].After, &after)
	if before["title"] != "Keynote" || after["title"] != "Opening keynote" {
		t.Errorf("update before/after: %v → %v", before["title"], after["title"])
	}
	if es[2].Before == nil || es[2].After != nil {
		t.Errorf("delete entry keeps before (%s) and no after (%s)", es[2].Before, es[2].After)
	}

	// Shown per object and overall.
	_, hist := c.get(ev + "/sessions/" + id(s.ID) + "/history")
	if !strings.Contains(hist, "History of session") || strings.Count(hist, "<li>") < 3 {
		t.Errorf("object history does not list the three changes")
	}
	_, all := c.get("/admin/audit?object=session")
	if !strings.Contains(all, "Opening keynote") && !strings.Contains(all, "session "+id(s.ID)) {
		t.Errorf("overall audit log does not show the session")
	}
	_, evHist := c.get(ev + "/audit")
	if !strings.Contains(evHist, "session "+id(s.ID)) {
		t.Errorf("event history does not show the session")
	}
}

func TestDeleteAsksForConfirmationListingCascadedObjects(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login(e.super.Email)
	e.db.Create(&models.Session{EventID: e.evA.ID, Slug: "s1", Title: "S1", StartsAt: e.evA.StartsAt, EndsAt: e.evA.StartsAt.Add(3600e9)})
	e.db.Create(&models.Source{EventID: e.evA.ID, Kind: "feed", Key: "feed:x", Config: json.RawMessage(`{}`), Enabled: true})
	e.item(e.evA, "1", "ana", "one", models.ReviewApproved)
	e.item(e.evA, "2", "bob", "two", models.ReviewApproved)

	resp, body := c.post("/admin/events/action", url.Values{"action": {"delete"}, "ids": {id(e.evA.ID)}})
	if resp.StatusCode != 200 {
		t.Fatalf("delete without confirm: %d; want the confirmation page", resp.StatusCode)
	}
	for _, want := range []string{e.evA.Title, "1 sessions", "1 sources", "2 items", `name="confirm" value="yes"`} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation page lacks %q", want)
		}
	}
	var n int64
	e.db.Model(&models.Event{}).Where("id = ?", e.evA.ID).Count(&n)
	if n != 1 {
		t.Fatal("the event was deleted before confirmation")
	}
	// The single-object delete link leads to the same confirmation.
	if resp, body := c.get("/admin/events/" + id(e.evA.ID) + "/delete"); resp.StatusCode != 200 || !strings.Contains(body, "2 items") {
		t.Fatalf("delete page: %d", resp.StatusCode)
	}
	resp, _ = c.post("/admin/events/action", url.Values{"action": {"delete"}, "ids": {id(e.evA.ID)}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed delete: %d", resp.StatusCode)
	}
	e.db.Model(&models.Item{}).Where("event_id = ?", e.evA.ID).Count(&n)
	if n != 0 {
		t.Fatal("items survived their event")
	}
	if e.auditCount("delete", "event", id(e.evA.ID)) != 1 {
		t.Fatal("event deletion not audited")
	}
}

func TestBulkActionsEnableAndDisableSources(t *testing.T) {
	e := newEnv(t)
	org := e.user("org@example.org", false)
	e.role(org, e.evA, models.RoleOrganizer)
	c := e.client()
	c.login(org.Email)
	var ids []string
	for _, k := range []string{"feed:a", "feed:b", "feed:c"} {
		s := models.Source{EventID: e.evA.ID, Kind: "feed", Key: k, Config: json.RawMessage(`{}`), Enabled: true}
		e.db.Create(&s)
		ids = append(ids, id(s.ID))
	}
	other := models.Source{EventID: e.evB.ID, Kind: "feed", Key: "feed:other", Config: json.RawMessage(`{}`), Enabled: true}
	e.db.Create(&other)
	base := "/admin/events/" + id(e.evA.ID) + "/sources"
	// Selected ids, including one of another event, which must be ignored.
	resp, _ := c.post(base+"/action", url.Values{"action": {"disable"}, "ids": {ids[0], ids[1], id(other.ID)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	var enabled []string
	e.db.Model(&models.Source{}).Where("enabled").Order("key").Pluck("key", &enabled)
	if strings.Join(enabled, ",") != "feed:c,feed:other" {
		t.Fatalf("enabled after disabling a and b: %v", enabled)
	}
	// "All matching" the list's filter.
	c.post(base+"/action", url.Values{"action": {"enable"}, "all": {"1"}, "enabled": {"false"}})
	e.db.Model(&models.Source{}).Where("enabled").Order("key").Pluck("key", &enabled)
	if len(enabled) != 4 {
		t.Fatalf("enabled after enabling all disabled: %v", enabled)
	}
	if n := e.auditCount("disable", "source", ""); n != 2 {
		t.Fatalf("%d disable audit entries; want 2", n)
	}
	if n := e.auditCount("enable", "source", ""); n != 2 {
		t.Fatalf("%d enable audit entries; want 2", n)
	}
}

func TestListPagesFilterSearchSortAndPaginate(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login(e.super.Email)
	for i := 0; i < 55; i++ {
		e.user("user"+string(rune('a'+i%26))+id(int64(i))+"@example.org", i%2 == 0)
	}
	_, body := c.get("/admin/users")
	if !strings.Contains(body, "Page 1 of 2") || !strings.Contains(body, `rel="next"`) {
		t.Fatal("56 users on one page; want pagination at 50")
	}
	_, body = c.get("/admin/users?q=usera0")
	if strings.Count(body, `name="ids"`) != 1 {
		t.Fatalf("search usera0: %d rows; want 1", strings.Count(body, `name="ids"`))
	}
	_, body = c.get("/admin/users?superuser=false")
	if !strings.Contains(body, "27 Users") {
		t.Fatalf("filter superuser=false: want 27 users")
	}
	// An unknown sort key falls back to the default instead of reaching SQL.
	resp, _ := c.get("/admin/users?sort=password_hash;drop%20table%20users")
	if resp.StatusCode != 200 {
		t.Fatalf("unknown sort: %d", resp.StatusCode)
	}
	_, body = c.get("/admin/users?sort=-email")
	if !strings.Contains(body, `aria-sort="descending"`) {
		t.Fatal("sorted column not marked")
	}
}

func TestImportAppliesAnEventFileAndExportDownloadsIt(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login(e.super.Email)
	upload := func(name, content string) (*http.Response, string) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.WriteField("_csrf", c.token())
		fw, _ := w.CreateFormFile("file", name)
		fw.Write([]byte(content))
		w.Close()
		req := httptest.NewRequest("POST", "/admin/import", &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		var parts []string
		for k, v := range c.cookies {
			parts = append(parts, k+"="+v)
		}
		req.Header.Set("Cookie", strings.Join(parts, "; "))
		resp, err := e.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return resp, readBody(t, resp)
	}
	file := `slug: gamma-2026
title: Gamma
timezone: UTC
starts_at: 2026-06-01T09:00:00Z
ends_at: 2026-06-02T17:00:00Z
sessions:
  - slug: opening
    title: Opening
    starts_at: 2026-06-01T09:00:00Z
    ends_at: 2026-06-01T10:00:00Z
sources:
  - kind: feed
    url: https://example.org/feed.atom
`
	resp, body := upload("gamma.yaml", file)
	if resp.StatusCode != 200 || !strings.Contains(body, "import-summary") {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	var ev models.Event
	if err := e.db.Where("slug = 'gamma-2026'").Take(&ev).Error; err != nil {
		t.Fatal("event not created:", err)
	}
	// Audited in the name of the signed-in account, like every other change.
	var imported []models.AuditEntry
	e.db.Where("event_id = ?", ev.ID).Find(&imported)
	if len(imported) != 3 {
		t.Fatalf("%d audit rows for the import; want the event, its session and its source", len(imported))
	}
	for _, a := range imported {
		if a.UserID == nil || *a.UserID != e.super.ID || a.Actor != e.super.Email || len(a.After) == 0 {
			t.Errorf("import audit row %+v; want by %s with the row after", a, e.super.Email)
		}
	}
	resp, body = upload("bad.yaml", "slug: Bad Slug\ntitle: x\n")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "bad.yaml") {
		t.Fatalf("bad file: %d; want 422 naming the file", resp.StatusCode)
	}
	resp, body = c.get("/admin/events/" + id(ev.ID) + "/export")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "gamma-2026.yaml") ||
		!strings.Contains(body, "slug: gamma-2026") || !strings.Contains(body, "opening") {
		t.Fatalf("export: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Disposition"), body)
	}
}

func TestOrganizerAppointsAModerator(t *testing.T) {
	e := newEnv(t)
	org := e.user("org@example.org", false)
	e.role(org, e.evA, models.RoleOrganizer)
	mod := e.user("mod@example.org", false)
	c := e.client()
	c.login(org.Email)
	resp, body := c.post("/admin/events/"+id(e.evA.ID)+"/roles/new", url.Values{"email": {"MOD@example.org"}, "role": {"moderator"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("appoint: %d %s", resp.StatusCode, body)
	}
	var r models.EventRole
	if err := e.db.Where("user_id = ? AND event_id = ?", mod.ID, e.evA.ID).Take(&r).Error; err != nil || r.Role != "moderator" {
		t.Fatalf("role: %+v %v", r, err)
	}
	mc := e.client()
	mc.login(mod.Email)
	if resp, _ := mc.get("/admin/events/" + id(e.evA.ID) + "/moderate"); resp.StatusCode != 200 {
		t.Fatalf("new moderator's console: %d", resp.StatusCode)
	}
}

func TestPasswordChangeNeedsTheCurrentPassword(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login(e.super.Email)
	resp, body := c.post("/admin/password", url.Values{"current": {"wrong"}, "new": {"short"}})
	if resp.StatusCode != 422 || fieldError(body, "current") == "" || fieldError(body, "new") == "" {
		t.Fatalf("bad change: %d", resp.StatusCode)
	}
	resp, _ = c.post("/admin/password", url.Values{"current": {testPassword}, "new": {"a brand new password"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d", resp.StatusCode)
	}
	var u models.User
	e.db.Take(&u, e.super.ID)
	if ok, _ := auth.CheckPassword(u.PasswordHash, "a brand new password"); !ok {
		t.Fatal("password not changed")
	}
	if e.auditCount("update", "user", id(e.super.ID)) != 1 {
		t.Fatal("password change not audited")
	}
}

func TestChangingAPasswordSignsOutOtherSessions(t *testing.T) {
	e := newEnv(t)
	a, b := e.client(), e.client()
	a.login(e.super.Email)
	b.login(e.super.Email)
	resp, _ := a.post("/admin/password", url.Values{"current": {testPassword}, "new": {"another long password"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d", resp.StatusCode)
	}
	if resp, body := a.get("/admin/"); resp.StatusCode != 200 || !strings.Contains(body, "Your password has been changed") {
		t.Fatalf("the session that changed it: %d", resp.StatusCode)
	}
	if resp := b.do("GET", "/admin/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another session after the change: %d; want 303 to login", resp.StatusCode)
	}
}

func TestEveryFormCreateAndEditIsAudited(t *testing.T) {
	e := newEnv(t)
	e.user("helper@example.org", false)
	c := e.client()
	c.login(e.super.Email)
	ev := "/admin/events/" + id(e.evA.ID)
	cases := []struct {
		objectType, path string
		form             url.Values
	}{
		{"event", "/admin/events/new", url.Values{"slug": {"gamma"}, "title": {"Gamma"}, "timezone": {"Europe/Paris"},
			"starts_at": {"2026-07-01T09:00"}, "ends_at": {"2026-07-02T18:00"}, "posting": {"moderated"}, "moderation": {"before"}}},
		{"session", ev + "/sessions/new", url.Values{"slug": {"intro"}, "title": {"Intro"}, "starts_at": {"2026-05-24T14:00"}, "ends_at": {"2026-05-24T15:00"}}},
		{"source", ev + "/sources/new", url.Values{"kind": {"feed"}, "config": {`{"url": "HTTPS://Example.org/feed.atom", "every": "5m"}`}, "enabled": {"on"}}},
		{"moderation_rule", ev + "/rules/new", url.Values{"kind": {"word"}, "value": {"spoiler"}, "note": {"no spoilers"}}},
		{"event_role", ev + "/roles/new", url.Values{"email": {"helper@example.org"}, "role": {"moderator"}}},
		{"user", "/admin/users/new", url.Values{"email": {"new@example.org"}, "password": {"a long enough password"}, "is_active": {"on"}}},
	}
	for _, tc := range cases {
		t.Run(tc.objectType, func(t *testing.T) {
			resp, body := c.post(tc.path, tc.form)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("create: %d %s", resp.StatusCode, body)
			}
			var a models.AuditEntry
			if err := e.db.Where("action = 'create' AND object_type = ?", tc.objectType).Order("id DESC").Take(&a).Error; err != nil {
				t.Fatalf("no create entry: %v", err)
			}
			if a.UserID == nil || *a.UserID != e.super.ID || len(a.After) == 0 || strings.Contains(string(a.After), "argon2") {
				t.Fatalf("entry: %+v after=%s", a, a.After)
			}
			// Saving the form again (unchanged) is an update with before and after.
			loc := resp.Header.Get("Location")
			objURL := strings.TrimSuffix(tc.path, "/new") + "/" + a.ObjectID
			if tc.objectType == "event" {
				objURL = "/admin/events/" + a.ObjectID
			}
			_, page := c.get(objURL)
			if !strings.Contains(page, "Change ") {
				t.Fatalf("edit form %s (after redirect to %s) not shown", objURL, loc)
			}
			form := url.Values{}
			for k, v := range tc.form {
				form[k] = v
			}
			form.Del("password")
			if resp, body := c.post(objURL, form); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("update: %d %s", resp.StatusCode, body)
			}
			var u models.AuditEntry
			if err := e.db.Where("action = 'update' AND object_type = ? AND object_id = ?", tc.objectType, a.ObjectID).Take(&u).Error; err != nil {
				t.Fatalf("no update entry: %v", err)
			}
			if len(u.Before) == 0 || len(u.After) == 0 {
				t.Fatalf("update entry without before/after: %+v", u)
			}
		})
	}
	var src models.Source
	e.db.Where("event_id = ?", e.evA.ID).Take(&src)
	if src.Key == "" || !strings.Contains(string(src.Config), "https://example.org/feed.atom") {
		t.Fatalf("source saved without eventfile's normalisation: key %q config %s", src.Key, src.Config)
	}
}
