package archive

import (
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/views"
)

// BenchmarkReceptionPage renders the reception page of an event with 60
// sessions and 100,000 items (questions, reactions every minute, reader
// samples) without the page cache, so every request queries Postgres and
// renders: server time, the handler chain measured by a middleware. It
// prints percentiles; it asserts nothing about time.
func BenchmarkReceptionPage(b *testing.B) {
	e := seedReception(b)
	db := e.db.DB
	h := NewHandler(store.New(db), store.NewEvents(store.New(db), store.EventsOptions{}), Options{BaseURL: "https://bc.example"})
	app := fiber.New(fiber.Config{ErrorHandler: web.Handler(views.RenderError)})
	var server []time.Duration
	var size int
	app.Use(func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		server = append(server, time.Since(start))
		size = len(c.Response().Body())
		return err
	})
	h.Register(app)
	get := func() {
		res, err := app.Test(httptest.NewRequest("GET", "/events/conf/reception?sort=positive&dir=desc", nil), 30000)
		must(b, err)
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
		res.Body.Close()
	}
	get() // warm the event lookup and Postgres's buffers
	server = server[:0]
	b.ResetTimer()
	for range b.N {
		get()
	}
	b.StopTimer()
	slices.Sort(server)
	p := func(q float64) time.Duration {
		return server[min(int(q*float64(len(server))), len(server)-1)].Round(10 * time.Microsecond)
	}
	var n int64
	must(b, db.Model(&models.Item{}).Where("event_id = ?", e.ev.ID).Count(&n).Error)
	b.Logf("reception page, 60 sessions, %d items, uncached: %d requests, server time p50 %s p99 %s max %s, %d bytes", n, len(server), p(0.5), p(0.99), p(1), size)
}

// seedReception is an event of 60 one-hour sessions, 100,000 items spread
// over them, 10 questions per session, reactions of every kind every
// minute, and a reader sample every minute.
func seedReception(b testing.TB) *env {
	e := newEnv(b)
	db := e.db.DB
	must(b, db.Exec(`UPDATE events SET ends_at = starts_at + interval '60 hours' WHERE id = ?`, e.ev.ID).Error)
	must(b, db.Exec(`DELETE FROM sessions WHERE event_id = ?`, e.ev.ID).Error)
	must(b, db.Exec(`INSERT INTO sessions (event_id, slug, title, speaker, room, starts_at, ends_at)
		SELECT ?, 'talk-' || g, 'Talk number ' || g, 'Speaker ' || g, 'Room ' || (g % 4), ?::timestamptz + (g - 1) * interval '1 hour',
		?::timestamptz + g * interval '1 hour' FROM generate_series(1, 60) g`, e.ev.ID, t0, t0).Error)
	must(b, db.Exec(`INSERT INTO items (event_id, seq, source, external_id, author_name, author_handle, text, html, created_at, received_at, session_id)
		SELECT ?, g, 'mastodon', 'x' || g, 'Poster ' || (g % 997), '@p' || (g % 997) || '@example.social', 'item ' || g, '<p>item ' || g || '</p>',
		?::timestamptz + (g * 2160 / 1000) * interval '1 second', ?::timestamptz + (g * 2160 / 1000) * interval '1 second',
		(SELECT id FROM sessions s WHERE s.event_id = ? AND s.slug = 'talk-' || (1 + (g - 1) * 60 / 100000))
		FROM generate_series(1, 100000) g`, e.ev.ID, t0, t0, e.ev.ID).Error)
	must(b, db.Exec(`INSERT INTO questions (event_id, id, session_id, text, state, votes, created_at)
		SELECT ?, 100000 + g, (SELECT id FROM sessions s WHERE s.event_id = ? AND s.slug = 'talk-' || (1 + (g - 1) % 60)),
		'question ' || g, 'open', g % 40, ? FROM generate_series(1, 600) g`, e.ev.ID, e.ev.ID, t0).Error)
	must(b, db.Exec(`INSERT INTO reaction_counts (event_id, session_id, minute, kind, count)
		SELECT ?, s.id, s.starts_at + m * interval '1 minute', k, 1 + (m % 7)
		FROM sessions s, generate_series(0, 59) m, unnest(ARRAY['applause','insight','love','confused','disagree']) k
		WHERE s.event_id = ?`, e.ev.ID, e.ev.ID).Error)
	must(b, db.Exec(`INSERT INTO reader_samples (event_id, minute, readers)
		SELECT ?, ?::timestamptz + m * interval '1 minute', 100 + m % 300 FROM generate_series(0, 3599) m`, e.ev.ID, t0).Error)

	must(b, db.Exec(`VACUUM ANALYZE`).Error) // as autovacuum leaves a table after a bulk insert
	return e
}
