package store

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// Items as the moderation verbs read and change them. Package moderation
// decides what a verb does; these only run its queries.

// ItemFlags is an item's moderation state as stored.
type ItemFlags struct {
	Seq    int64
	Hidden bool
	Pinned bool
	Review string
}

// LockItemFlags returns the moderation state of those of seqs that
// Postgres holds (not those still only in the live log), and locks their
// rows for the rest of the transaction.
func (s *Store) LockItemFlags(ctx context.Context, eventID int64, seqs []int64) (map[int64]ItemFlags, error) {
	out := make(map[int64]ItemFlags, len(seqs))
	if len(seqs) == 0 {
		return out, nil
	}
	var rows []ItemFlags
	err := s.db.WithContext(ctx).Raw(`SELECT seq, hidden, pinned, review FROM items
		WHERE event_id = ? AND seq IN ? ORDER BY seq FOR UPDATE`, eventID, seqs).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: lock items of event %d: %w", eventID, err)
	}
	for _, r := range rows {
		out[r.Seq] = r
	}
	return out, nil
}

// StoredSeqs returns which of seqs Postgres holds, without locking them.
func (s *Store) StoredSeqs(ctx context.Context, eventID int64, seqs []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(seqs))
	if len(seqs) == 0 {
		return out, nil
	}
	var found []int64
	if err := s.db.WithContext(ctx).Raw(`SELECT seq FROM items WHERE event_id = ? AND seq IN ?`, eventID, seqs).Scan(&found).Error; err != nil {
		return nil, fmt.Errorf("store: stored items of event %d: %w", eventID, err)
	}
	for _, seq := range found {
		out[seq] = true
	}
	return out, nil
}

// ItemChange is what a moderation verb sets on items; nil leaves a column
// as it is.
type ItemChange struct {
	Hidden *bool
	Pinned *bool
	Review *string
}

// ChangeItems applies ch to the stored items among seqs.
func (s *Store) ChangeItems(ctx context.Context, eventID int64, seqs []int64, ch ItemChange) error {
	set := map[string]any{}
	if ch.Hidden != nil {
		set["hidden"] = *ch.Hidden
	}
	if ch.Pinned != nil {
		set["pinned"] = *ch.Pinned
	}
	if ch.Review != nil {
		set["review"] = *ch.Review
	}
	if len(seqs) == 0 || len(set) == 0 {
		return nil
	}
	err := s.db.WithContext(ctx).Model(&models.Item{}).Where("event_id = ? AND seq IN ?", eventID, seqs).Updates(set).Error
	if err != nil {
		return fmt.Errorf("store: change items of event %d: %w", eventID, err)
	}
	return nil
}

// ItemText is what a moderation rule reads of a stored item.
type ItemText struct {
	Seq          int64
	AuthorName   string
	AuthorHandle string
	Text         string
	Poster       string // a room post's sealed poster (live.Item.Poster)
}

// UnhiddenItemTexts returns up to limit stored items of the event that are
// not hidden, with seq above after, in seq order: the candidates a rule
// applied to past items may hide.
func (s *Store) UnhiddenItemTexts(ctx context.Context, eventID, after int64, limit int) ([]ItemText, error) {
	var rows []ItemText
	err := s.db.WithContext(ctx).Raw(`SELECT seq, author_name, author_handle, text, coalesce(meta->>'poster', '') AS poster FROM items
		WHERE event_id = ? AND NOT hidden AND seq > ? ORDER BY seq LIMIT ?`, eventID, after, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: unhidden items of event %d: %w", eventID, err)
	}
	return rows, nil
}

// ItemsForOps returns the stored items among seqs as the live log carries
// them (live.FromRow, with their session's slug): what an unhide, pin or
// unpin entry holds.
func (s *Store) ItemsForOps(ctx context.Context, eventID int64, seqs []int64) (map[int64]live.Item, error) {
	out := make(map[int64]live.Item, len(seqs))
	if len(seqs) == 0 {
		return out, nil
	}
	var rows []models.Item
	if err := s.db.WithContext(ctx).Omit("search").Where("event_id = ? AND seq IN ?", eventID, seqs).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: items of event %d: %w", eventID, err)
	}
	slugs, err := s.sessionSlugsOf(ctx, rows)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		at := slugs[rowSessionID(r)]
		out[r.Seq] = live.FromRow(r, at.session, at.room)
	}
	return out, nil
}

func rowSessionID(r models.Item) int64 {
	if r.SessionID == nil {
		return 0
	}
	return *r.SessionID
}

// itemSlugs are the slugs of an item's session and of that session's room.
type itemSlugs struct{ session, room string }

// sessionSlugsOf returns the slugs of the sessions rows belong to, and of
// their rooms.
func (s *Store) sessionSlugsOf(ctx context.Context, rows []models.Item) (map[int64]itemSlugs, error) {
	var ids []int64
	for _, r := range rows {
		if id := rowSessionID(r); id != 0 {
			ids = append(ids, id)
		}
	}
	out := map[int64]itemSlugs{}
	if len(ids) == 0 {
		return out, nil
	}
	var ss []struct {
		ID       int64
		Slug     string
		RoomSlug string
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT s.id, s.slug, coalesce(r.slug, '') AS room_slug
		FROM sessions s LEFT JOIN rooms r ON r.id = s.room_id WHERE s.id IN ?`, ids).Scan(&ss).Error; err != nil {
		return nil, fmt.Errorf("store: session slugs: %w", err)
	}
	for _, x := range ss {
		out[x.ID] = itemSlugs{x.Slug, x.RoomSlug}
	}
	return out, nil
}

// ItemPlace is where a stored item sits: its session's id and slug (0 and
// "" for none) and the rule that put it there.
type ItemPlace struct {
	Seq         int64
	SessionID   int64
	SessionSlug string
	Placement   string
}

// LockItemPlaces returns where those of seqs that Postgres holds sit, and
// locks their rows for the rest of the transaction.
func (s *Store) LockItemPlaces(ctx context.Context, eventID int64, seqs []int64) (map[int64]ItemPlace, error) {
	out := make(map[int64]ItemPlace, len(seqs))
	if len(seqs) == 0 {
		return out, nil
	}
	var rows []ItemPlace
	err := s.db.WithContext(ctx).Raw(`SELECT i.seq, coalesce(i.session_id, 0) AS session_id, coalesce(s.slug, '') AS session_slug, i.placement
		FROM items i LEFT JOIN sessions s ON s.id = i.session_id
		WHERE i.event_id = ? AND i.seq IN ? ORDER BY i.seq FOR UPDATE OF i`, eventID, seqs).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: lock items of event %d: %w", eventID, err)
	}
	for _, r := range rows {
		out[r.Seq] = r
	}
	return out, nil
}

// PlaceItems puts the stored items among seqs in session sessionID as a
// moderator's placement (placement 'manual').
func (s *Store) PlaceItems(ctx context.Context, eventID int64, seqs []int64, sessionID int64) error {
	if len(seqs) == 0 {
		return nil
	}
	err := s.db.WithContext(ctx).Exec(`UPDATE items SET session_id = ?, placement = 'manual' WHERE event_id = ? AND seq IN ?`,
		sessionID, eventID, seqs).Error
	if err != nil {
		return fmt.Errorf("store: place items of event %d: %w", eventID, err)
	}
	return nil
}

// SessionBySlug returns an event's session with slug (its Room loaded), or
// models.NotFound("session", slug).
func (s *Store) SessionBySlug(ctx context.Context, eventID int64, slug string) (*models.Session, error) {
	var ss models.Session
	if err := s.db.WithContext(ctx).Where("event_id = ? AND slug = ?", eventID, slug).Take(&ss).Error; err != nil {
		return nil, fmt.Errorf("store: session %q: %w", slug, notFound(err, "session", slug))
	}
	if ss.RoomID != nil {
		var r models.Room
		if err := s.db.WithContext(ctx).Where("id = ?", *ss.RoomID).Take(&r).Error; err == nil {
			ss.Room = &r
		}
	}
	return &ss, nil
}
