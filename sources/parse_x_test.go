package sources

import (
	"bytes"
	"errors"
	"testing"
)

func TestXFixtureStream(t *testing.T) {
	lr := newLineReader(bytes.NewReader(fixture(t, "x_stream.ndjson")), MaxLine)
	var tweets []XEvent
	keepAlives := 0
	var streamErr *XStreamError
	for {
		line, err := lr.next()
		if err != nil {
			break
		}
		ev, err := ParseXLine(line, testNow)
		switch {
		case errors.As(err, &streamErr):
		case err != nil:
			t.Fatalf("line %q: %v", line, err)
		case ev.KeepAlive:
			keepAlives++
		default:
			tweets = append(tweets, ev)
		}
	}
	if len(tweets) != 2 || keepAlives < 2 {
		t.Fatalf("tweets %d keep-alives %d", len(tweets), keepAlives)
	}
	if streamErr == nil || streamErr.Title != "operational-disconnect" {
		t.Errorf("operational disconnect not surfaced: %v", streamErr)
	}
	a := tweets[0].Item
	if a.ID != "x:1859243311427584001" || a.Author.Name != "Ada L." || a.Author.Handle != "@ada_dev" || a.URL != "https://x.com/ada_dev/status/1859243311427584001" {
		t.Errorf("tweet: %+v", a)
	}
	// The t.co link points at the tweet's own photo (media_key): it is
	// dropped from the text, the photo travels as media.
	if a.Text != "Packed room for the generics talk 🔥 #GopherCon2026" {
		t.Errorf("text %q", a.Text)
	}
	if len(a.Media) != 1 || a.Media[0].URL != "https://pbs.twimg.com/media/GcXyZ12WAAAbcDe.jpg" || a.Media[0].Alt != "Conference room full of people" {
		t.Errorf("media %+v", a.Media)
	}
	if len(tweets[1].RuleTags) != 2 || tweets[1].Item.Author.Handle != "@bob_builds" || len(tweets[1].Item.Media) != 0 {
		t.Errorf("second tweet %+v", tweets[1])
	}
}

func TestXTweetTextIsUnescapedLinksExpandedAndEditsTargetTheOriginal(t *testing.T) {
	line := `{"data":{"id":"1900000000000000002","edit_history_tweet_ids":["1900000000000000001","1900000000000000002"],` +
		`"text":"Q&amp;A at 3 &lt;3 &gt; slides: https://t.co/abcDEF1234","author_id":"1","created_at":"2026-05-24T09:00:00.000Z",` +
		`"entities":{"urls":[{"start":36,"end":59,"url":"https://t.co/abcDEF1234","expanded_url":"https://example.com/slides?a=1&b=2","display_url":"example.com/slides?a=1…"}]}},` +
		`"matching_rules":[{"id":"7","tag":"source:3"}]}`
	ev, err := ParseXLine([]byte(line), testNow)
	if err != nil {
		t.Fatal(err)
	}
	it := ev.Item
	if it.Text != "Q&A at 3 <3 > slides: https://example.com/slides?a=1&b=2" {
		t.Errorf("text %q", it.Text)
	}
	want := `<p>Q&amp;A at 3 &lt;3 &gt; slides: <a href="https://example.com/slides?a=1&amp;b=2" rel="nofollow noopener" target="_blank">example.com/slides?a=1…</a></p>`
	if it.HTML != want {
		t.Errorf("html\n got %s\nwant %s", it.HTML, want)
	}
	if ev.EditOf != "1900000000000000001" || it.ID != "x:1900000000000000001" {
		t.Errorf("edit of %q, item %q: an edit must target the original tweet", ev.EditOf, it.ID)
	}
	if len(ev.RuleIDs) != 1 || ev.RuleIDs[0] != "7" {
		t.Errorf("rule ids %v", ev.RuleIDs)
	}
}

func FuzzXLine(f *testing.F) {
	for _, l := range bytes.Split(fixture(f, "x_stream.ndjson"), []byte("\n")) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseXLine(b, testNow)
		if err == nil && ev.Item != nil {
			checkItemInvariants(t, *ev.Item)
		}
	})
}

func FuzzXRulesAnswer(f *testing.F) {
	f.Add([]byte(`{"data":[{"id":"1","value":"#a","tag":"source:1"}],"meta":{"sent":"2026-01-01T00:00:00.000Z","summary":{"created":1,"not_created":0,"valid":1,"invalid":0}}}`))
	f.Add([]byte(`{"meta":{"sent":"x","summary":{"created":0,"not_created":1}},"errors":[{"value":"#a","id":"1","title":"DuplicateRule","type":"https://api.twitter.com/2/problems/duplicate-rules"}]}`))
	f.Add([]byte(`{"meta":{"summary":{"deleted":0,"not_deleted":1}},"errors":[{"errors":[{"parameters":{},"message":"Rule does not exist"}],"title":"Invalid Request"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ans, err := ParseXRulesAnswer(b)
		if err != nil {
			return
		}
		for _, e := range ans.Errors {
			_ = e.Title + e.Value + e.ID
		}
	})
}
