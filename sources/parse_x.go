package sources

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/backchannel/backchannel/live"
)

// XStreamError is an errors[] message of the filtered stream with no data,
// such as an operational disconnect: the stream is about to close and the
// client must reconnect.
type XStreamError struct {
	Title string
	Type  string
	// Detail is the server's explanation.
	Detail string
}

func (e *XStreamError) Error() string {
	return fmt.Sprintf("sources: x stream error %q: %s", e.Title, e.Detail)
}

// XEvent is one parsed line of the filtered stream.
type XEvent struct {
	// KeepAlive is true for the blank lines X sends every few seconds.
	KeepAlive bool
	// Item is the tweet (nil for keep-alives).
	Item *live.Item
	// RuleTags and RuleIDs are the tags and ids of the rules the tweet matched.
	RuleTags []string
	RuleIDs  []string
	// EditOf is the id of the original tweet when this one is an edit of
	// it (edit_history_tweet_ids lists the original first); the item then
	// carries the original's ID, so the edit updates it.
	EditOf string
}

type xUser struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Username        string `json:"username"`
	ProfileImageURL string `json:"profile_image_url"`
}

type xMedia struct {
	MediaKey        string `json:"media_key"`
	Type            string `json:"type"`
	URL             string `json:"url"`
	PreviewImageURL string `json:"preview_image_url"`
	AltText         string `json:"alt_text"`
}

type xTweet struct {
	ID          string    `json:"id"`
	Text        string    `json:"text"`
	AuthorID    string    `json:"author_id"`
	CreatedAt   time.Time `json:"created_at"`
	EditHistory []string  `json:"edit_history_tweet_ids"`
	// PossiblySensitive, Lang and ReferencedTweets are tweet fields
	// (tweet.fields=possibly_sensitive,lang,referenced_tweets): a retweet
	// references "retweeted", a reply "replied_to".
	PossiblySensitive bool   `json:"possibly_sensitive"`
	Lang              string `json:"lang"`
	InReplyToUserID   string `json:"in_reply_to_user_id"`
	ReferencedTweets  []struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"referenced_tweets"`
	Attachments struct {
		MediaKeys []string `json:"media_keys"`
	} `json:"attachments"`
	Entities struct {
		URLs []struct {
			URL         string `json:"url"`
			ExpandedURL string `json:"expanded_url"`
			DisplayURL  string `json:"display_url"`
			MediaKey    string `json:"media_key"`
		} `json:"urls"`
	} `json:"entities"`
}

type xMessage struct {
	Data     *xTweet `json:"data"`
	Includes struct {
		Users []xUser  `json:"users"`
		Media []xMedia `json:"media"`
	} `json:"includes"`
	MatchingRules []struct {
		ID  string `json:"id"`
		Tag string `json:"tag"`
	} `json:"matching_rules"`
	Errors []struct {
		Title  string `json:"title"`
		Type   string `json:"type"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

// ParseXLine parses one line of the filtered stream (its "\r\n" already
// removed or not). A blank line is a keep-alive; an errors[] message without
// data returns a *XStreamError.
func ParseXLine(line []byte, now time.Time) (XEvent, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return XEvent{KeepAlive: true}, nil
	}
	var m xMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return XEvent{}, fmt.Errorf("sources: x stream: %w", err)
	}
	if m.Data == nil {
		if len(m.Errors) > 0 {
			e := m.Errors[0]
			return XEvent{}, &XStreamError{Title: e.Title, Type: e.Type, Detail: e.Detail}
		}
		return XEvent{}, fmt.Errorf("sources: x stream: message without data")
	}
	t := m.Data
	if t.ID == "" || strings.ContainsAny(t.ID, "/ ") {
		return XEvent{}, fmt.Errorf("sources: x stream: tweet without id")
	}
	var author live.Author
	for _, u := range m.Includes.Users {
		if u.ID == t.AuthorID {
			author = live.Author{Name: u.Name, Handle: "@" + u.Username, URL: "https://x.com/" + u.Username, AvatarURL: u.ProfileImageURL}
			break
		}
	}
	origin := "https://x.com/i/web/status/" + t.ID
	if author.Handle != "" {
		origin = "https://x.com/" + strings.TrimPrefix(author.Handle, "@") + "/status/" + t.ID
	}
	text, htm := xText(t)
	it := live.Item{ID: ItemID("x", t.ID), Source: "x", Author: author, Text: text, HTML: htm, URL: origin, CreatedAt: t.CreatedAt,
		Sensitive: t.PossiblySensitive, Reply: t.InReplyToUserID != ""}
	// X says "und" when it could not tell; "qme", "qht" and friends are its
	// codes for media-only, hashtags-only and the like: no language either.
	if len(t.Lang) == 2 {
		it.Language = t.Lang
	}
	for _, r := range t.ReferencedTweets {
		switch r.Type {
		case "retweeted":
			it.Repost = true
		case "replied_to":
			it.Reply = true
		}
	}
	var editOf string
	if len(t.EditHistory) > 1 && t.EditHistory[0] != t.ID && !strings.ContainsAny(t.EditHistory[0], "/ ") {
		editOf = t.EditHistory[0]
		it.ID = ItemID("x", editOf)
	}
	for _, key := range t.Attachments.MediaKeys {
		for _, md := range m.Includes.Media {
			if md.MediaKey != key {
				continue
			}
			switch md.Type {
			case "photo":
				it.Media = append(it.Media, live.Media{Type: "image", URL: md.URL, Alt: md.AltText})
			case "video", "animated_gif":
				// Only the poster frame: the video itself needs a signed URL.
				it.Media = append(it.Media, live.Media{Type: "image", URL: md.PreviewImageURL, Alt: md.AltText})
			}
		}
	}
	Finish(&it, now)
	ev := XEvent{Item: &it, EditOf: editOf}
	for _, r := range m.MatchingRules {
		ev.RuleTags = append(ev.RuleTags, r.Tag)
		ev.RuleIDs = append(ev.RuleIDs, r.ID)
	}
	return ev, nil
}

// xText renders a tweet's text. X serves it HTML-escaped (&amp; &lt; &gt;),
// so it is unescaped first; each t.co link of entities.urls becomes its
// expanded_url in the plain text and a link showing display_url in the
// HTML; links to the tweet's own media (media_key set) are dropped, since
// the media travel beside the text.
func xText(t *xTweet) (string, string) {
	text := html.UnescapeString(t.Text)
	type link struct{ short, href, display string }
	var links []link
	for _, u := range t.Entities.URLs {
		if u.URL == "" || !strings.Contains(text, u.URL) {
			continue
		}
		href := SafeURL(u.ExpandedURL)
		if u.MediaKey != "" || href == "" {
			text = strings.Replace(text, u.URL, "", 1)
			continue
		}
		display := u.DisplayURL
		if display == "" {
			display = href
		}
		links = append(links, link{u.URL, href, display})
	}
	text = strings.TrimSpace(text)
	// The HTML is built from escaped pieces around each link, in order.
	var b strings.Builder
	rest := text
	plain := text
	for _, l := range links {
		i := strings.Index(rest, l.short)
		if i < 0 {
			continue
		}
		b.WriteString(escapeLines(rest[:i]))
		fmt.Fprintf(&b, `<a href="%s" rel="nofollow noopener" target="_blank">%s</a>`, html.EscapeString(l.href), html.EscapeString(l.display))
		rest = rest[i+len(l.short):]
		plain = strings.Replace(plain, l.short, l.href, 1)
	}
	b.WriteString(escapeLines(rest))
	return plain, SanitizeHTML("<p>" + b.String() + "</p>")
}
