package archive

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/backchannel/backchannel/archive/stamp"
	"github.com/backchannel/backchannel/internal/apitest"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// surfaces are every public place an item of the keynote can appear.
func surfaces(q string) []string {
	return []string{
		"/events/conf/sessions/keynote",
		"/events/conf/search?q=" + q,
		"/events/conf/feed.atom",
		"/events/conf/sessions/keynote/feed.atom",
		"/events/conf/export.json",
		"/events/conf/export.csv",
		"/api/events/conf/items",
		"/api/events/conf/items?session=keynote&q=" + q,
	}
}

func TestHiddenAndPendingItemsNeverAppearAnywhere(t *testing.T) {
	e := newEnv(t)
	e.add(&e.talk, time.Minute, nil)
	secret := e.add(&e.talk, 2*time.Minute, func(it *models.Item) { it.Text, it.HTML = "quagga zebrasecret one", "<p>quagga zebrasecret one</p>" })
	e.add(&e.talk, 3*time.Minute, func(it *models.Item) {
		it.Text, it.HTML, it.Review = "quagga zebrasecret pending", "<p>quagga zebrasecret pending</p>", models.ReviewPending
	})
	permalink := "/events/conf/items/" + strconv.FormatInt(secret.Seq, 10)
	for _, p := range surfaces("quagga") {
		if body := e.ok(p); !strings.Contains(body, "zebrasecret") || strings.Contains(body, "pending") {
			t.Fatalf("%s does not show the visible item (or shows the pending one) before the hide", p)
		}
	}
	e.ok(permalink) // warm the cache too
	// The moderator hides it: Postgres first, then the stamp.
	must(t, e.db.DB.Model(&models.Item{}).Where("event_id = ? AND seq = ?", e.ev.ID, secret.Seq).Update("hidden", true).Error)
	e.bump()
	for _, p := range surfaces("quagga") {
		if body := e.ok(p); strings.Contains(body, "zebrasecret") {
			t.Errorf("%s still shows a hidden or pending item", p)
		}
	}
	if st, _ := e.get(permalink); st != 404 {
		t.Errorf("permalink of a hidden item = %d, want 404", st)
	}
	if st, _ := e.get("/events/conf/items/3"); st != 404 {
		t.Errorf("permalink of a pending item = %d, want 404", st)
	}
}

const hostileText = `<script>alert(1)</script> =HYPERLINK("http://evil")`
const hostileHTML = `<p>hi<img src=x onerror=alert(2)><script>alert(3)</script><a href="javascript:alert(4)" onclick="alert(5)">x</a><iframe src="https://evil"></iframe></p>`

func TestHostileItemIsInertOnPagesFeedsJSONAndCSV(t *testing.T) {
	e := newEnv(t)
	e.add(&e.talk, time.Minute, func(it *models.Item) {
		it.Text, it.HTML, it.AuthorName = hostileText, "", "=cmd|' /C calc'!A0"
	})
	e.add(&e.talk, 2*time.Minute, func(it *models.Item) {
		it.Text, it.HTML, it.URL = "hi there hostile", hostileHTML, "javascript:alert(6)"
	})
	dangerous := regexp.MustCompile(`(?i)<script|onerror|onclick|javascript:|<iframe|<img src="?x`)
	for _, p := range []string{"/events/conf/sessions/keynote", "/events/conf/items/1", "/events/conf/items/2",
		"/events/conf/search?q=hostile", "/events/conf/search?q=alert", "/events/conf/archive"} {
		if body := e.ok(p); dangerous.MatchString(body) {
			t.Errorf("%s carries live markup: %q", p, dangerous.FindString(body))
		}
	}
	if body := e.ok("/events/conf/sessions/keynote"); !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the hostile text is not shown escaped")
	}
	for _, p := range []string{"/events/conf/feed.atom", "/events/conf/sessions/keynote/feed.atom"} {
		f, err := gofeed.NewParser().ParseString(e.ok(p))
		must(t, err)
		for _, it := range f.Items {
			if dangerous.MatchString(it.Content) && !strings.Contains(it.Content, "&lt;script") {
				t.Errorf("%s entry content carries live markup: %q", p, it.Content)
			}
			if strings.Contains(it.Content, "<script") || strings.Contains(it.Content, "onerror") {
				t.Errorf("%s entry content = %q", p, it.Content)
			}
		}
	}
	var page struct{ Items []live.Item }
	must(t, json.Unmarshal([]byte(e.ok("/api/events/conf/items")), &page))
	for _, it := range page.Items {
		if dangerous.MatchString(it.HTML) {
			t.Errorf("JSON html = %q", it.HTML)
		}
	}
	rows, err := csv.NewReader(strings.NewReader(e.ok("/events/conf/export.csv"))).ReadAll()
	must(t, err)
	if got := rows[1][5]; !strings.HasPrefix(got, "'=") {
		t.Errorf("CSV author cell = %q, want it defused with a leading '", got)
	}
	if got := rows[1][8]; got != hostileText {
		t.Errorf("CSV text cell = %q, want the text as is (it starts with <)", got)
	}
}

func TestSafeCellDefusesEveryFormulaPrefix(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)",
		"\t=1": "'\t=1", "plain": "plain", "": "", "a=b": "a=b"} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSessionPagesAndAPIPagesReturnEveryItemOnce(t *testing.T) {
	e := newEnv(t)
	e.h.opts.PageSize = 40
	var want []int64
	for i := range 130 {
		s := &e.talk
		if i%3 == 0 {
			s = &e.panel
		}
		it := e.add(s, time.Duration(i%60)*time.Minute+time.Duration(i)*time.Second, nil)
		if s == &e.talk {
			want = append(want, it.Seq)
		}
	}
	seqRE := regexp.MustCompile(`data-seq="(\d+)"`)
	nextRE := regexp.MustCompile(`href="([^"]+)" rel="next"`)
	var got []int64
	path := "/events/conf/sessions/keynote"
	for pages := 0; path != ""; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		body := e.ok(path)
		for _, m := range seqRE.FindAllStringSubmatch(body, -1) {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			got = append(got, n)
		}
		path = ""
		if m := nextRE.FindStringSubmatch(body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("session pages gave %d items %v, want %d in order", len(got), got, len(want))
	}
	got = nil
	after := "0"
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("API pagination does not end")
		}
		var p struct {
			Items []live.Item
			Next  *int64
		}
		must(t, json.Unmarshal([]byte(e.ok("/api/events/conf/items?session=keynote&limit=7&after="+after)), &p))
		for _, it := range p.Items {
			got = append(got, it.Seq)
			if it.Session != "keynote" {
				t.Fatalf("item %d session = %q", it.Seq, it.Session)
			}
		}
		if p.Next == nil {
			break
		}
		after = strconv.FormatInt(*p.Next, 10)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("API pages gave %v, want %v", got, want)
	}
}

func TestSearchFindsStemmedWordsAndHighlightsSafely(t *testing.T) {
	e := newEnv(t)
	e.add(&e.talk, time.Minute, func(it *models.Item) { it.Text = "Jen talks about <b>grid</b> & layout" })
	e.add(&e.talk, 2*time.Minute, func(it *models.Item) { it.Text = "coffee break" })
	body := e.ok("/events/conf/search?q=talking")
	if !strings.Contains(body, "<mark>talks</mark>") {
		t.Fatalf("search for talking does not highlight talks:\n%s", body)
	}
	// ts_headline drops what looks like a tag; the rest is escaped.
	if !strings.Contains(body, "&amp; layout") || strings.Contains(body, "<b>") {
		t.Fatal("the snippet's text is not escaped")
	}
	if strings.Contains(body, "coffee") {
		t.Fatal("search shows an item that does not match")
	}
	var p struct{ Items []live.Item }
	must(t, json.Unmarshal([]byte(e.ok("/api/events/conf/items?q=talking")), &p))
	if len(p.Items) != 1 || p.Items[0].Seq != 1 {
		t.Fatalf("API search = %+v", p.Items)
	}
	// Websearch syntax never errors, whatever the user types.
	for _, q := range []string{`"unbalanced`, `a | | b`, `-`, `!!`, `'`} {
		e.ok("/events/conf/search?q=" + strings.ReplaceAll(q, " ", "+"))
	}
}

func TestFeedsParseBackWithTheNewestEntries(t *testing.T) {
	e := newEnv(t)
	for i := range 60 {
		s := &e.talk
		if i >= 55 {
			s = &e.panel
		}
		e.add(s, time.Duration(i)*time.Minute, nil)
	}
	f, err := gofeed.NewParser().ParseString(e.ok("/events/conf/feed.atom"))
	must(t, err)
	if f.FeedType != "atom" || f.Title != "Conf 2026" || len(f.Items) != feedSize {
		t.Fatalf("event feed: type %s title %q with %d entries", f.FeedType, f.Title, len(f.Items))
	}
	if first := f.Items[0]; first.Link != "https://bc.example/events/conf/items/60" || first.GUID != first.Link ||
		!strings.Contains(first.Content, "item 60 says hello") || first.Title != "Poster 0: item 60 says hello" {
		t.Fatalf("newest entry = %+v", first)
	}
	f, err = gofeed.NewParser().ParseString(e.ok("/events/conf/sessions/panel/feed.atom"))
	must(t, err)
	if len(f.Items) != 5 || !strings.Contains(f.Title, "Panel") {
		t.Fatalf("session feed: %q with %d entries", f.Title, len(f.Items))
	}
	if st, _ := e.get("/events/conf/sessions/nope/feed.atom"); st != 404 {
		t.Fatalf("feed of an unknown session = %d", st)
	}
}

func TestExportsStreamEveryVisibleItem(t *testing.T) {
	e := newEnv(t)
	for i := range 2100 { // more than one export batch
		e.add(nil, time.Duration(i)*time.Second, nil)
	}
	var doc struct {
		Event struct{ Slug string }
		Items []live.Item
	}
	must(t, json.Unmarshal([]byte(e.ok("/events/conf/export.json")), &doc))
	if doc.Event.Slug != "conf" || len(doc.Items) != 2100 || doc.Items[2099].Seq != 2100 {
		t.Fatalf("json export: event %q, %d items", doc.Event.Slug, len(doc.Items))
	}
	rows, err := csv.NewReader(strings.NewReader(e.ok("/events/conf/export.csv"))).ReadAll()
	must(t, err)
	if len(rows) != 2101 || !slices.Equal(rows[0], csvHeader) || rows[2100][0] != "2100" {
		t.Fatalf("csv export: %d rows, header %v", len(rows), rows[0])
	}
}

func TestItemsAPIAndPagesRejectBadParameters(t *testing.T) {
	e := newEnv(t)
	bad := func(query string) apitest.Scenario {
		return apitest.Scenario{Name: query, Path: "/api/events/conf/items?" + query, ExpectedStatus: 400,
			ExpectedHeaders: map[string]string{"Content-Type": "application/json"}, ExpectedContent: []string{`{"error":"The `}}
	}
	apitest.Run(t, e.api(),
		bad("after=abc"), bad("after=-1"), bad("limit=0"), bad("limit=201"), bad("limit=x"), bad("session=nope"),
		apitest.Scenario{Name: "unknown event", Path: "/api/events/nope/items", ExpectedStatus: 404,
			ExpectedJSON: map[string]any{"error": `There is no event "nope".`}},
		apitest.Scenario{Name: "session page with a bad after", Path: "/events/conf/sessions/keynote?after=x", ExpectedStatus: 400,
			ExpectedContent: []string{"The after parameter must be a non-negative item number."}},
		apitest.Scenario{Name: "permalink abc", Path: "/events/conf/items/abc", ExpectedStatus: 404,
			ExpectedContent: []string{"There is no post &#34;abc&#34;."}},
		apitest.Scenario{Name: "permalink of no item", Path: "/events/conf/items/99", ExpectedStatus: 404,
			ExpectedContent: []string{"There is no post 99."}},
	)
}

func TestEventArchiveListsSessionsWithCountsAndAccessibleCharts(t *testing.T) {
	e := newEnv(t)
	for i := range 12 {
		e.add(&e.talk, time.Duration(i)*time.Minute, nil)
	}
	e.add(&e.panel, 70*time.Minute, nil)
	e.add(nil, 5*time.Hour, nil)
	body := e.ok("/events/conf/archive")
	for _, want := range []string{"The Future of CSS", "Jen", "Main Hall", "12 posts", "1 post", "14 posts",
		`role="img"`, "<desc", `class="visually-hidden"`, "1 post fell outside every session",
		"busiest at", `href="/events/conf/sessions/keynote"`} {
		if !strings.Contains(body, want) {
			t.Errorf("archive page lacks %q", want)
		}
	}
}

func TestSessionPageShowsPhotosTopLinksAndTopPosters(t *testing.T) {
	e := newEnv(t)
	for i := range 3 {
		e.add(&e.talk, time.Duration(i)*time.Minute, func(it *models.Item) {
			it.AuthorName, it.AuthorHandle = "Ana", "@ana@example.social"
			it.HTML = `<p>see <a href="https://css.example/grid">css.example/grid</a> <a href="https://m.example/tags/css" class="mention hashtag" rel="tag">#css</a></p>`
			it.Media = json.RawMessage(fmt.Sprintf(`[{"type":"image","url":"https://img.example/%d.jpg","alt":"slide %d"},{"type":"image","url":"javascript:alert(1)"}]`, i, i))
		})
	}
	e.add(&e.talk, 5*time.Minute, nil)
	body := e.ok("/events/conf/sessions/keynote")
	for _, want := range []string{`https://img.example/2.jpg`, `alt="slide 1"`, `href="https://css.example/grid"`, "3×", "Ana", "3 posts",
		"Posts per minute"} {
		if !strings.Contains(body, want) {
			t.Errorf("session page lacks %q", want)
		}
	}
	top := body[strings.Index(body, `data-testid="top-links"`):]
	top = top[:strings.Index(top, "</ol>")]
	if strings.Contains(top, "tags/css") || strings.Contains(body, "javascript:") {
		t.Error("session page lists a hashtag as a top link or a javascript: photo")
	}
}

func TestPagesAnswerNotModifiedToARevalidatingBrowser(t *testing.T) {
	e := newEnv(t)
	e.add(&e.talk, time.Minute, nil)
	var etag string
	revalidate := func() map[string]string { return map[string]string{"If-None-Match": etag} }
	apitest.Run(t, e.api(), apitest.Scenario{
		Name: "first visit", Path: "/events/conf/sessions/keynote", ExpectedStatus: 200,
		ExpectedHeaders: map[string]string{"ETag": "", "Cache-Control": "no-cache"},
		After:           func(_ testing.TB, _ *apitest.Env, res *apitest.Response) { etag = res.Header.Get("ETag") },
	})
	apitest.Run(t, e.api(), apitest.Scenario{
		Name: "revalidation", Path: "/events/conf/sessions/keynote", Headers: revalidate(), ExpectedStatus: 304,
	}, apitest.Scenario{
		Name: "revalidation after a change", Path: "/events/conf/sessions/keynote", Headers: revalidate(),
		Before:         func(testing.TB, *apitest.Env) { e.add(&e.talk, 2*time.Minute, nil) }, // bumps the stamp
		ExpectedStatus: 200, ExpectedKeys: []string{strings.TrimPrefix(stamp.Key(e.redis.Namespace, e.ev.ID), e.redis.Namespace)},
	})
}

func TestSearchPagesReturnEveryMatchOnce(t *testing.T) {
	e := newEnv(t)
	var want []int64
	for i := range 75 {
		text := "nothing here"
		if i%2 == 0 {
			text = fmt.Sprintf("speakers speaking %d", i)
		}
		it := e.add(&e.talk, time.Duration(i)*time.Second, func(it *models.Item) { it.Text = text })
		if i%2 == 0 {
			want = append(want, it.Seq)
		}
	}
	seqRE := regexp.MustCompile(`class="hit" data-seq="(\d+)"`)
	nextRE := regexp.MustCompile(`href="([^"]+)" rel="next"`)
	var got []int64
	path := "/events/conf/search?q=speak"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("search pagination does not end")
		}
		body := e.ok(path)
		for _, m := range seqRE.FindAllStringSubmatch(body, -1) {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			got = append(got, n)
		}
		path = ""
		if m := nextRE.FindStringSubmatch(body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("search pages gave %v, want %v", got, want)
	}
}
