package realtime

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/apitest"
	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// archiveFixture creates an event with one session and returns their ids.
func archiveFixture(t *testing.T, db *gorm.DB) (eventID, sessionID int64) {
	t.Helper()
	start := time.Date(2026, 5, 24, 9, 0, 0, 0, time.UTC)
	ev := models.Event{Slug: testenv.Unique("ev-"), Title: "Event", Timezone: "UTC", StartsAt: start, EndsAt: start.Add(48 * time.Hour),
		Posting: models.PostingOpen, Moderation: models.ModerationAfter}
	if err := db.Create(&ev).Error; err != nil {
		t.Fatal(err)
	}
	s := models.Session{EventID: ev.ID, Slug: "opening-keynote", Title: "Opening", StartsAt: start, EndsAt: start.Add(time.Hour)}
	if err := db.Create(&s).Error; err != nil {
		t.Fatal(err)
	}
	return ev.ID, s.ID
}

// strain writes what the strainer would: items rows for adds, log_ops rows for the rest.
func strain(t *testing.T, db *gorm.DB, eventID, sessionID int64, es []live.Entry, hidden map[int64]bool) {
	t.Helper()
	for _, e := range es {
		if e.Op == live.OpAdd {
			m := live.ToRow(eventID, *e.Item, &sessionID)
			m.Hidden = m.Hidden || hidden[e.Seq]
			if err := db.Create(&m).Error; err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := db.Create(&models.LogOp{EventID: eventID, Seq: e.Seq, Op: e.Op, Target: e.Target}).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func TestItemRoundTripsThroughTheItemsTable(t *testing.T) {
	it := testItem("42")
	it.Seq, it.Session, it.Room, it.Pinned = 7, "opening-keynote", "main-hall", true
	it.Media = []live.Media{{Type: "image", URL: "https://example.org/a.jpg", Alt: "a"}}
	back := live.FromRow(live.ToRow(1, it, nil), "opening-keynote", "main-hall")
	a, _ := json.Marshal(it)
	b, _ := json.Marshal(back)
	if string(a) != string(b) {
		t.Fatalf("round trip changed the item:\n%s\n%s", a, b)
	}
	if m := live.ToRow(1, it, nil); m.ExternalID != "42" || m.Review != models.ReviewApproved {
		t.Fatalf("row = %+v", m)
	}
	it.Held = true
	if m := live.ToRow(1, it, nil); m.Review != models.ReviewPending || !live.FromRow(m, "", "").Held {
		t.Fatalf("a held item must be pending: %+v", m)
	}
}

func TestArchiveMergesItemsAndOpsInSeqOrderSkippingPrivateOnes(t *testing.T) {
	ctx := testCtx(t)
	db := testenv.NewDatabase(t).DB
	ev, sess := archiveFixture(t, db)
	var es []live.Entry
	for i := int64(1); i <= 6; i++ {
		it := testItem(fmt.Sprint(i))
		it.Seq = i
		es = append(es, live.Entry{Seq: i, Op: live.OpAdd, Item: &it})
	}
	held := testItem("held")
	held.Seq, held.Held = 7, true
	es = append(es,
		live.Entry{Seq: 7, Op: live.OpAdd, Item: &held},
		live.Entry{Seq: 8, Op: live.OpHide, Target: 3},
		live.Entry{Seq: 9, Op: live.OpPin, Target: 2},
		live.Entry{Seq: 10, Op: live.OpUpdate, Target: 3}, // of a hidden item: private
		live.Entry{Seq: 11, Op: live.OpUpdate, Target: 7}, // of a held item: private
		live.Entry{Seq: 12, Op: live.OpHide, Target: 99},  // of an item Postgres does not hold
	)
	strain(t, db, ev, sess, es, map[int64]bool{3: true})
	if err := db.Model(&models.Item{}).Where("event_id = ? AND seq = 2", ev).Update("pinned", true).Error; err != nil {
		t.Fatal(err)
	}
	a := store.New(db)
	got, err := a.EntriesAfter(ctx, ev, 0, 12, 100)
	if err != nil {
		t.Fatal(err)
	}
	var desc []string
	for _, e := range got {
		desc = append(desc, fmt.Sprintf("%d:%s", e.Seq, e.Op))
	}
	if fmt.Sprint(desc) != "[1:add 2:add 4:add 5:add 6:add 8:hide 9:pin 12:hide]" {
		t.Fatalf("entries = %v", desc)
	}
	if pin := got[6]; pin.Target != 2 || pin.Item == nil || !pin.Item.Pinned || pin.Item.Session != "opening-keynote" || pin.Item.ID != "mastodon:2" {
		t.Fatalf("pin entry = %+v", pin.Item)
	}
	if got[0].Item.Text != "hello 1" || got[0].Item.Seq != 1 {
		t.Fatalf("add entry = %+v", got[0].Item)
	}
	cut, err := a.EntriesAfter(ctx, ev, 1, 9, 4)
	if err != nil || fmt.Sprint(seqs(cut)) != "[2 4 5 6]" {
		t.Fatalf("after 1 up to 9 limit 4 = %v, %v", seqs(cut), err)
	}
	if upTo, _ := a.EntriesAfter(ctx, ev, 4, 8, 100); fmt.Sprint(seqs(upTo)) != "[5 6 8]" {
		t.Fatalf("after 4 up to 8 = %v", seqs(upTo))
	}
}

func TestSinceOlderThanRedisIsServedFromPostgresThenFromRedis(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		db := testenv.NewDatabase(t).DB
		ev, sess := archiveFixture(t, db)
		l := NewLog(env.client, env.namespace)
		appendN(t, l, ev, "a", 6)
		if _, err := l.AppendOp(ctx, ev, live.OpHide, 3, nil); err != nil { // seq 7
			t.Fatal(err)
		}
		appendN(t, l, ev, "b", 3) // seqs 8-10
		strained, err := l.Range(ctx, ev, 0, 8)
		if err != nil {
			t.Fatal(err)
		}
		strain(t, db, ev, sess, strained, map[int64]bool{3: true})
		if err := l.Trim(ctx, ev, 8); err != nil {
			t.Fatal(err)
		}
		h := startHub(t, env.client, l, store.New(db), HubOptions{})
		p, err := h.Poll(ctx, ev, "", 0, 4, time.Second)
		if err != nil || p.Served != ServedPostgres || fmt.Sprint(seqs(p.Entries)) != "[1 2 4 5]" || p.Next != 5 || !p.More {
			t.Fatalf("first page = %v next %d more %v served %s, %v", seqs(p.Entries), p.Next, p.More, p.Served, err)
		}
		if len(p.Raw) != 4 || string(p.Raw[0]) == "" {
			t.Fatal("archive page lacks raw JSON")
		}
		p, err = h.Poll(ctx, ev, p.Epoch, p.Next, 4, time.Second)
		if err != nil || p.Served != ServedPostgres || fmt.Sprint(seqs(p.Entries)) != "[6 7 8]" || p.Next != 8 || !p.More {
			t.Fatalf("second page = %v next %d more %v served %s, %v", seqs(p.Entries), p.Next, p.More, p.Served, err)
		}
		p, err = h.Poll(ctx, ev, p.Epoch, p.Next, 4, time.Second)
		if err != nil || p.Served == ServedPostgres || fmt.Sprint(seqs(p.Entries)) != "[9 10]" || p.Next != 10 || p.More {
			t.Fatalf("third page = %v next %d more %v served %s, %v", seqs(p.Entries), p.Next, p.More, p.Served, err)
		}
	})
}

// TestHistoryBehindRedisResetsTheClientWhilePostgresIsDown asks for a since
// that only Postgres holds while Postgres is stopped: the live API answers
// a reset with a snapshot from Redis (200), never a 5xx, and serves the
// history again once Postgres is back.
func TestHistoryBehindRedisResetsTheClientWhilePostgresIsDown(t *testing.T) {
	ctx := testCtx(t)
	pg := testenv.StartPostgres(t)
	db := pg.NewDatabase(t).DB
	rds := testenv.NewRedis(t)
	ev, sess := archiveFixture(t, db)
	var slug string
	if err := db.Model(&models.Event{}).Where("id = ?", ev).Pluck("slug", &slug).Error; err != nil {
		t.Fatal(err)
	}
	l := NewLog(rds.Client, rds.Namespace)
	appendN(t, l, ev, "a", 10)
	strained, err := l.Range(ctx, ev, 0, 8)
	if err != nil {
		t.Fatal(err)
	}
	strain(t, db, ev, sess, strained, nil)
	if err := l.Trim(ctx, ev, 8); err != nil {
		t.Fatal(err)
	}
	hub := startHub(t, rds.Client, l, store.New(db), HubOptions{Window: 2})
	h := NewHandler(HandlerDeps{Hub: hub, Log: l, Limiter: NewLimiter(rds.Client, rds.Namespace),
		Events: EventsOf(store.NewEvents(store.New(db), store.EventsOptions{TTL: time.Hour}))})
	app := fiber.New(fiber.Config{ErrorHandler: web.Handler(nil)})
	h.Register(app)
	path := "/api/events/" + slug + "/live?since=2&wait=0"
	apitest.Run(t, &apitest.Env{App: app}, apitest.Scenario{
		Name: "Postgres up: history from Postgres", Path: path, ExpectedStatus: 200,
		ExpectedContent: []string{`"entries":[{"seq":3,`}, NotExpectedContent: []string{`"reset"`},
	}, apitest.Scenario{
		Name: "Postgres down: a reset from Redis", Path: path, ExpectedStatus: 200,
		Before:          func(t testing.TB, _ *apitest.Env) { pg.Stop(t) },
		ExpectedJSON:    map[string]any{"reset": true, "head": 10},
		ExpectedContent: []string{`"items":[`},
	}, apitest.Scenario{
		Name: "Postgres back: history again", Path: path, ExpectedStatus: 200,
		Before:          func(t testing.TB, _ *apitest.Env) { pg.Start(t) },
		ExpectedContent: []string{`"entries":[{"seq":3,`},
	})
}
