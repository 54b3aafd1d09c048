package sources

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/sources/fakes"
)

// newXFake starts a fake filtered stream whose keep-alive is 200 ms, five
// times below the 1 s watchdog of fastOptions.
func newXFake(t *testing.T, backfill bool) (*fakes.XStream, string) {
	t.Helper()
	f := fakes.NewXStream(fakes.XStreamOptions{Token: "test-token", KeepAlive: 200 * time.Millisecond, AllowBackfill: backfill})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func xSource(base, rule string, enterprise bool) map[string]any {
	cfg := map[string]any{"base_url": base, "rule": rule, "token_env": "X_BEARER_TOKEN"}
	if enterprise {
		cfg["access"] = "enterprise"
	}
	return cfg
}

func waitXStream(t *testing.T, f *fakes.XStream, n int) {
	t.Helper()
	eventually(t, "an open X stream", func() bool { s := f.Stats(); return s.Open == 1 && s.Connections >= n })
}

func TestXStreamRecoversDisconnectsAndRateLimitsThroughBackfillWithEveryTweetOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, u := newXFake(t, true)
	other := f.AddRule("golang", "another-consumer")
	src := h.addSource("x", "x:rule", xSource(u, "#gophercon2026 -is:retweet", true))
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	waitXStream(t, f, 1)
	a := f.Tweet("ada_dev", "Q&A <3 #GopherCon2026", "https://example.com/slides")
	f.Tweet("gopher", "golang only") // another consumer's rule
	h.waitFor("the first tweet", hasAll("x:"+a))
	// An operational disconnect, then a 429 (x-rate-limit-reset, capped by
	// MaxRetryAfter) and a 503: tweets of the gap come back by backfill.
	f.FailStream(http.StatusTooManyRequests, http.StatusServiceUnavailable)
	f.Disconnect()
	b := f.Tweet("bob_builds", "during the gap #gophercon2026")
	waitXStream(t, f, 2)
	c := f.Tweet("carol", "after #gophercon2026")
	want := []string{"x:" + a, "x:" + b, "x:" + c}
	es := h.waitFor("every tweet", hasAll(want...))
	assertExactlyOnce(t, es, want...)
	it := es[0].Item
	if it.Text != "Q&A <3 #GopherCon2026 https://example.com/slides" || !strings.Contains(it.HTML, `<a href="https://example.com/slides"`) {
		t.Errorf("tweet text %q html %q", it.Text, it.HTML)
	}
	if it.Author.Handle != "@ada_dev" {
		t.Errorf("author %+v", it.Author)
	}
	st := f.Stats()
	if st.Backfill[0] != "" || st.Backfill[len(st.Backfill)-1] == "" {
		t.Errorf("backfill_minutes asked %q: none on the first connection, some after a gap", st.Backfill)
	}
	rules := f.Rules()
	if len(rules) != 2 || rules[0] != other || rules[1].Tag != "source:"+itoa(src.ID) {
		t.Errorf("rules %+v", rules)
	}
	if s := h.state(src.ID); s.Notice != "" || s.Reconnects < 2 {
		t.Errorf("state %+v", s)
	}
}

func TestXSourcesOfOneAppShareOneStreamAndRulesOfDisabledSourcesAreRemoved(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, u := newXFake(t, false)
	// A rule of a source deleted long ago is still registered.
	f.AddRule("#oldconf", "source:999999")
	s1 := h.addSource("x", "x:one", xSource(u, "#gophercon2026", false))
	s2 := h.addSource("x", "x:two", xSource(u, "#gopherpalooza", false))
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:2")))
	waitXStream(t, f, 1)
	eventually(t, "both rules, the stale one gone", func() bool { return len(f.Rules()) == 2 })
	a := f.Tweet("ada", "at #gophercon2026")
	b := f.Tweet("bob", "at #gopherpalooza")
	es := h.waitFor("a tweet for each source", hasAll("x:"+a, "x:"+b))
	assertExactlyOnce(t, es, "x:"+a, "x:"+b)
	if n := f.Stats().Connections; n != 1 {
		t.Errorf("%d stream connections for one app, want 1", n)
	}
	st2 := h.waitState("the second source's count", s2.ID, func(s State) bool { return s.ItemsTotal == 1 })
	if !strings.Contains(st2.Notice, "shares the filtered stream") {
		t.Errorf("second source notice %q", st2.Notice)
	}
	if st1 := h.state(s1.ID); !strings.Contains(st1.Notice, "not recoverable") {
		t.Errorf("an access level without backfill must say gaps are lost: %q", st1.Notice)
	}
	if err := h.db.DB.Exec("UPDATE sources SET enabled = false, updated_at = now() WHERE id = ?", s2.ID).Error; err != nil {
		t.Fatal(err)
	}
	eventually(t, "the disabled source's rule removed", func() bool {
		r := f.Rules()
		return len(r) == 1 && r[0].Tag == "source:"+itoa(s1.ID)
	})
	// The primary re-syncs rules by reconnecting (without backfill, what
	// is posted during that reconnect is lost: wait for the new stream).
	waitXStream(t, f, 2)
	c := f.Tweet("carol", "still at #gophercon2026")
	h.waitFor("tweets after the change", hasAll("x:"+c))
	if es := h.entries(); countOps(es, live.OpAdd) != 3 {
		t.Errorf("log:\n%s", describe(es))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
