package archive

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/models"
)

// threeRooms adds two talks parallel to the keynote, in rooms B and C, on
// the Backend track (the keynote is on CSS), and posts: each talk its own,
// and one nobody could place.
func (e *env) threeRooms() map[string][]int64 {
	e.t.Helper()
	must(e.t, e.db.DB.Model(&e.talk).Update("track", "CSS").Error)
	out := map[string][]int64{}
	talks := map[string]*models.Session{"keynote": &e.talk}
	for _, r := range []struct{ room, name, talk string }{{"room-b", "Room B", "go-talk"}, {"room-c", "Room C", "db-talk"}} {
		room := models.Room{EventID: e.ev.ID, Slug: r.room, Name: r.name}
		must(e.t, e.db.DB.Create(&room).Error)
		s := models.Session{EventID: e.ev.ID, Slug: r.talk, Title: r.talk, RoomID: &room.ID, Track: "Backend", StartsAt: t0, EndsAt: t0.Add(time.Hour)}
		must(e.t, e.db.DB.Create(&s).Error)
		talks[r.talk] = &s
	}
	for i, talk := range []string{"keynote", "go-talk", "go-talk", "db-talk", "keynote", "", "go-talk"} {
		it := e.add(talks[talk], time.Duration(i+1)*time.Minute, func(it *models.Item) {
			if talk == "" {
				it.Placement = models.PlacedAmbiguous
			}
		})
		out[talk] = append(out[talk], it.Seq)
	}
	e.bump()
	return out
}

type exported struct {
	Items []struct {
		Seq     int64  `json:"seq"`
		Session string `json:"session"`
		Room    string `json:"room"`
		Track   string `json:"track"`
	} `json:"items"`
}

func (e *env) exportSeqs(path string) (seqs []int64, rooms, tracks map[string]bool) {
	e.t.Helper()
	var x exported
	if err := json.Unmarshal([]byte(e.ok(path)), &x); err != nil {
		e.t.Fatalf("%s: %v", path, err)
	}
	rooms, tracks = map[string]bool{}, map[string]bool{}
	for _, it := range x.Items {
		seqs = append(seqs, it.Seq)
		rooms[it.Room], tracks[it.Track] = true, true
	}
	return seqs, rooms, tracks
}

func seqsEqual(a, b []int64) bool {
	a, b = append([]int64(nil), a...), append([]int64(nil), b...)
	sort.Slice(a, func(i, j int) bool { return a[i] < a[j] })
	sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func TestEachParallelTalksPageFeedAndExportHoldExactlyItsOwnPosts(t *testing.T) {
	e := newEnv(t)
	own := e.threeRooms()
	for _, talk := range []string{"keynote", "go-talk", "db-talk"} {
		page := e.ok("/events/conf/sessions/" + talk)
		feed := e.ok("/events/conf/sessions/" + talk + "/feed.atom")
		seqs, _, _ := e.exportSeqs("/events/conf/export.json?session=" + talk)
		if !seqsEqual(seqs, own[talk]) {
			t.Errorf("%s: export holds %v, want %v", talk, seqs, own[talk])
		}
		for other, list := range own {
			for _, seq := range list {
				text := fmt.Sprintf("item %d says hello", seq)
				if mine := other == talk; strings.Contains(page, text) != mine || strings.Contains(feed, text) != mine {
					t.Errorf("%s's page or feed: %q shown %v, want %v", talk, text, strings.Contains(page, text), mine)
				}
			}
		}
	}
	// By room and by track.
	for _, c := range []struct {
		query string
		want  []int64
		room  string
		track string
	}{
		{"room=room-b", own["go-talk"], "room-b", "Backend"},
		{"room=main-hall", own["keynote"], "main-hall", "CSS"},
		{"track=Backend", append(append([]int64{}, own["go-talk"]...), own["db-talk"]...), "", "Backend"},
	} {
		seqs, rooms, tracks := e.exportSeqs("/events/conf/export.json?" + c.query)
		if !seqsEqual(seqs, c.want) || (c.room != "" && (len(rooms) != 1 || !rooms[c.room])) || len(tracks) != 1 || !tracks[c.track] {
			t.Errorf("export ?%s: %v rooms %v tracks %v; want %v in %s/%s", c.query, seqs, rooms, tracks, c.want, c.room, c.track)
		}
		var page struct {
			Items []struct{ Seq int64 } `json:"items"`
		}
		if err := json.Unmarshal([]byte(e.ok("/api/events/conf/items?"+c.query)), &page); err != nil || len(page.Items) != len(c.want) {
			t.Errorf("items API ?%s: %d items (%v), want %d", c.query, len(page.Items), err, len(c.want))
		}
		feed := e.ok("/events/conf/feed.atom?" + c.query)
		if n := strings.Count(feed, "<entry>"); n != len(c.want) {
			t.Errorf("feed ?%s: %d entries, want %d", c.query, n, len(c.want))
		}
	}
	// The CSV carries session, room and track.
	rows, err := csv.NewReader(strings.NewReader(e.ok("/events/conf/export.csv?room=room-c"))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv: %v %v", rows, err)
	}
	head := strings.Join(rows[0], ",")
	if !strings.HasSuffix(head, ",room,track") || rows[1][4] != "db-talk" || rows[1][14] != "room-c" || rows[1][15] != "Backend" {
		t.Errorf("csv: %v", rows)
	}
	// The whole event's export has every post, the unplaced one with no session.
	seqs, _, _ := e.exportSeqs("/events/conf/export.json")
	if len(seqs) != 7 {
		t.Errorf("the event's export holds %d items, want 7", len(seqs))
	}
	for _, bad := range []struct{ query, want string }{
		{"room=attic", `The event has no room \"attic\".`},
		{"track=Cooking", `The event has no track \"Cooking\".`},
		{"room=room-b&track=Backend", "Ask for one of session, room or track, not room and track."},
	} {
		if st, body := e.get("/api/events/conf/items?" + bad.query); st != 400 || !strings.Contains(body, bad.want) {
			t.Errorf("?%s: %d %s", bad.query, st, body)
		}
	}
}

func TestTheArchiveShowsUnplacedPostsUnderTheirSlotAndLinksEachRoomAndTrack(t *testing.T) {
	e := newEnv(t)
	own := e.threeRooms()
	page := e.ok("/events/conf/archive")
	unplaced := fmt.Sprintf("item %d says hello", own[""][0])
	at := strings.Index(page, `data-testid="unplaced"`)
	if at < 0 || !strings.Contains(page[at:], unplaced) || !strings.Contains(page[at:], "1 post during") {
		t.Fatalf("the slot's unplaced post is not shown under it:\n%s", page)
	}
	// Under the slot: after its three talks, before the panel that follows.
	for _, talk := range []string{"keynote", "go-talk", "db-talk"} {
		if i := strings.Index(page, `data-session="`+talk+`"`); i < 0 || i > at {
			t.Errorf("%s is not listed above the slot's unplaced posts", talk)
		}
	}
	if i := strings.Index(page, `data-session="panel"`); i < at {
		t.Errorf("the panel (after the slot) is listed before the slot's unplaced posts")
	}
	for _, link := range []string{`/events/conf/feed.atom?room=room-b`, `/events/conf/export.csv?track=Backend`, `/events/conf/export.json?room=main-hall`} {
		if !strings.Contains(page, link) {
			t.Errorf("the archive does not link %s", link)
		}
	}
}

func TestTheArchiveOfOneRoomOrTrackListsItsSessionsOnly(t *testing.T) {
	e := newEnv(t)
	e.threeRooms()
	for _, c := range []struct {
		query, label string
		in, out      []string
	}{
		{"room=room-b", "Room B", []string{"go-talk"}, []string{"keynote", "db-talk", "panel"}},
		{"track=Backend", "Backend", []string{"go-talk", "db-talk"}, []string{"keynote", "panel"}},
	} {
		page := e.ok("/events/conf/archive?" + c.query)
		if !strings.Contains(page, `<span data-testid="scope">· `+c.label+`</span>`) {
			t.Errorf("?%s does not say it shows %s", c.query, c.label)
		}
		for _, s := range c.in {
			if !strings.Contains(page, `data-session="`+s+`"`) {
				t.Errorf("?%s does not list %s", c.query, s)
			}
		}
		for _, s := range c.out {
			if strings.Contains(page, `data-session="`+s+`"`) {
				t.Errorf("?%s lists %s", c.query, s)
			}
		}
	}
	if !strings.Contains(e.ok("/events/conf/archive"), `href="/events/conf/archive?room=room-b"`) {
		t.Error("the archive does not link Room B's archive")
	}
	for _, q := range []string{"room=attic", "session=keynote"} {
		if st, _ := e.get("/events/conf/archive?" + q); st != 400 {
			t.Errorf("?%s: %d, want 400", q, st)
		}
	}
}
