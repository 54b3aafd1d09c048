package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

func TestTheLivePageAndTheWallFollowOneRoom(t *testing.T) {
	a := newTestApp(t)
	now := time.Now().UTC().Truncate(time.Second)
	ev := seedEvent(t, a, "conf", now.Add(-time.Hour), now.Add(3*time.Hour))
	var rooms [2]models.Room
	for i, slug := range []string{"main-hall", "room-b"} {
		rooms[i] = models.Room{EventID: ev.ID, Slug: slug, Name: map[string]string{"main-hall": "Main Hall", "room-b": "Room B"}[slug], Position: i}
		if err := a.DB.Create(&rooms[i]).Error; err != nil {
			t.Fatal(err)
		}
		s := models.Session{EventID: ev.ID, Slug: slug + "-talk", Title: "Talk in " + rooms[i].Name, RoomID: &rooms[i].ID,
			StartsAt: now.Add(-30 * time.Minute), EndsAt: now.Add(30 * time.Minute)}
		if err := a.DB.Create(&s).Error; err != nil {
			t.Fatal(err)
		}
	}
	log := realtime.NewLog(a.Redis, a.Namespace)
	for i, it := range []struct{ text, session, room string }{
		{"keynote thoughts from the hall", "main-hall-talk", "main-hall"},
		{"room b is packed", "room-b-talk", "room-b"},
		{"which room is this?", "", ""},
	} {
		item := live.Item{ID: "x:" + string(rune('1'+i)), Source: "x", Kind: live.KindPost, Author: live.Author{Name: "someone"},
			Text: it.text, Session: it.session, Room: it.room, CreatedAt: now, ReceivedAt: now}
		if _, err := log.AppendItem(context.Background(), ev.ID, item); err != nil {
			t.Fatal(err)
		}
	}
	w, err := a.NewWeb()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/events/conf?room=room-b", "/events/conf/wall?room=room-b"} {
		status, body, _ := get(t, w.Fiber, path)
		if status != 200 || !strings.Contains(body, "room b is packed") || strings.Contains(body, "keynote thoughts") ||
			strings.Contains(body, "which room is this?") || !strings.Contains(body, `data-room="room-b"`) {
			t.Errorf("GET %s: %d, want room B's post only:\n%s", path, status, body)
		}
		if strings.Contains(body, "Talk in Main Hall") && !strings.Contains(path, "wall") {
			t.Errorf("GET %s lists another room's session", path)
		}
	}
	status, body, _ := get(t, w.Fiber, "/events/conf")
	if status != 200 || !strings.Contains(body, "room b is packed") || !strings.Contains(body, "keynote thoughts") ||
		!strings.Contains(body, `href="/events/conf?room=room-b"`) || !strings.Contains(body, `aria-current="page" data-room-link=""`) {
		t.Errorf("GET /events/conf: %d, want every post and the room picker:\n%s", status, body)
	}
	if status, body, _ := get(t, w.Fiber, "/events/conf?room=attic"); status != 404 || !strings.Contains(body, `There is no room &#34;attic&#34;.`) {
		t.Errorf("unknown room: %d\n%s", status, body)
	}
}

func TestAPostFromARoomsPageGoesToThatRoomsTalk(t *testing.T) {
	a := newTestApp(t)
	now := time.Now().UTC().Truncate(time.Second)
	ev := seedEvent(t, a, "parallel", now.Add(-2*time.Hour), now.Add(3*time.Hour))
	for i, slug := range []string{"main-hall", "room-b", "room-c"} {
		room := models.Room{EventID: ev.ID, Slug: slug, Name: slug, Position: i}
		if err := a.DB.Create(&room).Error; err != nil {
			t.Fatal(err)
		}
		// Three talks now; room C's ended ten minutes ago (its break).
		starts, ends := now.Add(-30*time.Minute), now.Add(30*time.Minute)
		if slug == "room-c" {
			starts, ends = now.Add(-70*time.Minute), now.Add(-10*time.Minute)
		}
		s := models.Session{EventID: ev.ID, Slug: slug + "-talk", Title: "Talk in " + slug, RoomID: &room.ID,
			Tags: models.StringList{slug + "tag"}, StartsAt: starts, EndsAt: ends}
		if err := a.DB.Create(&s).Error; err != nil {
			t.Fatal(err)
		}
	}
	w, err := a.NewWeb()
	if err != nil {
		t.Fatal(err)
	}
	post := func(contentType, body string) (int, string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/api/events/parallel/posts", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		resp, err := w.Fiber.Test(req, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		session, room           string
	}{
		{"JSON from room B's page", "application/json", `{"name": "Ann", "text": "great demo", "room": "room-b"}`, 201, "room-b-talk", "room-b"},
		{"a form from room B's page", "application/x-www-form-urlencoded", "name=Bo&text=so+true&room=room-b", 201, "room-b-talk", "room-b"},
		{"room C's page in the break after its talk", "application/json", `{"name": "Cy", "text": "thanks!", "room": "room-c"}`, 201, "room-c-talk", "room-c"},
		{"a tag of another room's talk wins", "application/json", `{"name": "Di", "text": "#main-halltag next", "room": "room-b"}`, 201, "main-hall-talk", "main-hall"},
		{"the page of all rooms: two talks run", "application/json", `{"name": "Ed", "text": "which room?"}`, 201, "", ""},
		{"an unknown room is ignored", "application/json", `{"name": "Fa", "text": "hello", "room": "attic"}`, 201, "", ""},
		{"a room that cannot be a slug", "application/json", `{"name": "Gu", "text": "hello", "room": "Room B!"}`, 400, "", ""},
		{"a room that is not a string", "application/json", `{"name": "Ha", "text": "hello", "room": 2}`, 400, "", ""},
	} {
		status, body := post(tc.contentType, tc.body)
		if status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.status)
			continue
		}
		if status != 201 {
			if !strings.Contains(body, "room") {
				t.Errorf("%s: %s does not say what is wrong with the room", tc.name, body)
			}
			continue
		}
		var got struct {
			Item live.Item `json:"item"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%s: %v in %s", tc.name, err, body)
		}
		if got.Item.Session != tc.session || got.Item.Room != tc.room {
			t.Errorf("%s: placed in %q (room %q), want %q (room %q)", tc.name, got.Item.Session, got.Item.Room, tc.session, tc.room)
		}
	}
	status, body, _ := get(t, w.Fiber, "/events/parallel?room=room-b")
	if status != 200 || !strings.Contains(body, `<input type="hidden" name="room" value="room-b">`) {
		t.Errorf("room B's page: %d, want its form to name the room:\n%s", status, body)
	}
	if _, body, _ := get(t, w.Fiber, "/events/parallel"); strings.Contains(body, `name="room"`) {
		t.Error("the page of all rooms names a room in its form")
	}
}
