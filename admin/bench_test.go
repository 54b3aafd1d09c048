package admin

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/backchannel/backchannel/models"
)

// BenchmarkModerationConsole renders the console of an event with 5,000
// strained items and 100 live-only ones.
func BenchmarkModerationConsole(b *testing.B) {
	e := newEnv(b)
	now := time.Now().UTC()
	rows := make([]models.Item, 0, 5000)
	for i := 1; i <= 5000; i++ {
		rows = append(rows, models.Item{EventID: e.evA.ID, Seq: int64(i), Source: "mastodon", ExternalID: fmt.Sprint(i), Kind: "post",
			AuthorName: "ana", Text: "a remark", Media: json.RawMessage("[]"), CreatedAt: now, ReceivedAt: now, Review: "approved"})
	}
	if err := e.db.Omit("search").CreateInBatches(rows, 1000).Error; err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		e.item(e.evB, fmt.Sprint(i), "bob", "live", models.ReviewApproved)
	}
	c := e.client()
	c.login(e.super.Email)
	for _, path := range []string{"/admin/events/" + id(e.evA.ID) + "/moderate", "/admin/events/" + id(e.evB.ID) + "/moderate", "/admin/audit"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				if resp := c.do("GET", path, nil); resp.StatusCode != 200 {
					b.Fatalf("%s: %d", path, resp.StatusCode)
				}
			}
		})
	}
}
