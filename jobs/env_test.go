package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
)

// env is one test's stores: a database, a live log and a strainer over them.
type env struct {
	t     testing.TB
	db    *gorm.DB
	redis *testenv.Redis
	log   *realtime.Log
	ev    models.Event
}

// t0 is the first day of the test event.
var t0 = time.Date(2026, 5, 24, 13, 0, 0, 0, time.UTC)

func newEnv(t testing.TB) *env {
	t.Helper()
	d := testenv.NewDatabase(t)
	r := testenv.NewRedis(t)
	e := &env{t: t, db: d.DB, redis: r, log: realtime.NewLog(r.Client, r.Namespace)}
	e.ev = models.Event{Slug: "conf", Title: "Conf", Timezone: "America/New_York",
		StartsAt: t0, EndsAt: t0.Add(48 * time.Hour), Posting: "open", Moderation: "after"}
	if err := d.DB.Create(&e.ev).Error; err != nil {
		t.Fatalf("create event: %v", err)
	}
	return e
}

func (e *env) strainer(opts StrainerOptions) *Strainer {
	if opts.Redis == nil {
		opts.Redis, opts.Namespace = e.redis.Client, e.redis.Namespace
	}
	return NewStrainer(store.New(e.db), e.log, opts)
}

func (e *env) session(slug string, from, to time.Time) models.Session {
	e.t.Helper()
	s := models.Session{EventID: e.ev.ID, Slug: slug, Title: slug, StartsAt: from, EndsAt: to}
	if err := e.db.Create(&s).Error; err != nil {
		e.t.Fatalf("create session: %v", err)
	}
	return s
}

// item returns the i-th test item, created i seconds after t0.
func item(i int) live.Item {
	return live.Item{ID: fmt.Sprintf("mastodon:%d", i), Source: "mastodon", Kind: live.KindPost,
		Author: live.Author{Name: fmt.Sprintf("Poster %d", i%7), Handle: "@p@example.social"},
		Text:   fmt.Sprintf("post number %d", i), HTML: fmt.Sprintf("<p>post number %d</p>", i),
		CreatedAt: t0.Add(time.Duration(i) * time.Second), ReceivedAt: t0.Add(time.Duration(i) * time.Second)}
}

func (e *env) append(items ...live.Item) []int64 {
	e.t.Helper()
	seqs := make([]int64, len(items))
	for i, it := range items {
		r, err := e.log.AppendItem(context.Background(), e.ev.ID, it)
		if err != nil {
			e.t.Fatalf("append: %v", err)
		}
		seqs[i] = r.Seq
	}
	return seqs
}

func (e *env) appendN(n int) {
	e.t.Helper()
	for i := 1; i <= n; i++ {
		e.append(item(i))
	}
}

func (e *env) op(op string, target int64, it *live.Item) {
	e.t.Helper()
	if _, err := e.log.AppendOp(context.Background(), e.ev.ID, op, target, it); err != nil {
		e.t.Fatalf("append %s: %v", op, err)
	}
}

func (e *env) cursor() int64 {
	e.t.Helper()
	var c models.StrainerCursor
	if err := e.db.Where("event_id = ?", e.ev.ID).Take(&c).Error; err != nil {
		e.t.Fatalf("cursor: %v", err)
	}
	return c.Seq
}

func (e *env) items() []models.Item {
	e.t.Helper()
	var its []models.Item
	if err := e.db.Where("event_id = ?", e.ev.ID).Order("seq").Find(&its).Error; err != nil {
		e.t.Fatalf("items: %v", err)
	}
	return its
}

func (e *env) itemAt(seq int64) models.Item {
	e.t.Helper()
	var it models.Item
	if err := e.db.Where("event_id = ? AND seq = ?", e.ev.ID, seq).Take(&it).Error; err != nil {
		e.t.Fatalf("item %d: %v", seq, err)
	}
	return it
}

func ptr[T any](v T) *T { return &v }
