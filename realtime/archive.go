package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

// PostgresArchive serves the entries Redis no longer holds from what the
// strainer copied into Postgres: the items table (adds, with each item's
// current state) merged in seq order with log_ops (the other entries).
type PostgresArchive struct {
	db *gorm.DB
}

// NewPostgresArchive returns the archive over db.
func NewPostgresArchive(db *gorm.DB) *PostgresArchive {
	return &PostgresArchive{db: db}
}

// archivedItem is an items row with its session's slug.
type archivedItem struct {
	models.Item `gorm:"embedded"`
	SessionSlug string
}

// archivedOp is a log_ops row with the current state of its target item.
type archivedOp struct {
	OpSeq       int64
	Op          string
	OpTarget    int64
	models.Item `gorm:"embedded"`
	SessionSlug string
}

// Public items only: hidden, pending and rejected ones never reach the live API.
const archiveItemsSQL = `
SELECT i.*, COALESCE(s.slug, '') AS session_slug
FROM items i LEFT JOIN sessions s ON s.id = i.session_id
WHERE i.event_id = ? AND i.seq > ? AND i.seq <= ? AND NOT i.hidden AND i.review = 'approved'
ORDER BY i.seq
LIMIT ?`

// A hide is always public (clients drop what they do not hold); other ops
// only when their target is public now, carrying its current state. The
// filter is in SQL so LIMIT counts only entries that are returned.
const archiveOpsSQL = `
SELECT o.seq AS op_seq, o.op, o.target AS op_target, i.*, COALESCE(s.slug, '') AS session_slug
FROM log_ops o
LEFT JOIN items i ON i.event_id = o.event_id AND i.seq = o.target
LEFT JOIN sessions s ON s.id = i.session_id
WHERE o.event_id = ? AND o.seq > ? AND o.seq <= ?
  AND (o.op = 'hide' OR (i.seq IS NOT NULL AND NOT i.hidden AND i.review = 'approved'))
ORDER BY o.seq
LIMIT ?`

// EntriesAfter returns the public entries with after < seq <= upTo in seq
// order, at most limit; fewer than limit means none is left in the range.
func (a *PostgresArchive) EntriesAfter(ctx context.Context, eventID int64, after, upTo int64, limit int) ([]Entry, error) {
	if limit <= 0 || upTo <= after {
		return nil, nil
	}
	var items []archivedItem
	if err := a.db.WithContext(ctx).Raw(archiveItemsSQL, eventID, after, upTo, limit).Scan(&items).Error; err != nil {
		return nil, fmt.Errorf("realtime: archive items of event %d after %d: %w", eventID, after, err)
	}
	var ops []archivedOp
	if err := a.db.WithContext(ctx).Raw(archiveOpsSQL, eventID, after, upTo, limit).Scan(&ops).Error; err != nil {
		return nil, fmt.Errorf("realtime: archive ops of event %d after %d: %w", eventID, after, err)
	}
	out := make([]Entry, 0, min(limit, len(items)+len(ops)))
	i, j := 0, 0
	for len(out) < limit && (i < len(items) || j < len(ops)) {
		if j >= len(ops) || (i < len(items) && items[i].Seq < ops[j].OpSeq) {
			it := ItemFromModel(items[i].Item, items[i].SessionSlug)
			out = append(out, Entry{Seq: it.Seq, Op: OpAdd, Item: &it})
			i++
			continue
		}
		o := ops[j]
		e := Entry{Seq: o.OpSeq, Op: o.Op, Target: o.OpTarget}
		if o.Op != OpHide {
			it := ItemFromModel(o.Item, o.SessionSlug)
			e.Item = &it
		}
		out = append(out, e)
		j++
	}
	return out, nil
}

// ItemFromModel maps a strained items row to the Live API's item. sessionSlug
// is the slug of the row's session ("" for none).
func ItemFromModel(m models.Item, sessionSlug string) Item {
	it := Item{
		Seq:    m.Seq,
		ID:     m.Source + ":" + m.ExternalID,
		Source: m.Source,
		Kind:   m.Kind,
		Author: Author{Name: m.AuthorName, Handle: m.AuthorHandle, URL: m.AuthorURL, AvatarURL: m.AuthorAvatar},
		Text:   m.Text, HTML: m.HTML, URL: m.URL,
		CreatedAt: m.CreatedAt, ReceivedAt: m.ReceivedAt,
		Session: sessionSlug,
		Pinned:  m.Pinned,
		Hidden:  m.Hidden || m.Review == models.ReviewRejected,
		Held:    m.Review == models.ReviewPending,
	}
	if len(m.Media) > 0 {
		_ = json.Unmarshal(m.Media, &it.Media) // the column is written from []Media: a bad value shows no media
	}
	if it.Media == nil {
		it.Media = []Media{}
	}
	return it
}

// ModelFromItem maps a live item to an items row of eventID (the strainer's
// direction). sessionID is the session whose window holds the item, if any.
func ModelFromItem(eventID int64, it Item, sessionID *int64) models.Item {
	media, _ := json.Marshal(it.Media) // []Media always encodes
	if it.Media == nil {
		media = []byte("[]")
	}
	review := models.ReviewApproved
	if it.Held {
		review = models.ReviewPending
	}
	return models.Item{
		EventID: eventID, Seq: it.Seq,
		Source: it.Source, ExternalID: strings.TrimPrefix(it.ID, it.Source+":"),
		Kind:       it.Kind,
		AuthorName: it.Author.Name, AuthorHandle: it.Author.Handle, AuthorURL: it.Author.URL, AuthorAvatar: it.Author.AvatarURL,
		Text: it.Text, HTML: it.HTML, Media: media, URL: it.URL,
		CreatedAt: it.CreatedAt, ReceivedAt: it.ReceivedAt,
		SessionID: sessionID,
		Hidden:    it.Hidden, Pinned: it.Pinned, Review: review,
	}
}
