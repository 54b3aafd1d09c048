package moderation

import (
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

func TestEachIngestFilterDropsWhatItNamesAndNothingElse(t *testing.T) {
	plain := live.Item{Text: "great talk", Language: "en"}
	reply := live.Item{Text: "@ana yes", Reply: true}
	repost := live.Item{Text: "great talk", Repost: true}
	bot := live.Item{Text: "new post on the blog", Bot: true}
	sensitive := live.Item{Text: "photo", Sensitive: true}
	warned := live.Item{Text: "spoiler", ContentWarning: "ending of the film"}
	labelled := live.Item{Text: "x", Labels: []string{"graphic-media"}}
	harmlessLabel := live.Item{Text: "x", Labels: []string{"spoiler"}}
	german := live.Item{Text: "toller Vortrag", Language: "de"}
	austrian := live.Item{Text: "leiwand", Language: "de-AT"}
	unknown := live.Item{Text: "from the room"}
	cases := []struct {
		name   string
		filter Filter
		drops  []live.Item
		keeps  []live.Item
	}{
		{"no filter", Filter{}, nil, []live.Item{plain, reply, repost, bot, sensitive, german, unknown}},
		{"replies", Filter{Replies: true}, []live.Item{reply}, []live.Item{plain, repost, bot, sensitive, german}},
		{"reposts", Filter{Reposts: true}, []live.Item{repost}, []live.Item{plain, reply, bot, sensitive}},
		{"bots", Filter{Bots: true}, []live.Item{bot}, []live.Item{plain, reply, repost, sensitive}},
		{"sensitive: marked, warned or labelled", Filter{Sensitive: true}, []live.Item{sensitive, warned, labelled},
			[]live.Item{plain, reply, harmlessLabel}},
		{"languages keep the listed ones and unknown ones", Filter{Languages: []string{"de"}}, []live.Item{plain},
			[]live.Item{german, austrian, unknown}},
		{"several languages", Filter{Languages: []string{"en", "de"}}, nil, []live.Item{plain, german, unknown}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, it := range c.drops {
				if !c.filter.Drops(it) {
					t.Errorf("keeps %+v", it)
				}
			}
			for _, it := range c.keeps {
				if c.filter.Drops(it) {
					t.Errorf("drops %+v", it)
				}
			}
		})
	}
}

func TestLanguagesAreReadLikeAnOrganizerWritesThem(t *testing.T) {
	got := ParseLanguages(" EN, de-AT;de\nfr ")
	want := []string{"en", "de", "fr"}
	if len(got) != len(want) {
		t.Fatalf("%q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%q, want %q", got, want)
		}
	}
	f := FilterOf(models.IngestFilter{FilterBots: true, FilterLanguages: "en"})
	if !f.Bots || len(f.Languages) != 1 || f.Replies {
		t.Fatalf("FilterOf: %+v", f)
	}
}

func TestFiltersOfTheEventAndOfTheSourceBothApply(t *testing.T) {
	r := Compile(nil, false).WithSettings(Settings{Filter: Filter{Bots: true}},
		map[int64]Filter{7: {Reposts: true}})
	for _, c := range []struct {
		name   string
		rules  Rules
		it     live.Item
		hidden bool
	}{
		{"event filter, any source", r.ForSource(3), live.Item{Bot: true}, true},
		{"source filter, its source", r.ForSource(7), live.Item{Repost: true}, true},
		{"source filter, another source", r.ForSource(3), live.Item{Repost: true}, false},
		{"nothing filtered", r.ForSource(7), live.Item{Text: "hi"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			it := c.it
			c.rules.Apply(&it)
			if it.Hidden != c.hidden || it.Held {
				t.Errorf("hidden=%v held=%v, want hidden=%v", it.Hidden, it.Held, c.hidden)
			}
		})
	}
}

func TestTrustedAccountsSkipTheHeldQueueButNotBans(t *testing.T) {
	r := Compile([]models.ModerationRule{
		{Kind: models.RuleAllow, Value: "@jen@front-end.social"},
		{Kind: models.RuleAllow, Value: "jensimmons.bsky.social"},
		{Kind: models.RuleWord, Value: "crypto"},
	}, true).WithSettings(Settings{Blocklist: NewBlocklist([]string{"damn"}), HoldSensitive: true}, nil)
	cases := []struct {
		name         string
		it           live.Item
		held, hidden bool
	}{
		{"trusted handle skips moderation before", live.Item{Author: live.Author{Handle: "@JEN@front-end.social"}, Text: "hi"}, false, false},
		{"trusted bluesky handle", live.Item{Author: live.Author{Handle: "jensimmons.bsky.social"}, Text: "hi"}, false, false},
		{"trusted skips the blocklist hold", live.Item{Author: live.Author{Handle: "@jen@front-end.social"}, Text: "damn demo"}, false, false},
		{"trusted skips the sensitive hold", live.Item{Author: live.Author{Handle: "@jen@front-end.social"}, Sensitive: true}, false, false},
		{"a ban still hides a trusted account", live.Item{Author: live.Author{Handle: "@jen@front-end.social"}, Text: "crypto"}, false, true},
		{"same name, other instance: held", live.Item{Author: live.Author{Handle: "@jen@evil.example", Name: "Jen"}, Text: "hi"}, true, false},
		{"display name is not trusted", live.Item{Author: live.Author{Name: "@jen@front-end.social"}, Text: "hi"}, true, false},
		{"stranger held", live.Item{Author: live.Author{Handle: "@ana@ex.social"}, Text: "hi"}, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			it := c.it
			r.Apply(&it)
			if it.Held != c.held || it.Hidden != c.hidden {
				t.Errorf("held=%v hidden=%v, want held=%v hidden=%v", it.Held, it.Hidden, c.held, c.hidden)
			}
		})
	}
}

func TestSensitiveMediaAreHeldWhenTheEventSaysHold(t *testing.T) {
	hold := Compile(nil, false).WithSettings(Settings{HoldSensitive: true}, nil)
	blur := Compile(nil, false)
	for _, it := range []live.Item{{Sensitive: true}, {ContentWarning: "cw"}, {Labels: []string{"nudity"}}} {
		x, y := it, it
		hold.Apply(&x)
		blur.Apply(&y)
		if !x.Held || x.Hidden || y.Held || y.Hidden {
			t.Errorf("%+v: hold → held=%v, blur → held=%v", it.Meta(), x.Held, y.Held)
		}
	}
	x := live.Item{Text: "plain"}
	hold.Apply(&x)
	if x.Held {
		t.Error("a plain item was held")
	}
}

func TestBansOfAPosterFollowTheirBrowserAndAddressUntilTheyEnd(t *testing.T) {
	now := time.Date(2026, 5, 24, 9, 0, 0, 0, time.UTC)
	soon := now.Add(30 * time.Minute)
	r := Compile([]models.ModerationRule{
		{Kind: models.RuleClient, Value: ClientHash("browser-a")},
		{Kind: models.RuleAddress, Value: "203.0.113.7", ExpiresAt: &soon},
	}, false)
	r.now = func() time.Time { return now }
	cases := []struct {
		name string
		p    live.Poster
		at   time.Time
		ban  bool
	}{
		{"banned browser, any name, any address", live.Poster{Client: "browser-a", Address: "198.51.100.1"}, now, true},
		{"another browser, another address", live.Poster{Client: "browser-b", Address: "198.51.100.1"}, now, false},
		{"another browser from the banned address", live.Poster{Client: "browser-b", Address: "203.0.113.7"}, now, true},
		{"the address ban has ended", live.Poster{Client: "browser-b", Address: "203.0.113.7"}, soon.Add(time.Second), false},
		{"the browser ban has not", live.Poster{Client: "browser-a", Address: "203.0.113.7"}, soon.Add(time.Hour), true},
		{"no identity", live.Poster{}, now, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r.now = func() time.Time { return c.at }
			if got := r.BansPoster(c.p); got != c.ban {
				t.Errorf("banned=%v, want %v", got, c.ban)
			}
		})
	}
}

func TestAnExpiredBanNoLongerHides(t *testing.T) {
	now := time.Now()
	past := now.Add(-time.Minute)
	r := Compile([]models.ModerationRule{
		{Kind: models.RuleWord, Value: "spoiler", ExpiresAt: &past},
		{Kind: models.RuleAuthor, Value: "@troll@ex.social", ExpiresAt: &past},
	}, false)
	it := live.Item{Author: live.Author{Handle: "@troll@ex.social"}, Text: "a spoiler"}
	r.Apply(&it)
	if it.Hidden {
		t.Fatal("expired bans still hide")
	}
}
