package archive

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/jobs"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
)

// The whole path: live log → strainer → archive pages, and a hide travelling
// the same way invalidates the cached pages through the strainer's stamp bump.
func TestStrainedItemsAppearAndAStrainedHideRemovesThemFromCachedPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	log := realtime.NewLog(e.redis.Client, e.redis.Namespace)
	s := jobs.NewStrainer(store.New(e.db.DB), log, jobs.StrainerOptions{Redis: e.redis.Client, Namespace: e.redis.Namespace})
	var seqs []int64
	for i, text := range []string{"opening words", "okapi sighting in the hall", "closing words"} {
		r, err := log.AppendItem(ctx, e.ev.ID, live.Item{ID: "bluesky:" + text, Source: "bluesky", Kind: "post",
			Author: live.Author{Name: "Bo"}, Text: text, CreatedAt: t0.Add(time.Duration(i+1) * time.Minute), ReceivedAt: t0})
		must(t, err)
		seqs = append(seqs, r.Seq)
	}
	_, err := s.StrainEvent(ctx, e.ev.ID)
	must(t, err)
	pages := []string{"/events/conf/sessions/keynote", "/events/conf/search?q=okapi", "/events/conf/feed.atom", "/api/events/conf/items"}
	for _, p := range pages {
		if !strings.Contains(e.ok(p), "sighting") {
			t.Fatalf("%s does not show the strained item", p)
		}
	}
	_, err = log.AppendOp(ctx, e.ev.ID, live.OpHide, seqs[1], nil)
	must(t, err)
	_, err = s.StrainEvent(ctx, e.ev.ID)
	must(t, err)
	for _, p := range pages {
		if strings.Contains(e.ok(p), "sighting") {
			t.Errorf("%s still shows the item after its hide was strained", p)
		}
	}
}
