package sources

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/backchannel/backchannel/live"
)

// Mastodon streaming event names.
const (
	MastodonUpdate       = "update"
	MastodonDelete       = "delete"
	MastodonStatusUpdate = "status.update"
)

// ErrUnknownEvent is returned for a stream event this package does not handle.
var ErrUnknownEvent = errors.New("sources: unknown event type")

// MastodonEvent is one parsed event of a Mastodon stream.
type MastodonEvent struct {
	// Kind is MastodonUpdate, MastodonDelete or MastodonStatusUpdate.
	Kind string
	// Item is the status (update, status.update).
	Item live.Item
	// StatusID is the status id local to the instance streamed from: the
	// REST paging cursor, and what a delete names.
	StatusID string
}

type mastodonAccount struct {
	Username    string `json:"username"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
	URL         string `json:"url"`
	Avatar      string `json:"avatar"`
	// Bot: the account says it is automated (Account.bot).
	Bot bool `json:"bot"`
}

type mastodonAttachment struct {
	Type        string `json:"type"`
	URL         string `json:"url"`
	PreviewURL  string `json:"preview_url"`
	RemoteURL   string `json:"remote_url"`
	Description string `json:"description"`
}

type mastodonStatus struct {
	ID          string               `json:"id"`
	URI         string               `json:"uri"`
	URL         string               `json:"url"`
	CreatedAt   time.Time            `json:"created_at"`
	SpoilerText string               `json:"spoiler_text"`
	Content     string               `json:"content"`
	Account     mastodonAccount      `json:"account"`
	Media       []mastodonAttachment `json:"media_attachments"`
	Reblog      *mastodonStatus      `json:"reblog"`
	// Sensitive marks the media sensitive (Status.sensitive); Language is
	// ISO 639-1 or null; InReplyToID is set on replies.
	Sensitive   bool    `json:"sensitive"`
	Language    *string `json:"language"`
	InReplyToID *string `json:"in_reply_to_id"`
}

// ParseMastodonEvent parses one streaming event (its SSE event name and data).
func ParseMastodonEvent(event string, data []byte, now time.Time) (MastodonEvent, error) {
	switch event {
	case MastodonUpdate, MastodonStatusUpdate:
		it, id, err := ParseMastodonStatus(data, now)
		if err != nil {
			return MastodonEvent{}, err
		}
		return MastodonEvent{Kind: event, Item: it, StatusID: id}, nil
	case MastodonDelete:
		id := strings.TrimSpace(string(data))
		// The payload is a bare id; some servers send it as a JSON string.
		var s string
		if json.Unmarshal(data, &s) == nil {
			id = s
		}
		if id == "" || len(id) > 64 || strings.ContainsAny(id, " \n\"") {
			return MastodonEvent{}, fmt.Errorf("sources: mastodon delete: bad id %q", truncate(id, 80))
		}
		return MastodonEvent{Kind: MastodonDelete, StatusID: id}, nil
	}
	return MastodonEvent{}, fmt.Errorf("sources: mastodon event %q: %w", truncate(event, 40), ErrUnknownEvent)
}

// ParseMastodonStatus turns a status JSON into an item and the status's local
// id. The item ID is "mastodon:<uri>": the uri is the same on every instance,
// so the streamed copy and the REST copy of a status dedupe.
func ParseMastodonStatus(data []byte, now time.Time) (live.Item, string, error) {
	var st mastodonStatus
	if err := json.Unmarshal(data, &st); err != nil {
		return live.Item{}, "", fmt.Errorf("sources: mastodon status: %w", err)
	}
	return mastodonItem(st, now)
}

// ParseMastodonTimeline parses a REST timeline page (an array of statuses),
// skipping statuses that do not parse; ids are the local ids, in page order.
func ParseMastodonTimeline(data []byte, now time.Time) ([]live.Item, []string, error) {
	p, err := ParseMastodonPage(data, now)
	return p.Items, p.IDs, err
}

// MastodonPage is one parsed timeline page.
type MastodonPage struct {
	// Items and IDs (local status ids) of the statuses that parsed, in page
	// order (newest first).
	Items []live.Item
	IDs   []string
	// Len is how many statuses the page held, parsed or not: a page is
	// full (more may follow) by this count, so one bad status never ends
	// paging early.
	Len int
	// Bad holds why each unusable status was skipped.
	Bad []error
}

// ParseMastodonPage parses a REST timeline page. Anything but a JSON array
// (a CDN's HTML page served with 200, an error object) is an error: the
// page was not read, which is never the same as an empty page.
func ParseMastodonPage(data []byte, now time.Time) (MastodonPage, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return MastodonPage{}, fmt.Errorf("sources: mastodon timeline page is not a JSON array (%s): %w", truncate(strings.TrimSpace(string(data)), 60), err)
	}
	p := MastodonPage{Len: len(raw), Items: make([]live.Item, 0, len(raw)), IDs: make([]string, 0, len(raw))}
	for _, r := range raw {
		it, id, err := ParseMastodonStatus(r, now)
		if err != nil {
			p.Bad = append(p.Bad, err)
			continue
		}
		p.Items = append(p.Items, it)
		p.IDs = append(p.IDs, id)
	}
	return p, nil
}

func mastodonItem(st mastodonStatus, now time.Time) (live.Item, string, error) {
	localID := st.ID
	// A boost shows the boosted status, marked as a repost (the booster's
	// own account may be a bot: the status's author counts).
	reblogged := st.Reblog != nil
	if reblogged {
		st = *st.Reblog
	}
	if localID == "" || st.URI == "" {
		return live.Item{}, "", errors.New("sources: mastodon status: missing id or uri")
	}
	author := live.Author{
		Name:      st.Account.DisplayName,
		Handle:    mastodonHandle(st.Account),
		URL:       st.Account.URL,
		AvatarURL: st.Account.Avatar,
	}
	if strings.TrimSpace(author.Name) == "" {
		author.Name = st.Account.Username
	}
	origin := st.URL
	if origin == "" {
		origin = st.URI
	}
	it := NormalizeHTML("mastodon", st.URI, author, st.Content, origin, st.CreatedAt, now)
	// The warning travels beside the content (Item.ContentWarning): pages
	// show it first and the content behind it, blurred on the wall.
	it.ContentWarning = NormalizeText(st.SpoilerText)
	it.Sensitive = st.Sensitive
	if st.Language != nil {
		it.Language = *st.Language
	}
	it.Reply = st.InReplyToID != nil && *st.InReplyToID != ""
	it.Repost = reblogged
	it.Bot = st.Account.Bot
	for _, m := range st.Media {
		typ := "image"
		switch m.Type {
		case "video", "gifv":
			typ = "video"
		case "image":
		default:
			continue
		}
		u := m.URL
		if u == "" {
			u = m.RemoteURL
		}
		it.Media = append(it.Media, live.Media{Type: typ, URL: u, ThumbURL: m.PreviewURL, Alt: m.Description})
	}
	it.Media = NormalizeMedia(it.Media)
	return it, localID, nil
}

// mastodonHandle is "@user@domain"; local accounts (acct without a domain)
// get the domain of their profile URL.
func mastodonHandle(a mastodonAccount) string {
	acct := strings.TrimPrefix(a.Acct, "@")
	if acct == "" {
		acct = a.Username
	}
	if acct == "" {
		return ""
	}
	if !strings.Contains(acct, "@") {
		if u, err := url.Parse(a.URL); err == nil && u.Host != "" {
			acct += "@" + u.Host
		}
	}
	return "@" + acct
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
