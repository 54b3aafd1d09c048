package live

import (
	"encoding/json"
	"strings"

	"github.com/backchannel/backchannel/models"
)

// FromRow maps a stored items row to the Live API's item: the one mapping,
// used by the archive, the moderation verbs and the live history alike.
// sessionSlug and roomSlug are the slugs of the row's session and its room
// ("" for none). A rejected row reads as hidden, a pending one as held, so
// Public agrees with VisibleSQL.
func FromRow(m models.Item, sessionSlug, roomSlug string) Item {
	it := Item{
		Seq:    m.Seq,
		ID:     m.Source + ":" + m.ExternalID,
		Source: m.Source,
		Kind:   m.Kind,
		Author: Author{Name: m.AuthorName, Handle: m.AuthorHandle, URL: m.AuthorURL, AvatarURL: m.AuthorAvatar},
		Text:   m.Text, HTML: m.HTML, URL: m.URL,
		CreatedAt: m.CreatedAt, ReceivedAt: m.ReceivedAt,
		Session:  sessionSlug,
		Room:     roomSlug,
		Placed:   m.Placement == models.PlacedManually,
		Pinned:   m.Pinned,
		Hidden:   m.Hidden || m.Review == models.ReviewRejected,
		Held:     m.Review == models.ReviewPending,
		Rejected: m.Review == models.ReviewRejected,
	}
	if len(m.Media) > 0 {
		_ = json.Unmarshal(m.Media, &it.Media) // the column is written from []Media: a bad value shows no media
	}
	if it.Media == nil {
		it.Media = []Media{}
	}
	if len(m.Meta) > 0 {
		var meta Meta
		if json.Unmarshal(m.Meta, &meta) == nil { // written from Meta: a bad value shows none
			it.SetMeta(meta)
		}
	}
	return it
}

// ToRow maps a live item to an items row of eventID (the strainer's
// direction). sessionID is the session the item belongs to, if any.
func ToRow(eventID int64, it Item, sessionID *int64) models.Item {
	media, _ := json.Marshal(it.Media) // []Media always encodes
	if it.Media == nil {
		media = []byte("[]")
	}
	return models.Item{
		EventID: eventID, Seq: it.Seq,
		Source: it.Source, ExternalID: strings.TrimPrefix(it.ID, it.Source+":"),
		Kind:       it.Kind,
		AuthorName: it.Author.Name, AuthorHandle: it.Author.Handle, AuthorURL: it.Author.URL, AuthorAvatar: it.Author.AvatarURL,
		Text: it.Text, HTML: it.HTML, Media: media, URL: it.URL,
		CreatedAt: it.CreatedAt, ReceivedAt: it.ReceivedAt,
		SessionID: sessionID,
		Hidden:    it.Hidden, Pinned: it.Pinned, Review: it.Review(),
		Meta: it.MetaJSON(),
	}
}
