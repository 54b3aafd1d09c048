package sources

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/sources/fakes"
)

func postID(did, rkey string) string { return "bluesky:at://" + did + "/app.bsky.feed.post/" + rkey }

// Jetstream's time_us is the time Jetstream received an event, not the
// order it sends them in (its README: subtract a few seconds from the last
// time_us "to ensure gapless playback"). A reconnect resumes 5 s before the
// last event handled, and the log's dedupe drops what comes twice. A failed
// profile lookup is retried: the author does not stay a DID.
func TestBlueskyReconnectRewindsTheCursorAndRetriesAFailedProfileLookup(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jet := fakes.NewJetstream()
	js := httptest.NewServer(jet)
	t.Cleanup(js.Close)
	av := fakes.NewAppView()
	avs := httptest.NewServer(av)
	t.Cleanup(avs.Close)
	const ada, bo = "did:plc:adaaaaaaaaaaaaaaaaaaaaaa", "did:plc:boooooooooooooooooooooooo"
	av.SetProfile(ada, "ada.example.com")
	av.SetProfile(bo, "bo.bsky.social")
	av.Fail(1) // the first getProfiles answers 502
	src := h.addSource("bluesky", "bluesky:gophercon", map[string]any{
		"endpoint": "ws" + strings.TrimPrefix(js.URL, "http") + "/subscribe", "keywords": []string{"#GopherCon2026"}, "profile_base": avs.URL})
	opts := h.fastOptions("w:1")
	opts.BlueskyProfileRetry = 200 * time.Millisecond
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, opts))
	eventually(t, "a Jetstream subscriber", func() bool { return jet.OpenConnections() == 1 })
	jet.Post(fakes.JetstreamPost{DID: ada, RKey: "3aaa1", Text: "Café ☕ then the generics talk #GopherCon2026"})
	jet.Post(fakes.JetstreamPost{DID: bo, RKey: "3bbb1", Text: "lunch, unrelated"})
	jet.Identity(bo, "bo.bsky.social")
	last := jet.Post(fakes.JetstreamPost{DID: bo, RKey: "3bbb2", Text: "great slides #gophercon2026"})
	h.waitFor("two posts", hasAll(postID(ada, "3aaa1"), postID(bo, "3bbb2")))
	eventually(t, "the cursor saved", func() bool {
		c, _ := h.rd.Client.Do(t.Context(), h.rd.Client.B().Hget().Key(keys{h.rd.Namespace}.cursor(src.ID)).Field("cursor").Build()).ToString()
		return c == strconv.FormatInt(last, 10)
	})
	// Jetstream restarts; an event it received two seconds before the last
	// one handled is sent only now.
	jet.Cut()
	skewed := jet.PostSkewed(fakes.JetstreamPost{DID: ada, RKey: "3aaa2", Text: "late shard #GopherCon2026"}, 2*time.Second)
	if skewed >= last {
		t.Fatalf("skewed time_us %d not below %d", skewed, last)
	}
	jet.Delete(ada, "3aaa1")
	want := []string{postID(ada, "3aaa1"), postID(bo, "3bbb2"), postID(ada, "3aaa2")}
	es := h.waitFor("the skewed post and the delete", func(es []live.Entry) bool { return hasAll(want...)(es) && countOps(es, live.OpHide) == 1 })
	assertExactlyOnce(t, es, want...)
	cursors := jet.Cursors()
	if len(cursors) < 2 || cursors[1] != strconv.FormatInt(last-5_000_000, 10) {
		t.Errorf("reconnected with cursors %q, want the last time_us minus 5 s", cursors)
	}
	// The first author lookup failed; a retry resolved it.
	h.waitFor("the author resolved by a retry", func(es []live.Entry) bool {
		for _, e := range es {
			if e.Item != nil && e.Item.ID == postID(ada, "3aaa1") && e.Item.Author.Handle == "@ada.example.com" {
				return true
			}
		}
		return false
	})
	if av.Requests() < 2 {
		t.Errorf("%d AppView requests, want a retry after the failure", av.Requests())
	}
}
