package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
)

// tailAnswer is the console tail's JSON.
type tailAnswer struct {
	Head  int64 `json:"head"`
	Items []struct {
		Seq     int64  `json:"seq"`
		Visible bool   `json:"visible"`
		HTML    string `json:"html"`
	} `json:"items"`
	Online   []string `json:"online"`
	Pending  int64    `json:"pending"`
	Reported int      `json:"reported"`
}

func (c *client) tail(base string, after int64) tailAnswer {
	c.e.t.Helper()
	resp, body := c.get(base + "/moderate/tail?after=" + id(after))
	if resp.StatusCode != http.StatusOK {
		c.e.t.Fatalf("tail after %d: %d %s", after, resp.StatusCode, body)
	}
	var a tailAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		c.e.t.Fatalf("tail: %v: %s", err, body)
	}
	return a
}

func TestTheConsoleTailBringsNewHeldAndChangedItemsAndWhoIsOnline(t *testing.T) {
	e := newEnv(t)
	first := e.item(e.evA, "1", "ana", "already there", models.ReviewApproved)
	mod := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID)
	_, page := mod.get(base + "/moderate")
	if !strings.Contains(page, `data-tail="`+base+`/moderate/tail"`) || !strings.Contains(page, `data-head="`+id(first)+`"`) {
		t.Fatal("the console does not follow the live log from its head")
	}
	for _, key := range []string{"<kbd>a</kbd>", "<kbd>r</kbd>", "<kbd>h</kbd>", "<kbd>p</kbd>", "<kbd>s</kbd>", "<kbd>b</kbd>"} {
		if !strings.Contains(page, key) {
			t.Errorf("the console does not show the shortcut %s", key)
		}
	}

	// A held item not strained yet arrives with its approve button.
	ctx := context.Background()
	now := time.Now().UTC()
	res, err := e.log.AppendItem(ctx, e.evA.ID, live.Item{ID: "mastodon:held", Source: "mastodon", Kind: "post",
		Author: live.Author{Name: "bo"}, Text: "waiting for a moderator", Media: []live.Media{}, CreatedAt: now, ReceivedAt: now, Held: true})
	if err != nil {
		t.Fatal(err)
	}
	a := mod.tail(base, first)
	if a.Head != res.Seq || len(a.Items) != 1 || a.Items[0].Seq != res.Seq || a.Items[0].Visible {
		t.Fatalf("tail after the held item: %+v", a)
	}
	if !strings.Contains(a.Items[0].HTML, "waiting for a moderator") || !strings.Contains(a.Items[0].HTML, "/items/"+id(res.Seq)+"/approve") {
		t.Fatalf("the held item is not approvable from the console: %s", a.Items[0].HTML)
	}

	// Another moderator approves it: the first console gets the change, and
	// both are online.
	m2 := e.user("second-mod@example.org", false)
	e.role(m2, e.evA, models.RoleModerator)
	other := e.client()
	other.login(m2.Email)
	other.get(base + "/moderate")
	resp, body := other.post(base+"/items/"+id(res.Seq)+"/approve", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve before straining: %d %s", resp.StatusCode, body)
	}
	b := mod.tail(base, a.Head)
	if len(b.Items) != 1 || b.Items[0].Seq != res.Seq || !b.Items[0].Visible {
		t.Fatalf("tail after another moderator's approve: %+v", b)
	}
	if len(b.Online) != 2 {
		t.Fatalf("moderators online: %v; want both", b.Online)
	}
}

func TestReportedItemsReachTheReportsQueueWithTheirCount(t *testing.T) {
	e := newEnv(t)
	seq := e.item(e.evA, "1", "ana", "a post people dislike", models.ReviewApproved)
	for _, who := range []string{"browser-1", "browser-2"} {
		if _, err := moderation.New(store.New(e.db), moderation.LogOf(e.log, realtime.ErrUnknownTarget, realtime.ErrNotShown),
			moderation.Options{}).Report(context.Background(), e.evA.ID, seq, who, "spam"); err != nil {
			t.Fatal(err)
		}
	}
	mod := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID)
	_, body := mod.get(base + "/reports")
	if !strings.Contains(body, "a post people dislike") || !strings.Contains(body, "2 reports") || !strings.Contains(body, "spam") {
		t.Fatalf("reports queue: %s", body)
	}
	_, page := mod.get(base + "/moderate")
	if !strings.Contains(page, `<span data-count>1</span> reported`) {
		t.Fatal("the console does not count the reported items")
	}
}
