package sources

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

// Rules is an event's moderation at ingest.
type Rules struct {
	// BlockedAuthors match an item's author handle (with or without the
	// leading @) or name, case-insensitively.
	BlockedAuthors []string
	// BlockedWords match whole words of the item's text, case-insensitively.
	BlockedWords []string
	// HoldAll holds every item for approval (event moderation "before").
	HoldAll bool
}

// Apply marks it Hidden when a rule blocks it and Held when the event holds
// every item for approval. It never clears either flag.
func (r Rules) Apply(it *realtime.Item) {
	if r.HoldAll {
		it.Held = true
	}
	if r.blocksAuthor(it.Author) || r.blocksText(it.Text) {
		it.Hidden = true
	}
}

func (r Rules) blocksAuthor(a realtime.Author) bool {
	handle := strings.TrimPrefix(strings.ToLower(a.Handle), "@")
	name := strings.ToLower(strings.TrimSpace(a.Name))
	for _, b := range r.BlockedAuthors {
		b = strings.ToLower(strings.TrimSpace(b))
		if b == "" {
			continue
		}
		bh := strings.TrimPrefix(b, "@")
		if (handle != "" && bh == handle) || (name != "" && b == name) {
			return true
		}
		// "@ada" blocks the local part of "@ada@example.social" only when the
		// rule has no domain itself.
		if handle != "" && !strings.Contains(bh, "@") {
			if local, _, ok := strings.Cut(handle, "@"); ok && local == bh {
				return true
			}
		}
	}
	return false
}

func (r Rules) blocksText(text string) bool {
	if len(r.BlockedWords) == 0 || text == "" {
		return false
	}
	lower := strings.ToLower(text)
	for _, w := range r.BlockedWords {
		w = strings.ToLower(strings.TrimSpace(w))
		if w != "" && containsWord(lower, w) {
			return true
		}
	}
	return false
}

// containsWord reports whether w occurs in s with no letter or digit right
// before or after it.
func containsWord(s, w string) bool {
	for from := 0; from <= len(s)-len(w); {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(w)
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (i == 0 || !isWordRune(before)) && (end == len(s) || !isWordRune(after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		from = i + size
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// LoadRules reads an event's moderation rules and moderation mode.
func LoadRules(ctx context.Context, db *gorm.DB, eventID int64) (Rules, error) {
	var ev models.Event
	if err := db.WithContext(ctx).Select("id", "moderation").Take(&ev, eventID).Error; err != nil {
		return Rules{}, fmt.Errorf("sources: load rules: event %d: %w", eventID, err)
	}
	var rows []models.ModerationRule
	if err := db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&rows).Error; err != nil {
		return Rules{}, fmt.Errorf("sources: load rules of event %d: %w", eventID, err)
	}
	r := Rules{HoldAll: ev.Moderation == models.ModerationBefore}
	for _, row := range rows {
		switch row.Kind {
		case "author":
			r.BlockedAuthors = append(r.BlockedAuthors, row.Value)
		case "word":
			r.BlockedWords = append(r.BlockedWords, row.Value)
		}
	}
	return r, nil
}
