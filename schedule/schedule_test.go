package schedule

import (
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

var t0 = time.Date(2026, 5, 24, 13, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// threeRooms is an afternoon of three parallel talks (13:00–14:00), one
// talk after them in room A, and the speaker of the first also on a panel
// later in room B.
func threeRooms() *Schedule {
	room := func(slug string) *models.Room { return &models.Room{Slug: slug, Name: slug} }
	return New([]models.Session{
		{ID: 1, Slug: "css-talk", Room: room("room-a"), Tags: models.StringList{"#csstalk", "container queries"},
			SpeakerHandles: models.StringList{"@jen@front-end.social"}, StartsAt: at(0), EndsAt: at(60)},
		{ID: 2, Slug: "go-talk", Room: room("room-b"), Tags: models.StringList{"gotalk"},
			SpeakerHandles: models.StringList{"rob.bsky.social", "@rob"}, StartsAt: at(0), EndsAt: at(60)},
		{ID: 3, Slug: "db-talk", Room: room("room-c"), Tags: models.StringList{"dbtalk"},
			SpeakerHandles: models.StringList{"https://x.com/ada"}, StartsAt: at(0), EndsAt: at(60)},
		{ID: 4, Slug: "closing", Room: room("room-a"), StartsAt: at(70), EndsAt: at(100)},
		{ID: 5, Slug: "panel", Room: room("room-b"), SpeakerHandles: models.StringList{"@jen@front-end.social"},
			StartsAt: at(120), EndsAt: at(180)},
	})
}

func TestPlaceFollowsTheRuleInOrder(t *testing.T) {
	s := threeRooms()
	cases := []struct {
		name    string
		it      live.Item
		session string
		rule    string
	}{
		{"a hashtag of one talk", live.Item{Source: "mastodon", Text: "Loving #CSSTalk so far", CreatedAt: at(10)}, "css-talk", models.PlacedByTag},
		{"a tag as a plain word", live.Item{Source: "x", Text: "the gotalk demo!", CreatedAt: at(10)}, "go-talk", models.PlacedByTag},
		{"a tag of two words as a phrase", live.Item{Source: "room", Text: "Container  Queries are here", CreatedAt: at(10)}, "css-talk", models.PlacedByTag},
		{"a tag wins over the time window of another room", live.Item{Source: "x", Text: "#dbtalk", CreatedAt: at(75)}, "db-talk", models.PlacedByTag},
		{"a tag outside every window still counts", live.Item{Source: "x", Text: "#gotalk slides please", CreatedAt: at(500)}, "go-talk", models.PlacedByTag},
		{"tags of two talks narrowed by the time window", live.Item{Source: "x", Text: "#gotalk vs #closing-less #csstalk", CreatedAt: at(80)}, "", models.PlacedAmbiguous},
		{"tags of two talks narrowed by the speaker", live.Item{Source: "bluesky", Author: live.Author{Handle: "@rob.bsky.social"}, Text: "#gotalk and #csstalk", CreatedAt: at(10)}, "go-talk", models.PlacedByTag},
		{"a Mastodon speaker's own post", live.Item{Source: "mastodon", Author: live.Author{Handle: "@Jen@front-end.social"}, Text: "slides are up", CreatedAt: at(30)}, "css-talk", models.PlacedByHandle},
		{"the speaker of two sessions, by the time window", live.Item{Source: "mastodon", Author: live.Author{Handle: "@jen@front-end.social"}, Text: "panel time", CreatedAt: at(130)}, "panel", models.PlacedByHandle},
		{"the speaker of two sessions between them", live.Item{Source: "mastodon", Author: live.Author{Handle: "@jen@front-end.social"}, Text: "lunch", CreatedAt: at(110)}, "", models.PlacedAmbiguous},
		{"a Bluesky mention", live.Item{Source: "bluesky", Text: "great point by @rob.bsky.social.", CreatedAt: at(20)}, "go-talk", models.PlacedByHandle},
		{"an X author", live.Item{Source: "x", Author: live.Author{Handle: "@ada"}, Text: "hello", CreatedAt: at(20)}, "db-talk", models.PlacedByHandle},
		{"an X mention in an attendee's post", live.Item{Source: "room", Text: "thanks @rob!", CreatedAt: at(20)}, "go-talk", models.PlacedByHandle},
		{"an X-form mention in a Mastodon post is Mastodon's short form", live.Item{Source: "mastodon", Text: "thanks @rob!", CreatedAt: at(75)}, "closing", models.PlacedByTime},
		{"a Mastodon mention link", live.Item{Source: "mastodon", Text: "@jen great", HTML: `<p><a href="https://front-end.social/@jen" class="mention">@<span>jen</span></a> great</p>`, CreatedAt: at(20)}, "css-talk", models.PlacedByHandle},
		{"a full Mastodon mention in another network", live.Item{Source: "x", Text: "cc @jen@front-end.social", CreatedAt: at(20)}, "css-talk", models.PlacedByHandle},
		{"an email address is not a mention", live.Item{Source: "room", Text: "mail me: me@rob", CreatedAt: at(75)}, "closing", models.PlacedByTime},
		{"a room post from a session's page", live.Item{Source: "room", FromSession: "db-talk", Text: "so good", CreatedAt: at(20)}, "db-talk", models.PlacedByPage},
		{"a tag beats the page it was posted from", live.Item{Source: "room", FromSession: "db-talk", Text: "#gotalk", CreatedAt: at(20)}, "go-talk", models.PlacedByTag},
		{"an unknown page is ignored", live.Item{Source: "room", FromSession: "nope", Text: "so good", CreatedAt: at(80)}, "closing", models.PlacedByTime},
		{"the one session holding the time", live.Item{Source: "x", Text: "hi", CreatedAt: at(75)}, "closing", models.PlacedByTime},
		{"parallel sessions make it ambiguous", live.Item{Source: "x", Text: "hi", CreatedAt: at(30)}, "", models.PlacedAmbiguous},
		{"outside every session", live.Item{Source: "x", Text: "hi", CreatedAt: at(65)}, "", models.PlacedNone},
		{"a session's end is not inside it", live.Item{Source: "x", Text: "hi", CreatedAt: at(100)}, "", models.PlacedNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := s.Place(tc.it)
			got := ""
			if p.Session != nil {
				got = p.Session.Slug
			}
			if got != tc.session || p.Rule != tc.rule {
				t.Errorf("placed in %q by %q, want %q by %q", got, p.Rule, tc.session, tc.rule)
			}
		})
	}
}

func TestInRoomAtIsTheRoomsTalkNowOrJustOver(t *testing.T) {
	s := threeRooms()
	for _, tc := range []struct {
		room string
		at   int
		want string
	}{
		{"room-b", 30, "go-talk"},  // three talks run: room B's
		{"room-a", 30, "css-talk"}, // room A's, not B's
		{"room-a", 65, "css-talk"}, // the break after it
		{"room-a", 70, "closing"},  // the next talk has begun
		{"room-b", 75, "go-talk"},  // 15 minutes after its end
		{"room-b", 76, ""},         // longer after it
		{"room-b", 119, ""},        // before the panel
		{"room-b", 120, "panel"},   // the panel
		{"room-c", -1, ""},         // before the day
		{"attic", 30, ""},          // no such room
		{"", 30, ""},               // no room at all
	} {
		got := ""
		if x := s.InRoomAt(tc.room, at(tc.at)); x != nil {
			got = x.Slug
		}
		if got != tc.want {
			t.Errorf("InRoomAt(%q, +%d min) = %q, want %q", tc.room, tc.at, got, tc.want)
		}
	}
	var none *Schedule
	if none.InRoomAt("room-a", at(30)) != nil {
		t.Error("a nil schedule named a session")
	}
}

func TestApplySetsSessionAndRoom(t *testing.T) {
	it := live.Item{Source: "x", Text: "#gotalk", CreatedAt: at(10), Session: "stale", Room: "stale"}
	threeRooms().Apply(&it)
	if it.Session != "go-talk" || it.Room != "room-b" {
		t.Fatalf("session %q room %q", it.Session, it.Room)
	}
	it = live.Item{Source: "x", Text: "hi", CreatedAt: at(30), Session: "stale"}
	threeRooms().Apply(&it)
	if it.Session != "" || it.Room != "" {
		t.Fatalf("an ambiguous post keeps session %q room %q", it.Session, it.Room)
	}
}

func TestParseHandleReadsEachNetworksForm(t *testing.T) {
	cases := map[string]string{
		"@jensimmons@front-end.social":         "mastodon @jensimmons@front-end.social",
		"JenSimmons@Front-End.Social":          "mastodon @jensimmons@front-end.social",
		"jensimmons.bsky.social":               "bluesky jensimmons.bsky.social",
		"@jen.dev":                             "bluesky jen.dev",
		"@jensimmons":                          "x @jensimmons",
		"https://front-end.social/@jensimmons": "mastodon @jensimmons@front-end.social",
		"https://bsky.app/profile/jen.dev":     "bluesky jen.dev",
		"https://x.com/jensimmons":             "x @jensimmons",
	}
	for in, want := range cases {
		h, err := ParseHandle(in)
		if err != nil || h.Network+" "+h.String() != want {
			t.Errorf("ParseHandle(%q) = %v %v, want %s", in, h, err, want)
		}
	}
	for _, bad := range []string{"", "jen", "@", "@a b", "@waytoolongforanxhandle", "https://example.org/jen", "@@x"} {
		if h, err := ParseHandle(bad); err == nil {
			t.Errorf("ParseHandle(%q) = %v, want an error", bad, h)
		}
	}
}
