package jobs

import (
	"context"
	"github.com/backchannel/backchannel/models"
	"testing"
	"time"
)

// BenchmarkStrainer measures items strained into Postgres per second, in
// batches of 2,000 from a real live log.
func BenchmarkStrainer(b *testing.B) {
	e := newEnv(b)
	s := e.strainer(StrainerOptions{KeepInRedis: 1 << 40})
	const per = 10000
	next := 1
	var strained int
	var spent time.Duration
	for b.Loop() {
		b.StopTimer()
		for range per {
			e.append(item(next))
			next++
		}
		b.StartTimer()
		start := time.Now()
		n, err := s.StrainEvent(context.Background(), e.ev.ID)
		if err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
		strained += n
	}
	b.ReportMetric(float64(strained)/spent.Seconds(), "items/s")
}

// BenchmarkStrainerWithSchedule is BenchmarkStrainer with every new item
// placed by the rule: three parallel rooms, a third of the posts tagged for
// a talk, one in five mentioning a speaker.
func BenchmarkStrainerWithSchedule(b *testing.B) {
	e := newEnv(b)
	e.threeRooms()
	s := e.strainer(StrainerOptions{KeepInRedis: 1 << 40})
	const per = 10000
	next := 1
	var strained int
	var spent time.Duration
	for b.Loop() {
		b.StopTimer()
		for range per {
			it := item(next)
			switch {
			case next%3 == 0:
				it.Text += " #gotalk"
			case next%5 == 0:
				it.Text += " cc @rob.bsky.social"
			}
			e.append(it)
			next++
		}
		b.StartTimer()
		start := time.Now()
		n, err := s.StrainEvent(context.Background(), e.ev.ID)
		if err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
		strained += n
	}
	b.ReportMetric(float64(strained)/spent.Seconds(), "items/s")
}

// BenchmarkReassign100k re-assigns 100,000 stored items of an event after
// a schedule change (a talk moved by an hour), the rule run in Go.
func BenchmarkReassign100k(b *testing.B) {
	e := newEnv(b)
	talks := e.threeRooms()
	const n = 100000
	err := e.db.Exec(`INSERT INTO items (event_id, seq, source, external_id, author_handle, text, html, created_at, received_at)
		SELECT ?, g, 'mastodon', g::text, '@p@example.social',
			'post number ' || g || CASE WHEN g % 3 = 0 THEN ' #gotalk' WHEN g % 5 = 0 THEN ' cc @rob.bsky.social' ELSE '' END,
			'<p>post</p>', ?::timestamptz + (g % 7200) * interval '1 second', now()
		FROM generate_series(1, ?) g`, e.ev.ID, t0, n).Error
	if err != nil {
		b.Fatal(err)
	}
	s := e.strainer(StrainerOptions{})
	ctx := context.Background()
	if _, err := s.Reassign(ctx, e.ev.ID); err != nil {
		b.Fatal(err)
	}
	shift := 0
	var moved int
	for b.Loop() {
		b.StopTimer()
		shift = 60 - shift // go-talk moves an hour later, then back
		e.db.Model(&models.Session{}).Where("id = ?", talks["go-talk"].ID).
			Updates(map[string]any{"starts_at": t0.Add(time.Duration(shift) * time.Minute), "ends_at": t0.Add(time.Duration(shift+60) * time.Minute)})
		b.StartTimer()
		res, err := s.Reassign(ctx, e.ev.ID)
		if err != nil {
			b.Fatal(err)
		}
		if res.Items != n {
			b.Fatalf("read %d items", res.Items)
		}
		moved = res.Moved
	}
	b.ReportMetric(float64(moved), "moved/op")
}
