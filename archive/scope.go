package archive

import (
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/store"
)

// scope is the part of an event an export, a feed or the items API covers
// (docs/API.md: archives, feeds and exports by room and track as well as
// by session): ?session=S, ?room=R or ?track=T, at most one; none is the
// whole event.
type scope struct {
	// kind is "session", "room", "track" or "" (the whole event); name the
	// slug or track asked for.
	kind, name string
	sessionID  int64
	sessionIDs []int64 // a room's or a track's sessions (non-nil when kind is room or track)
}

// scopeOf reads the scope of a request; an unknown session, room or track,
// or two at once, is a 400 naming it.
func (h *Handler) scopeOf(c *fiber.Ctx, ec *eventCtx) (scope, error) {
	var sc scope
	for _, k := range []string{"session", "room", "track"} {
		v := strings.TrimSpace(c.Query(k))
		if v == "" {
			continue
		}
		if sc.kind != "" {
			return scope{}, fiber.NewError(fiber.StatusBadRequest, "Ask for one of session, room or track, not "+sc.kind+" and "+k+".")
		}
		sc.kind, sc.name = k, v
	}
	switch sc.kind {
	case "session":
		s, err := h.session(ec, sc.name)
		if err != nil {
			return scope{}, fiber.NewError(fiber.StatusBadRequest, "The event has no session "+strconv.Quote(sc.name)+".")
		}
		sc.sessionID = s.ID
	case "room":
		if _, ok := ec.rooms[sc.name]; !ok {
			return scope{}, fiber.NewError(fiber.StatusBadRequest, "The event has no room "+strconv.Quote(sc.name)+".")
		}
		sc.sessionIDs = []int64{}
		for id, room := range ec.roomOf {
			if room == sc.name {
				sc.sessionIDs = append(sc.sessionIDs, id)
			}
		}
	case "track":
		sc.sessionIDs = []int64{}
		for _, s := range ec.bySlug {
			if strings.EqualFold(s.Track, sc.name) {
				sc.sessionIDs = append(sc.sessionIDs, s.ID)
			}
		}
		if len(sc.sessionIDs) == 0 {
			return scope{}, fiber.NewError(fiber.StatusBadRequest, "The event has no track "+strconv.Quote(sc.name)+".")
		}
	}
	sort.Slice(sc.sessionIDs, func(i, j int) bool { return sc.sessionIDs[i] < sc.sessionIDs[j] })
	return sc, nil
}

// query narrows an item query to the scope.
func (sc scope) query(q store.ItemQuery) store.ItemQuery {
	q.SessionID, q.SessionIDs = sc.sessionID, sc.sessionIDs
	return q
}

// key names the scope in cache keys and file names ("" for the whole event).
func (sc scope) key() string {
	if sc.kind == "" {
		return ""
	}
	return sc.kind + "-" + sc.name
}

// trackOf is the track of a session id ("" for none).
func (e *eventInfo) trackOf(id *int64) string {
	if id == nil {
		return ""
	}
	if s, ok := e.bySlug[e.slugByID[*id]]; ok {
		return s.Track
	}
	return ""
}
