package live

import "encoding/json"

// Meta is what an item carries beyond its text and media, as the items
// table keeps it (one JSON column, items.meta): nothing queries inside it.
type Meta struct {
	Sensitive      bool     `json:"sensitive,omitempty"`
	ContentWarning string   `json:"content_warning,omitempty"`
	Labels         []string `json:"labels,omitempty"`
	Language       string   `json:"language,omitempty"`
	Reply          bool     `json:"reply,omitempty"`
	Repost         bool     `json:"repost,omitempty"`
	Bot            bool     `json:"bot,omitempty"`
	Card           *Card    `json:"card,omitempty"`
	Poster         string   `json:"poster,omitempty"`
}

// Meta returns the item's meta.
func (it Item) Meta() Meta {
	return Meta{Sensitive: it.Sensitive, ContentWarning: it.ContentWarning, Labels: it.Labels, Language: it.Language,
		Reply: it.Reply, Repost: it.Repost, Bot: it.Bot, Card: it.Card, Poster: it.Poster}
}

// SetMeta sets the item's meta fields from m.
func (it *Item) SetMeta(m Meta) {
	it.Sensitive, it.ContentWarning, it.Labels, it.Language = m.Sensitive, m.ContentWarning, m.Labels, m.Language
	it.Reply, it.Repost, it.Bot, it.Card, it.Poster = m.Reply, m.Repost, m.Bot, m.Card, m.Poster
}

// MetaJSON encodes the item's meta for the items table ("{}" when empty).
func (it Item) MetaJSON() []byte {
	b, err := json.Marshal(it.Meta())
	if err != nil { // Meta always encodes
		return []byte("{}")
	}
	return b
}
