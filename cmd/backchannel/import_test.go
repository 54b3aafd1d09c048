package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const webconfEvent = `slug: webconf
title: WebConf 2026
timezone: Europe/Berlin
starts_at: 2026-05-24T08:00:00+02:00
ends_at: 2026-05-25T18:00:00+02:00
`

func fixture(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "timetable", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (c *cli) count(table string) int64 {
	var n int64
	if err := c.db.DB.Table(table).Count(&n).Error; err != nil {
		c.t.Fatal(err)
	}
	return n
}

func TestEventImportPreviewsWithDryRunThenImportsOnceFromAFileOrAURL(t *testing.T) {
	c := newCLI(t)
	if code, _, errs := c.run("", "event", "apply", "-f", writeFile(t, "webconf.yaml", webconfEvent)); code != 0 {
		t.Fatalf("apply: %q", errs)
	}
	audit := c.count("audit_log")
	// --dry-run may follow the file.
	code, out, errs := c.run("", "event", "import", "--event", "webconf", "--format", "pretalx", fixture(t, "pretalx-schedule.json"), "--dry-run")
	if code != 0 || !strings.Contains(out, "would import 5 sessions in 3 rooms with 6 speakers (6 new)") ||
		!strings.Contains(out, "would create session rust-for-web-developers") || !strings.Contains(out, "would create room room-c") {
		t.Fatalf("dry run: %d %q %q", code, out, errs)
	}
	if c.count("sessions") != 0 || c.count("audit_log") != audit {
		t.Fatal("a dry run wrote")
	}
	code, out, errs = c.run("", "event", "import", "--event", "webconf", "--format", "pretalx", fixture(t, "pretalx-schedule.json"))
	if code != 0 || !strings.Contains(out, "event webconf: 8 created") || !strings.Contains(out, "items will be re-assigned") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	var actor string
	c.db.DB.Table("audit_log").Select("actor").Where("action = 'import'").Scan(&actor)
	if actor != "cli:event import" {
		t.Errorf("import audited as %q", actor)
	}
	// The same schedule as pretalx's frab XML, served over HTTP: nothing changes.
	xml, err := os.ReadFile(fixture(t, "frab-schedule.xml"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Write(xml)
	}))
	defer srv.Close()
	url := srv.URL + "/webconf-2026/schedule/export/schedule.xml"
	code, _, errs = c.run("", "event", "import", "--event", "webconf", "--format", "frab", url)
	if code != 1 || !strings.Contains(errs, "loopback") {
		t.Fatalf("a loopback URL outside OUTBOUND_ALLOW_PRIVATE: %d %q", code, errs)
	}
	c.env["OUTBOUND_ALLOW_PRIVATE"] = strings.TrimPrefix(srv.URL, "http://")
	audit = c.count("audit_log")
	code, out, errs = c.run("", "event", "import", "--event", "webconf", "--format", "frab", url)
	if code != 0 || !strings.Contains(out, "updated event webconf (schedule_url, schedule_format)") || strings.Contains(out, "session") && strings.Contains(out, "created session") {
		t.Fatalf("url import: %d %q %q", code, out, errs)
	}
	code, out, _ = c.run("", "event", "import", "--event", "webconf", "--format", "frab", url)
	if code != 0 || !strings.Contains(out, "event webconf: no changes") {
		t.Fatalf("re-import: %d %q", code, out)
	}
	if n := c.count("audit_log"); n != audit+2 { // the event's schedule_url, and the import row
		t.Errorf("%d audit rows written, want 2", n-audit)
	}
}

func TestEventImportOfABadScheduleSaysWhereInOneLineAndChangesNothing(t *testing.T) {
	c := newCLI(t)
	if code, _, errs := c.run("", "event", "apply", "-f", writeFile(t, "webconf.yaml", webconfEvent)); code != 0 {
		t.Fatalf("apply: %q", errs)
	}
	xml, _ := os.ReadFile(fixture(t, "frab-schedule.xml"))
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, make([]byte, 50<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"wrong format", []string{"--format", "pretalx", fixture(t, "frab-schedule.xml")}, 1, "frab-schedule.xml:1: is XML (for a frab schedule.xml use --format frab), not a pretalx schedule JSON"},
		{"truncated xml", []string{"--format", "frab", writeFile(t, "cut.xml", string(xml[:3000]))}, 1, "cut.xml:"},
		{"50 MB", []string{"--format", "pretalx", big}, 1, "big.json: the file is 50.0 MB; a schedule may be at most 16.0 MB"},
		{"missing file", []string{"--format", "ics", "/nonexistent/schedule.ics"}, 1, "/nonexistent/schedule.ics: cannot be opened"},
		{"unknown format", []string{"--format", "csv", "x.csv"}, 2, `--format "csv": want pretalx, frab or ics`},
		{"no event", []string{"--format", "ics", "x.ics"}, 2, "--event SLUG is required"},
		{"unknown event", []string{"--event", "nope", "--format", "ics", fixture(t, "pretalx-schedule.ics")}, 1, `event "nope": not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"event", "import"}, tc.args...)
			if !strings.Contains(strings.Join(tc.args, " "), "--event") && tc.name != "no event" {
				args = append(args, "--event", "webconf")
			}
			code, _, errs := c.run("", args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Fatalf("code %d, stderr %q; want %d and %q", code, errs, tc.code, tc.want)
			}
			if n := strings.Count(strings.TrimSpace(errs), "\n"); n != 0 {
				t.Errorf("%d lines: %q", n+1, errs)
			}
		})
	}
	if c.count("sessions") != 0 || c.count("rooms") != 0 {
		t.Error("a bad schedule wrote")
	}
}
