package sources

import (
	"slices"
	"testing"

	"github.com/backchannel/backchannel/live"
)

// What the ingest filters and the wall's safe media read of each upstream:
// Mastodon's Status entity (sensitive, spoiler_text, language,
// in_reply_to_id, reblog, account.bot), X API v2 tweet fields
// (possibly_sensitive, lang, referenced_tweets, in_reply_to_user_id) and
// Bluesky's app.bsky.feed.post record (langs, reply, self-labels).

func TestMastodonStatusMetaForFiltersAndSafeMedia(t *testing.T) {
	cases := []struct {
		name string
		json string
		want live.Item
	}{
		{"plain", `{"id":"1","uri":"https://a.example/s/1","content":"<p>hi</p>","account":{"acct":"a"}}`, live.Item{}},
		{"content warning beside the content", `{"id":"1","uri":"https://a.example/s/1","spoiler_text":"spoilers <b>ahead</b>","content":"<p>the end</p>","account":{"acct":"a"}}`,
			live.Item{ContentWarning: "spoilers <b>ahead</b>"}},
		{"sensitive media", `{"id":"1","uri":"https://a.example/s/1","sensitive":true,"content":"<p>x</p>","account":{"acct":"a"}}`,
			live.Item{Sensitive: true}},
		{"language", `{"id":"1","uri":"https://a.example/s/1","language":"de","content":"<p>x</p>","account":{"acct":"a"}}`,
			live.Item{Language: "de"}},
		{"language null", `{"id":"1","uri":"https://a.example/s/1","language":null,"content":"<p>x</p>","account":{"acct":"a"}}`, live.Item{}},
		{"reply", `{"id":"1","uri":"https://a.example/s/1","in_reply_to_id":"7","content":"<p>x</p>","account":{"acct":"a"}}`,
			live.Item{Reply: true}},
		{"bot account", `{"id":"1","uri":"https://a.example/s/1","content":"<p>x</p>","account":{"acct":"a","bot":true}}`,
			live.Item{Bot: true}},
		{"boost of a sensitive post", `{"id":"9","uri":"https://b.example/s/9","content":"","account":{"acct":"b"},
			"reblog":{"id":"1","uri":"https://a.example/s/1","sensitive":true,"language":"en","content":"<p>x</p>","account":{"acct":"a"}}}`,
			live.Item{Repost: true, Sensitive: true, Language: "en"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			it, _, err := ParseMastodonStatus([]byte(c.json), testNow)
			if err != nil {
				t.Fatal(err)
			}
			assertMeta(t, it, c.want)
		})
	}
	it, _, _ := ParseMastodonStatus([]byte(`{"id":"1","uri":"https://a.example/s/1","spoiler_text":"cw","content":"<p>the end</p>","account":{"acct":"a"}}`), testNow)
	if it.Text != "the end" {
		t.Errorf("text %q: the warning no longer leads the text, it travels beside it", it.Text)
	}
}

func TestXTweetMetaForFiltersAndSafeMedia(t *testing.T) {
	cases := []struct {
		name string
		data string
		want live.Item
	}{
		{"plain", `{"id":"1","text":"hi","author_id":"u"}`, live.Item{}},
		{"possibly sensitive", `{"id":"1","text":"hi","possibly_sensitive":true}`, live.Item{Sensitive: true}},
		{"language", `{"id":"1","text":"hi","lang":"fr"}`, live.Item{Language: "fr"}},
		{"undetermined language", `{"id":"1","text":"hi","lang":"und"}`, live.Item{}},
		{"hashtags only", `{"id":"1","text":"#x","lang":"qht"}`, live.Item{}},
		{"retweet", `{"id":"2","text":"RT @a: hi","referenced_tweets":[{"type":"retweeted","id":"1"}]}`, live.Item{Repost: true}},
		{"quote is not a repost", `{"id":"2","text":"look","referenced_tweets":[{"type":"quoted","id":"1"}]}`, live.Item{}},
		{"reply", `{"id":"2","text":"@a yes","in_reply_to_user_id":"9","referenced_tweets":[{"type":"replied_to","id":"1"}]}`, live.Item{Reply: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := ParseXLine([]byte(`{"data":`+c.data+`}`), testNow)
			if err != nil {
				t.Fatal(err)
			}
			assertMeta(t, *ev.Item, c.want)
		})
	}
}

func TestBlueskyPostMetaForFiltersAndSafeMedia(t *testing.T) {
	line := func(record string) []byte {
		return []byte(`{"did":"did:plc:abc","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"3k","record":` + record + `}}`)
	}
	cases := []struct {
		name   string
		record string
		want   live.Item
	}{
		{"plain", `{"text":"#aea hi","createdAt":"2026-05-24T09:00:00Z"}`, live.Item{}},
		{"language", `{"text":"#aea hallo","langs":["de-AT","en"]}`, live.Item{Language: "de"}},
		{"reply", `{"text":"#aea yes","reply":{"root":{"uri":"at://x","cid":"c"},"parent":{"uri":"at://x","cid":"c"}}}`, live.Item{Reply: true}},
		{"adult self-label", `{"text":"#aea","labels":{"$type":"com.atproto.label.defs#selfLabels","values":[{"val":"porn"}]}}`,
			live.Item{Sensitive: true, Labels: []string{"porn"}}},
		{"graphic self-label", `{"text":"#aea","labels":{"$type":"com.atproto.label.defs#selfLabels","values":[{"val":"graphic-media"}]}}`,
			live.Item{Sensitive: true, Labels: []string{"graphic-media"}}},
		{"other label", `{"text":"#aea","labels":{"values":[{"val":"spoiler"}]}}`, live.Item{Labels: []string{"spoiler"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := ParseJetstream(line(c.record), []string{"aea"}, testNow)
			if err != nil || ev.Op != JetstreamCreate {
				t.Fatalf("op %q err %v", ev.Op, err)
			}
			assertMeta(t, ev.Item, c.want)
		})
	}
}

func assertMeta(t *testing.T, got, want live.Item) {
	t.Helper()
	if got.Sensitive != want.Sensitive || got.ContentWarning != want.ContentWarning || got.Language != want.Language ||
		got.Reply != want.Reply || got.Repost != want.Repost || got.Bot != want.Bot || !slices.Equal(got.Labels, want.Labels) {
		t.Errorf("meta %+v, want %+v", got.Meta(), want.Meta())
	}
}
