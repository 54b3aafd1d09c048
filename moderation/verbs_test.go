package moderation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/jobs"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
)

// env is one test's moderation: real Postgres, real Redis, the real live
// log and the real strainer.
type env struct {
	t        *testing.T
	db       *gorm.DB
	log      *realtime.Log
	strainer *jobs.Strainer
	verbs    *moderation.Verbs
	ev       models.Event
	mod      store.Actor
	changed  []int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testenv.NewDatabase(t).DB
	rdb := testenv.NewRedis(t)
	e := &env{t: t, db: db, log: realtime.NewLog(rdb.Client, rdb.Namespace)}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.strainer = jobs.NewStrainer(store.New(db), e.log, jobs.StrainerOptions{Logger: quiet})
	e.verbs = moderation.New(store.New(db), moderation.LogOf(e.log, realtime.ErrUnknownTarget, realtime.ErrNotShown),
		moderation.Options{Logger: quiet, Changed: func(_ context.Context, id int64) { e.changed = append(e.changed, id) }})
	start := time.Now().Add(-time.Hour)
	e.ev = models.Event{Slug: "verbs", Title: "Verbs", Timezone: "UTC", StartsAt: start, EndsAt: start.Add(48 * time.Hour),
		Posting: models.PostingOpen, Moderation: models.ModerationAfter}
	if err := db.Create(&e.ev).Error; err != nil {
		t.Fatal(err)
	}
	u := models.User{Email: "mod@example.org", PasswordHash: "x", IsActive: true}
	if err := db.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	e.mod = store.Actor{UserID: u.ID, Name: u.Email}
	return e
}

// post appends an item to the live log, as a source does; it is not in
// Postgres until strain runs.
func (e *env) post(ext, author, text string, held bool) int64 {
	e.t.Helper()
	now := time.Now().UTC()
	res, err := e.log.AppendItem(context.Background(), e.ev.ID, live.Item{ID: "mastodon:" + ext, Source: "mastodon", Kind: live.KindPost,
		Author: live.Author{Name: author, Handle: "@" + author + "@example.social"}, Text: text, HTML: "<p>" + text + "</p>",
		Media: []live.Media{}, CreatedAt: now, ReceivedAt: now, Held: held})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Seq
}

func (e *env) strain() {
	e.t.Helper()
	if _, err := e.strainer.StrainEvent(context.Background(), e.ev.ID); err != nil {
		e.t.Fatal(err)
	}
}

// stored posts an item and strains it into Postgres.
func (e *env) stored(ext, author, text string, held bool) int64 {
	e.t.Helper()
	seq := e.post(ext, author, text, held)
	e.strain()
	return seq
}

func (e *env) row(seq int64) models.Item {
	e.t.Helper()
	var it models.Item
	if err := e.db.Omit("search").Where("event_id = ? AND seq = ?", e.ev.ID, seq).Take(&it).Error; err != nil {
		e.t.Fatalf("item %d: %v", seq, err)
	}
	return it
}

func (e *env) audits(action string, seq int64) []models.AuditEntry {
	e.t.Helper()
	var out []models.AuditEntry
	if err := e.db.Where("action = ? AND object_type = 'item' AND object_id = ?", action, fmt.Sprint(seq)).Order("id").Find(&out).Error; err != nil {
		e.t.Fatal(err)
	}
	return out
}

// opsAfter returns the live log's entries after seq.
func (e *env) opsAfter(seq int64) []live.Entry {
	e.t.Helper()
	es, err := e.log.Range(context.Background(), e.ev.ID, seq, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

func (e *env) head() int64 {
	e.t.Helper()
	_, h, err := e.log.Head(context.Background(), e.ev.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

func TestEachVerbChangesTheRowAuditsItAndAppendsItsOp(t *testing.T) {
	type state struct {
		hidden, pinned bool
		review         string
	}
	cases := []struct {
		verb     string
		held     bool
		prepare  string // a verb run first
		want     state
		op       string // "" for none
		carries  bool   // the op carries the item
		diffKeys []string
	}{
		{verb: "hide", want: state{true, false, "approved"}, op: live.OpHide, diffKeys: []string{"hidden"}},
		{verb: "unhide", prepare: "hide", want: state{false, false, "approved"}, op: live.OpUnhide, carries: true, diffKeys: []string{"hidden"}},
		{verb: "pin", want: state{false, true, "approved"}, op: live.OpPin, carries: true, diffKeys: []string{"pinned"}},
		{verb: "unpin", prepare: "pin", want: state{false, false, "approved"}, op: live.OpUnpin, carries: true, diffKeys: []string{"pinned"}},
		{verb: "approve", held: true, want: state{false, false, "approved"}, op: live.OpApprove, carries: true, diffKeys: []string{"review"}},
		{verb: "reject", held: true, want: state{false, false, "rejected"}, op: live.OpReject, diffKeys: []string{"review"}},
		{verb: "reject", want: state{false, false, "rejected"}, op: live.OpReject, diffKeys: []string{"review"}},
		{verb: "hold", want: state{false, false, "pending"}, op: live.OpHold, diffKeys: []string{"review"}},
	}
	for _, c := range cases {
		name := c.verb
		if c.held {
			name += " held"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			seq := e.stored("1", "ana", "a talk", c.held)
			if c.prepare != "" {
				if _, err := e.verbs.Do(ctx, e.mod, e.ev.ID, c.prepare, seq); err != nil {
					t.Fatal(err)
				}
			}
			mark := e.head()
			res, err := e.verbs.Do(ctx, e.mod, e.ev.ID, c.verb, seq)
			if err != nil || res.LiveErr != nil {
				t.Fatalf("%s: %v, live: %v", c.verb, err, res.LiveErr)
			}
			if !slices.Equal(res.Changed, []int64{seq}) || len(res.Unstrained) != 0 {
				t.Fatalf("result %+v; want item %d changed, stored", res, seq)
			}
			r := e.row(seq)
			if got := (state{r.Hidden, r.Pinned, r.Review}); got != c.want {
				t.Errorf("row %+v; want %+v", got, c.want)
			}
			as := e.audits(c.verb, seq)
			if len(as) != 1 {
				t.Fatalf("%d %s audit rows; want 1", len(as), c.verb)
			}
			a := as[0]
			if a.UserID == nil || *a.UserID != e.mod.UserID || a.Actor != e.mod.Name || a.EventID == nil || *a.EventID != e.ev.ID {
				t.Errorf("audit row %+v; want by %s in event %d", a, e.mod.Name, e.ev.ID)
			}
			var before, after map[string]any
			_ = json.Unmarshal(a.Before, &before)
			_ = json.Unmarshal(a.After, &after)
			for _, k := range c.diffKeys {
				if _, ok := before[k]; !ok || after[k] == before[k] {
					t.Errorf("audit before %v after %v; want %s changed", before, after, k)
				}
			}
			es := e.opsAfter(mark)
			if c.op == "" {
				if len(es) != 0 {
					t.Fatalf("log after %s: %+v; want nothing", c.verb, es)
				}
				return
			}
			if len(es) != 1 || es[0].Op != c.op || es[0].Target != seq || (es[0].Item != nil) != c.carries {
				t.Fatalf("log after %s: %+v; want one %s of %d (item carried: %v)", c.verb, es, c.op, seq, c.carries)
			}
			if c.carries && (es[0].Item.ID != "mastodon:1" || es[0].Item.Text != "a talk") {
				t.Errorf("op carries %+v", es[0].Item)
			}
			if len(e.changed) == 0 || e.changed[len(e.changed)-1] != e.ev.ID {
				t.Errorf("Changed told %v; want event %d", e.changed, e.ev.ID)
			}
		})
	}
}

func TestAVerbOnAnItemAlreadyInThatStateWritesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	seq := e.stored("1", "ana", "a talk", false)
	if _, err := e.verbs.Hide(ctx, e.mod, e.ev.ID, seq); err != nil {
		t.Fatal(err)
	}
	mark := e.head()
	res, err := e.verbs.Hide(ctx, e.mod, e.ev.ID, seq)
	if err != nil || len(res.Changed) != 0 {
		t.Fatalf("second hide: %+v, %v; want nothing changed", res, err)
	}
	if n := len(e.audits("hide", seq)); n != 1 {
		t.Errorf("%d hide audit rows; want 1", n)
	}
	if es := e.opsAfter(mark); len(es) != 0 {
		t.Errorf("second hide appended %+v", es)
	}
}

func TestAVerbOnAnUnknownItemIsNotFoundAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	seq := e.stored("1", "ana", "a talk", false)
	_, err := e.verbs.Hide(ctx, e.mod, e.ev.ID, seq, 999)
	var nf *models.NotFoundError
	if !errors.As(err, &nf) || nf.Message() != "There is no item 999." {
		t.Fatalf("hide of 999: %v; want There is no item 999.", err)
	}
	if e.row(seq).Hidden || len(e.audits("hide", seq)) != 0 {
		t.Fatal("a failed verb changed the known item")
	}
}

// The strainer applies logged ops to the rows it copies later (jobs/batch.go
// folds a batch's ops onto its adds), so a verb on an item not strained yet
// needs only its audit row and its op.
func TestVerbsBeforeStrainingAreAuditedAndTheStrainerStoresTheirEffect(t *testing.T) {
	cases := []struct {
		verb string
		held bool
		want func(models.Item) bool
	}{
		{"hide", false, func(r models.Item) bool { return r.Hidden && r.Review == "approved" }},
		{"pin", false, func(r models.Item) bool { return r.Pinned && !r.Hidden }},
		{"approve", true, func(r models.Item) bool { return r.Review == "approved" && !r.Hidden }},
		{"reject", true, func(r models.Item) bool { return r.Review == "rejected" }},
		{"hold", false, func(r models.Item) bool { return r.Review == "pending" && !r.Hidden }},
	}
	for _, c := range cases {
		t.Run(c.verb, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			seq := e.post("1", "ana", "fresh from the stream", c.held)
			res, err := e.verbs.Do(ctx, e.mod, e.ev.ID, c.verb, seq)
			if err != nil || res.LiveErr != nil {
				t.Fatalf("%s: %v, live: %v", c.verb, err, res.LiveErr)
			}
			if !slices.Equal(res.Unstrained, []int64{seq}) {
				t.Fatalf("result %+v; want %d unstrained", res, seq)
			}
			var n int64
			e.db.Model(&models.Item{}).Where("event_id = ?", e.ev.ID).Count(&n)
			if n != 0 {
				t.Fatal("the verb wrote an items row; only the strainer does")
			}
			if as := e.audits(c.verb, seq); len(as) != 1 || as[0].Message == "" {
				t.Fatalf("audit rows %+v; want one, saying it was not strained yet", as)
			}
			e.strain()
			if r := e.row(seq); !c.want(r) {
				t.Fatalf("row after straining: hidden=%v pinned=%v review=%s", r.Hidden, r.Pinned, r.Review)
			}
		})
	}
}

// failingLog is the live log of a process that dies between the commit and
// the append: before failing, it records what a second connection sees.
type failingLog struct {
	moderation.Log
	db      *gorm.DB
	eventID int64
	sawRow  bool
	sawLog  bool
}

func (f *failingLog) AppendOp(ctx context.Context, eventID int64, op string, target int64, it *live.Item) error {
	var hidden bool
	f.db.Raw("SELECT hidden FROM items WHERE event_id = ? AND seq = ?", eventID, target).Scan(&hidden)
	var n int64
	f.db.Model(&models.AuditEntry{}).Where("action = 'hide' AND object_id = ?", fmt.Sprint(target)).Count(&n)
	f.sawRow, f.sawLog = hidden, n == 1
	return errors.New("connection reset by peer")
}

func TestTheChangeIsCommittedBeforeTheLiveLogIsTold(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	seq := e.stored("1", "ana", "spam", false)
	fl := &failingLog{Log: moderation.LogOf(e.log, realtime.ErrUnknownTarget, realtime.ErrNotShown), db: e.db, eventID: e.ev.ID}
	verbs := moderation.New(store.New(e.db), fl, moderation.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mark := e.head()
	res, err := verbs.Hide(ctx, e.mod, e.ev.ID, seq)
	if err != nil {
		t.Fatalf("hide: %v; the change is committed, so the verb succeeds", err)
	}
	if !fl.sawRow || !fl.sawLog {
		t.Fatalf("at the append, another connection saw hidden=%v audited=%v; want both committed", fl.sawRow, fl.sawLog)
	}
	if res.LiveErr == nil {
		t.Fatal("Result.LiveErr is nil; the caller must learn that live pages were not told")
	}
	if es := e.opsAfter(mark); len(es) != 0 {
		t.Fatalf("log: %+v", es)
	}
	if !e.row(seq).Hidden {
		t.Fatal("the committed hide is gone")
	}
}

func TestBanWithPastHidesStoredAndUnstrainedItemsItMatches(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	old := e.stored("1", "troll", "first", false)
	fine := e.stored("2", "ana", "fine", false)
	fresh := e.post("3", "troll", "second, not strained yet", false)
	other := e.post("4", "bob", "also fresh", false)
	mark := e.head()
	res, err := e.verbs.Ban(ctx, e.mod, e.ev.ID, moderation.Ban{Kind: models.RuleAuthor, Value: " @troll@example.social ", Note: "spam", Past: true})
	if err != nil || res.Hidden.LiveErr != nil {
		t.Fatalf("ban: %v %v", err, res.Hidden.LiveErr)
	}
	if !res.Created || res.Rule.Value != "@troll@example.social" || res.Rule.CreatedBy == nil || *res.Rule.CreatedBy != e.mod.UserID {
		t.Fatalf("rule %+v created=%v", res.Rule, res.Created)
	}
	if !slices.Equal(res.Hidden.Changed, []int64{old, fresh}) || !slices.Equal(res.Hidden.Unstrained, []int64{fresh}) {
		t.Fatalf("hidden %+v; want %d and %d (%d unstrained)", res.Hidden, old, fresh, fresh)
	}
	var created int64
	e.db.Model(&models.AuditEntry{}).Where("action = 'create' AND object_type = 'moderation_rule' AND user_id = ?", e.mod.UserID).Count(&created)
	if created != 1 || len(e.audits("hide", old)) != 1 || len(e.audits("hide", fresh)) != 1 {
		t.Fatal("the ban or its hides are not audited")
	}
	hides := map[int64]bool{}
	for _, en := range e.opsAfter(mark) {
		if en.Op == live.OpHide {
			hides[en.Target] = true
		}
	}
	if len(hides) != 2 || !hides[old] || !hides[fresh] {
		t.Fatalf("hide ops %v; want %d and %d", hides, old, fresh)
	}
	e.strain()
	if !e.row(old).Hidden || !e.row(fresh).Hidden || e.row(fine).Hidden || e.row(other).Hidden {
		t.Fatal("after straining, the wrong items are hidden")
	}
	// The same ban again keeps one rule and hides nothing more.
	again, err := e.verbs.Ban(ctx, e.mod, e.ev.ID, moderation.Ban{Kind: models.RuleAuthor, Value: "@TROLL@example.social", Past: true})
	if err != nil || again.Created || len(again.Hidden.Changed) != 0 || again.Rule.ID != res.Rule.ID {
		t.Fatalf("second ban: %+v, %v", again, err)
	}
}

func TestApplyingRulesCoversItemsNotYetStrained(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	old := e.stored("1", "ana", "buy CHEAP pills", false)
	e.stored("2", "bob", "great talk", false)
	fresh := e.post("3", "cy", "cheap pills, again", false)
	ban, err := e.verbs.Ban(ctx, e.mod, e.ev.ID, moderation.Ban{Kind: models.RuleWord, Value: "cheap pills"})
	if err != nil || len(ban.Hidden.Changed) != 0 {
		t.Fatalf("ban without past: %+v, %v", ban, err)
	}
	res, err := e.verbs.ApplyRules(ctx, e.mod, e.ev.ID, []int64{ban.Rule.ID})
	if err != nil || !slices.Equal(res.Changed, []int64{old, fresh}) {
		t.Fatalf("apply: %+v, %v; want %d and %d", res, err, old, fresh)
	}
	e.strain()
	if !e.row(fresh).Hidden {
		t.Fatal("the unstrained match is not hidden once stored")
	}
}

func TestInvalidBansAreValidationErrors(t *testing.T) {
	e := newEnv(t)
	_, err := e.verbs.Ban(context.Background(), e.mod, e.ev.ID, moderation.Ban{Kind: "regex", Value: "  "})
	var verr *models.ValidationError
	if !errors.As(err, &verr) || len(verr.Fields) != 2 {
		t.Fatalf("ban: %v; want kind and value errors", err)
	}
}

func TestScreenPostHidesBlockedPostsAndSeesANewBanAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	post := func() live.Item {
		it := live.Item{Source: live.SourceRoom, Author: live.Author{Name: "Guest"}, Text: "free crypto here"}
		if err := e.verbs.ScreenPost(ctx, e.ev.ID, &it, live.Poster{}); err != nil {
			t.Fatal(err)
		}
		return it
	}
	if it := post(); it.Hidden || it.Held {
		t.Fatalf("before any ban: %+v", it)
	}
	if _, err := e.verbs.Ban(ctx, e.mod, e.ev.ID, moderation.Ban{Kind: models.RuleWord, Value: "crypto"}); err != nil {
		t.Fatal(err)
	}
	if it := post(); !it.Hidden || it.Held {
		t.Fatalf("after banning crypto (cached rules): %+v; want hidden, not held", it)
	}
}

// downLog is a live log that is down: every append fails.
type downLog struct{ moderation.Log }

func (downLog) AppendOp(context.Context, int64, string, int64, *live.Item) error {
	return errors.New("connection refused")
}

// For an item not strained yet the live log is the only carrier of the
// change (docs/ARCHITECTURE.md, The data path): a failed append leaves
// just the audit row, and the verb says so, item by item.
func TestAFailedAppendForAnUnstrainedItemIsReportedAsNotTold(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	stored := e.stored("1", "ana", "stored", false)
	fresh := e.post("2", "bob", "fresh", false)
	verbs := moderation.New(store.New(e.db), downLog{moderation.LogOf(e.log, realtime.ErrUnknownTarget, realtime.ErrNotShown)},
		moderation.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	res, err := verbs.Hide(ctx, e.mod, e.ev.ID, stored, fresh)
	if err != nil || res.LiveErr == nil {
		t.Fatalf("hide: %+v, %v; want committed with a live error", res, err)
	}
	if !slices.Equal(res.NotTold, []int64{fresh}) {
		t.Fatalf("NotTold %v; want only the unstrained %d (the stored one is hidden in Postgres)", res.NotTold, fresh)
	}
	if len(e.audits("hide", fresh)) != 1 || !e.row(stored).Hidden {
		t.Fatal("the committed part is missing")
	}
	e.strain()
	if e.row(fresh).Hidden {
		t.Fatal("the strainer hid an item whose op never reached the log")
	}
}
