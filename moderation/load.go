package moderation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Load reads an event's rules and moderation mode and compiles them.
func Load(ctx context.Context, db *gorm.DB, eventID int64) (Rules, error) {
	return load(ctx, store.New(db), eventID)
}

func load(ctx context.Context, st *store.Store, eventID int64) (Rules, error) {
	m, err := st.EventRules(ctx, eventID)
	if err != nil {
		return Rules{}, fmt.Errorf("moderation: load rules: %w", err)
	}
	set := Settings{HoldSensitive: m.Event.SensitiveMedia == models.SensitiveHold, Filter: FilterOf(m.Event.IngestFilter)}
	if m.Event.Blocklist {
		set.Blocklist = DefaultBlocklist()
	}
	sources := make(map[int64]Filter, len(m.Sources))
	for id, f := range m.Sources {
		sources[id] = FilterOf(f)
	}
	return Compile(m.Rules, m.Event.Moderation == models.ModerationBefore).WithSettings(set, sources), nil
}

// load reads an event's rules able to open its room posters' tokens.
func (v *Verbs) load(ctx context.Context, st *store.Store, eventID int64) (Rules, error) {
	r, err := load(ctx, st, eventID)
	if err != nil {
		return r, err
	}
	return v.posters(r, eventID), nil
}

// posters makes r read the room posters' tokens of eventID and use the
// verbs' clock.
func (v *Verbs) posters(r Rules, eventID int64) Rules {
	r.now = v.opts.Now
	return r.withPosters(func(token string) (SealedPoster, bool) { return openPoster(v.opts.Keys, eventID, token) })
}

// pastBatch is how many stored items MatchPast reads at a time.
const pastBatch = 2000

// MatchPast returns the seqs of an event's stored items, not hidden yet,
// that r blocks. It reads the items in seq order a batch at a time and
// decides with the same matcher as ingest: SQL only selects the candidates.
func MatchPast(ctx context.Context, st *store.Store, eventID int64, r Rules) ([]int64, error) {
	if r.Empty() {
		return nil, nil
	}
	var out []int64
	var after int64
	for {
		rows, err := st.UnhiddenItemTexts(ctx, eventID, after, pastBatch)
		if err != nil {
			return nil, fmt.Errorf("moderation: match past items: %w", err)
		}
		for _, row := range rows {
			if r.BlocksItem(live.Item{Author: live.Author{Name: row.AuthorName, Handle: row.AuthorHandle}, Text: row.Text, Poster: row.Poster}) {
				out = append(out, row.Seq)
			}
		}
		if len(rows) < pastBatch {
			return out, nil
		}
		after = rows[len(rows)-1].Seq
	}
}

// ErrBanned refuses an attendee's post: a moderator banned the browser it
// comes from (or, for a while, its address), whatever name it now types.
var ErrBanned = errors.New("moderation: this poster is banned from the event")

// ScreenPost judges an attendee's post from p before it is appended:
// ErrBanned when the browser or address is banned; otherwise it seals p
// into the post (Item.Poster, so a moderator can ban them later) and marks
// the post hidden when the event blocks its name or words (the poster is
// not told) or held when the blocklist matches. Holding every post for
// approval is the event's posting mode, which the caller decides. The
// rules are cached (Rules), and the last good copy outlives Postgres:
// while Postgres cannot be reached, posts are judged by the rules last read
// (docs/ARCHITECTURE.md, "When Postgres is down"); a node that never read
// an event's rules holds the post for a moderator rather than show it
// unjudged.
func (v *Verbs) ScreenPost(ctx context.Context, eventID int64, it *live.Item, p live.Poster) error {
	it.Poster = sealPoster(v.opts.Keys, eventID, p, v.opts.Now())
	r, err := v.Rules(ctx, eventID)
	if err != nil {
		v.opts.Logger.Warn("moderation: rules unavailable and never read here; holding the post for a moderator",
			"event", eventID, "err", err)
		it.Held = true
		return nil
	}
	if r.BansPoster(p) {
		return ErrBanned
	}
	r.HoldAll = false
	r.Apply(it)
	return nil
}

// Rules returns an event's compiled rules, cached for Options.RulesTTL.
// When they cannot be read again, the last good copy is returned (and
// Postgres asked again once per RulesTTL); an error only when there is none.
func (v *Verbs) Rules(ctx context.Context, eventID int64) (Rules, error) {
	now := time.Now()
	v.mu.Lock()
	c, ok := v.rules[eventID]
	v.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.rules, nil
	}
	r, err := v.load(ctx, v.st, eventID)
	if err != nil {
		if !ok {
			return Rules{}, err
		}
		if !c.stale {
			v.opts.Logger.Warn("moderation: rules unavailable; judging by the last good copy", "event", eventID, "err", err)
		}
		r = c.rules
	}
	v.mu.Lock()
	v.rules[eventID] = cachedRules{rules: r, expires: now.Add(v.opts.RulesTTL), stale: err != nil}
	v.mu.Unlock()
	return r, nil
}

// RulesChanged drops the cached rules of an event: the admin calls it after
// a ban is edited or lifted, Ban after adding one.
func (v *Verbs) RulesChanged(eventID int64) {
	v.mu.Lock()
	delete(v.rules, eventID)
	v.mu.Unlock()
}
