package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// TestPublicAndVisibleSQLAgreeOnEveryHiddenReviewCombination stores a row
// of each (hidden, review) pair and holds the Go rule (live.FromRow(row).
// Public()) and the SQL rule (live.VisibleSQL, live.VisibleSQLOf) to the
// same verdict on each.
func TestPublicAndVisibleSQLAgreeOnEveryHiddenReviewCombination(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	ctx := context.Background()
	now := time.Now().UTC()
	ev := models.Event{Slug: "conf", Title: "Conf", Timezone: "UTC", StartsAt: now, EndsAt: now.Add(time.Hour),
		Posting: models.PostingOpen, Moderation: models.ModerationAfter}
	if err := db.Create(&ev).Error; err != nil {
		t.Fatal(err)
	}
	want := map[int64]bool{}
	var seq int64
	for _, hidden := range []bool{false, true} {
		for _, review := range []string{models.ReviewApproved, models.ReviewPending, models.ReviewRejected} {
			seq++
			row := models.Item{EventID: ev.ID, Seq: seq, Source: "mastodon", ExternalID: fmt.Sprint(seq), Kind: live.KindPost,
				Media: []byte("[]"), CreatedAt: now, ReceivedAt: now, Hidden: hidden, Review: review}
			if err := db.Create(&row).Error; err != nil {
				t.Fatal(err)
			}
			want[seq] = live.FromRow(row, "", "").Public()
		}
	}
	for name, q := range map[string]string{
		"VisibleSQL":          `SELECT seq FROM items WHERE event_id = ? AND ` + live.VisibleSQL,
		"VisibleSQLOf(\"i\")": `SELECT i.seq FROM items i WHERE i.event_id = ? AND ` + live.VisibleSQLOf("i"),
	} {
		var seqs []int64
		if err := db.WithContext(ctx).Raw(q, ev.ID).Scan(&seqs).Error; err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := map[int64]bool{}
		for _, s := range seqs {
			got[s] = true
		}
		for s := int64(1); s <= seq; s++ {
			if got[s] != want[s] {
				t.Errorf("%s: row %d (hidden=%v, review=%s) visible in SQL = %v, Public() = %v",
					name, s, s > 3, []string{"approved", "pending", "rejected"}[(s-1)%3], got[s], want[s])
			}
		}
	}
	if n := len(want); n != 6 {
		t.Fatalf("%d combinations, want 6", n)
	}
}
