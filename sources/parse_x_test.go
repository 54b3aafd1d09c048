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
	if a.Text != "Packed room for the generics talk 🔥 #GopherCon2026 https://t.co/AbC123xyZ9" {
		t.Errorf("text %q", a.Text)
	}
	if len(a.Media) != 1 || a.Media[0].URL != "https://pbs.twimg.com/media/GcXyZ12WAAAbcDe.jpg" || a.Media[0].Alt != "Conference room full of people" {
		t.Errorf("media %+v", a.Media)
	}
	if len(tweets[1].RuleTags) != 2 || tweets[1].Item.Author.Handle != "@bob_builds" || len(tweets[1].Item.Media) != 0 {
		t.Errorf("second tweet %+v", tweets[1])
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
