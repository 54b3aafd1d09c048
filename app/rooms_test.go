package app

import (
	"context"
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
