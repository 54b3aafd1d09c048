package eventfile

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// rowCounts counts the rows of every table Apply writes.
func rowCounts(t *testing.T, db *gorm.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"events", "sessions", "sources", "audit_log"} {
		var n int64
		if err := db.Table(table).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func auditRows(t *testing.T, db *gorm.DB) []models.AuditEntry {
	t.Helper()
	var rows []models.AuditEntry
	if err := db.Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func mustApply(t *testing.T, db *gorm.DB, name string, data []byte) *Result {
	t.Helper()
	res, err := ApplyFile(context.Background(), db, name, data, store.Actor{Name: "cli:test"})
	if err != nil {
		t.Fatalf("apply %s: %v", name, err)
	}
	return res
}

func TestApplyCreatesEventSessionsAndSourcesWithOneAuditRowEach(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	res := mustApply(t, db, "aea-boston.yaml", readTestdata(t, "aea-boston.yaml"))
	if !res.Changed() || len(res.Created()) != 8 || len(res.Updated()) != 0 || len(res.Deleted()) != 0 {
		t.Fatalf("result:\n%s", res.Summary())
	}
	if !strings.HasPrefix(res.Summary(), "event aea-boston-2026: 8 created, 0 updated, 0 deleted\n  created event aea-boston-2026\n  created room main-hall\n  created session opening-keynote") {
		t.Errorf("summary:\n%s", res.Summary())
	}
	ev, err := store.New(db).EventBySlug(context.Background(), "aea-boston-2026")
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != res.EventID || ev.Title != "An Event Apart Boston" || !ev.StartsAt.Equal(time.Date(2026, 5, 24, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("stored event = %+v", ev)
	}
	if len(ev.Sessions) != 1 || ev.Sessions[0].Slug != "opening-keynote" {
		t.Errorf("stored sessions = %+v", ev.Sessions)
	}
	var src models.Source
	if err := db.Where("key = ?", "mastodon:https://mastodon.social#aeaboston").Take(&src).Error; err != nil {
		t.Fatal(err)
	}
	var cfg map[string]string
	if err := json.Unmarshal(src.Config, &cfg); err != nil || cfg["token_env"] != "MASTODON_TOKEN" || !src.Enabled || src.Kind != "mastodon" {
		t.Errorf("stored source = %+v (%v)", src, err)
	}
	rows := auditRows(t, db)
	if len(rows) != 8 {
		t.Fatalf("%d audit rows, want 8", len(rows))
	}
	for _, r := range rows {
		if r.Actor != "cli:test" || r.Action != "create" || r.Before != nil || len(r.After) == 0 || r.EventID == nil || *r.EventID != ev.ID {
			t.Errorf("audit row = %+v", r)
		}
	}
	if rows[0].ObjectType != "event" || rows[1].ObjectType != "room" || rows[2].ObjectType != "session" || rows[3].ObjectType != "source" {
		t.Errorf("audit object types = %s, %s, %s, %s", rows[0].ObjectType, rows[1].ObjectType, rows[2].ObjectType, rows[3].ObjectType)
	}
}

func TestApplySameFileTwiceChangesNothing(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	data := readTestdata(t, "full.yaml")
	mustApply(t, db, "full.yaml", data)
	before := rowCounts(t, db)
	var stamps []time.Time
	db.Raw("SELECT updated_at FROM events UNION ALL SELECT updated_at FROM sessions UNION ALL SELECT updated_at FROM sources ORDER BY 1").Scan(&stamps)

	res := mustApply(t, db, "full.yaml", data)
	if res.Changed() {
		t.Errorf("second apply changed:\n%s", res.Summary())
	}
	if res.Summary() != "event full-conf: no changes" {
		t.Errorf("summary = %q", res.Summary())
	}
	if after := rowCounts(t, db); !equalCounts(before, after) {
		t.Errorf("rows %v → %v", before, after)
	}
	var stamps2 []time.Time
	db.Raw("SELECT updated_at FROM events UNION ALL SELECT updated_at FROM sessions UNION ALL SELECT updated_at FROM sources ORDER BY 1").Scan(&stamps2)
	if len(stamps) != len(stamps2) || len(stamps) == 0 {
		t.Fatalf("updated_at %v → %v", stamps, stamps2)
	}
	for i := range stamps {
		if !stamps[i].Equal(stamps2[i]) {
			t.Errorf("updated_at moved: %v → %v", stamps[i], stamps2[i])
		}
	}
}

func equalCounts(a, b map[string]int64) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

func TestApplyChangedSessionTitleWritesOneUpdateAuditRow(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	data := readTestdata(t, "full.yaml")
	mustApply(t, db, "full.yaml", data)
	n := len(auditRows(t, db))

	changed := []byte(strings.Replace(string(data), "title: Talk One", "title: Talk One, Revised", 1))
	res := mustApply(t, db, "full.yaml", changed)
	if len(res.Changes) != 1 || res.Changes[0].Action != "update" || res.Changes[0].Object != "session" ||
		res.Changes[0].Key != "talk-one" || strings.Join(res.Changes[0].Fields, ",") != "title" {
		t.Fatalf("result:\n%s", res.Summary())
	}
	if res.Summary() != "event full-conf: 0 created, 1 updated, 0 deleted\n  updated session talk-one (title)" {
		t.Errorf("summary:\n%s", res.Summary())
	}
	rows := auditRows(t, db)
	if len(rows) != n+1 {
		t.Fatalf("%d new audit rows, want 1", len(rows)-n)
	}
	last := rows[len(rows)-1]
	var before, after map[string]any
	_ = json.Unmarshal(last.Before, &before)
	_ = json.Unmarshal(last.After, &after)
	if last.Action != "update" || last.ObjectType != "session" || before["title"] != "Talk One" || after["title"] != "Talk One, Revised" {
		t.Errorf("audit row = %+v before=%v after=%v", last, before, after)
	}
	var s models.Session
	db.Where("slug = ?", "talk-one").Take(&s)
	if s.Title != "Talk One, Revised" || !s.UpdatedAt.After(s.CreatedAt) {
		t.Errorf("stored session = %+v", s)
	}
}

func TestApplyDeletesSessionsAndSourcesMissingFromTheFile(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	mustApply(t, db, "full.yaml", readTestdata(t, "full.yaml"))
	f, err := Parse("full.yaml", readTestdata(t, "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f.Sessions = f.Sessions[:3] // drop "party"
	f.Sources = f.Sources[1:]   // drop "mastodon-main"
	f.Sources[0].Enabled = true // and enable the feed
	res, err := Apply(context.Background(), db, f, store.Actor{Name: "cli:test"})
	if err != nil {
		t.Fatal(err)
	}
	want := "event full-conf: 0 created, 1 updated, 2 deleted\n" +
		"  deleted session party\n" +
		"  deleted source mastodon-main\n" +
		"  updated source feed:https://example.org/feed.atom?lang=en (enabled)"
	if res.Summary() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", res.Summary(), want)
	}
	counts := rowCounts(t, db)
	if counts["sessions"] != 3 || counts["sources"] != 2 {
		t.Errorf("rows = %v", counts)
	}
	var del []models.AuditEntry
	db.Where("action = 'delete'").Order("id").Find(&del)
	if len(del) != 2 || del[0].ObjectType != "session" || del[1].ObjectType != "source" || del[0].Before == nil || del[0].After != nil {
		t.Errorf("delete audit rows = %+v", del)
	}
}

func TestApplyRollsBackEverythingOnADatabaseError(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	// A trigger stands in for any database failure half-way through.
	err := db.Exec(`CREATE FUNCTION fail_party() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'no parties today'; END $$;
		CREATE TRIGGER fail_party BEFORE INSERT ON sessions FOR EACH ROW
		WHEN (NEW.slug = 'party') EXECUTE FUNCTION fail_party();`).Error
	if err != nil {
		t.Fatal(err)
	}
	_, err = ApplyFile(context.Background(), db, "full.yaml", readTestdata(t, "full.yaml"), store.Actor{Name: "cli:test"})
	if err == nil || !strings.Contains(err.Error(), "no parties today") {
		t.Fatalf("err = %v", err)
	}
	if counts := rowCounts(t, db); !equalCounts(counts, map[string]int64{"events": 0, "sessions": 0, "sources": 0, "audit_log": 0}) {
		t.Errorf("after a failed apply rows = %v, want none", counts)
	}
}

func TestApplyOfABadFileLeavesTheDatabaseUntouched(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	base := readTestdata(t, "base.yaml")
	mustApply(t, db, "base.yaml", base)
	before := rowCounts(t, db)
	for _, c := range badCases {
		_, err := ApplyFile(context.Background(), db, "bad.yaml", withLine(base, c.line, c.replace), store.Actor{Name: "cli:test"})
		var errs Errors
		if !errors.As(err, &errs) {
			t.Errorf("%s: err = %v, want Errors", c.name, err)
		}
		if after := rowCounts(t, db); !equalCounts(before, after) {
			t.Errorf("%s: rows %v → %v", c.name, before, after)
		}
	}
}

func TestApplyRejectsAnInvalidFileBuiltInCode(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	f := &File{Name: "code", Event: models.Event{Slug: "x", Title: "X", Timezone: "UTC", Posting: "open", Moderation: "after",
		StartsAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		Sources: []Source{{Kind: "feed", Enabled: true, Fields: map[string]any{"url": "ftp://example.org"}}}}
	_, err := Apply(context.Background(), db, f, store.Actor{Name: "cli:test"})
	if err == nil || err.Error() != `code: sources[0].url: "ftp://example.org" must be an absolute http or https URL, like https://mastodon.social` {
		t.Errorf("err = %v", err)
	}
	if counts := rowCounts(t, db); counts["events"] != 0 {
		t.Errorf("rows = %v", counts)
	}
}

func TestConcurrentAppliesOfANewEventBothSucceedAndCreateItOnce(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	data := readTestdata(t, "full.yaml")
	results := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := ApplyFile(context.Background(), db, "full.yaml", data, store.Actor{Name: "cli:test"})
			results <- err
		}()
	}
	for range 2 {
		if err := <-results; err != nil {
			t.Errorf("apply: %v", err)
		}
	}
	counts := rowCounts(t, db)
	if counts["events"] != 1 || counts["sessions"] != 4 || counts["sources"] != 3 || counts["audit_log"] != 10 { // and the two rooms
		t.Errorf("rows = %v, want one event created once", counts)
	}
}

func TestApplyPathNamesThePathInErrors(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	path := t.TempDir() + "/event.yaml"
	if err := os.WriteFile(path, withLine(readTestdata(t, "base.yaml"), 3, "timezone: Nowhere"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ApplyPath(context.Background(), db, path, store.Actor{Name: "cli:test"})
	if err == nil || !strings.HasPrefix(err.Error(), path+":3: timezone: ") {
		t.Errorf("err = %v", err)
	}
	if _, err := ApplyPath(context.Background(), db, path+".missing", store.Actor{Name: "cli:test"}); err == nil {
		t.Error("a missing file applied")
	}
}
