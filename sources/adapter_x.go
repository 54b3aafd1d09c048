package sources

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// X allows one filtered-stream connection per app (a second one is refused
// with 429 TooManyConnections; docs.x.com, handling disconnections), and
// rules belong to the app. So all X sources of one app (same base_url and
// token_env) share one stream: the source with the lowest id is the
// primary; its runner keeps every source's rule under the tag
// "source:<id>", removes the rules of sources that are gone, opens the one
// stream and hands each tweet to the sources whose rule it matched (by tag,
// or by rule id when X reported the rule as a duplicate of one added under
// another tag). The other sources' runners idle and take over when they
// become the primary.
//
// Reconnect gaps: backfill_minutes (at most 5) resends what matched while
// the stream was down, but only on an access level that allows it (config
// `access: enterprise`); otherwise the dashboard says that reconnect gaps
// are not recoverable. The cursor is the time (unix ms) of the last line
// the stream sent.
type x struct {
	r           *runner
	base        string
	rule        string
	canBackfill bool // the access level allows backfill_minutes
	primary     bool
	subs        map[int64]*runner // the group's other sources, when primary
}

// xIdle is how often a source that is not its app's primary checks
// whether it has become one.
const xIdle = 5 * time.Second

// xMaxBackfill is the most backfill_minutes accepts.
const xMaxBackfill = 5 * time.Minute

func newX(r *runner) (*x, error) {
	if SafeURL(r.cfg.BaseURL) == "" || strings.TrimSpace(r.cfg.Rule) == "" {
		return nil, errors.New("sources: x: base_url and rule are required")
	}
	return &x{r: r, base: strings.TrimRight(r.cfg.BaseURL, "/"), rule: r.cfg.Rule,
		canBackfill: strings.EqualFold(r.cfg.Access, "enterprise") || r.m.opts.XBackfillMinutes > 0, subs: map[int64]*runner{}}, nil
}

func (a *x) interval() time.Duration {
	if a.primary {
		return 0
	}
	return xIdle
}

func xTag(id int64) string { return "source:" + strconv.FormatInt(id, 10) }

func (a *x) header() http.Header {
	h := http.Header{}
	if tok := a.r.secret(); tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	return h
}

// xMember is one source of the app's group.
type xMember struct {
	src models.Source
	cfg Config
}

// group lists the enabled X sources of this source's app, lowest id first.
func (a *x) group(ctx context.Context) ([]xMember, error) {
	list, err := store.New(a.r.m.db).EnabledSources(ctx, store.SourceKinds{Kinds: []string{"x"}})
	if err != nil {
		return nil, fmt.Errorf("sources: x: %w", err)
	}
	var out []xMember
	for _, s := range list {
		c, err := ParseConfig(s.Config)
		if err != nil || strings.TrimRight(c.BaseURL, "/") != a.base || c.TokenEnv != a.r.cfg.TokenEnv {
			continue
		}
		out = append(out, xMember{s, c})
	}
	return out, nil
}

type xRule struct {
	ID    string `json:"id,omitempty"`
	Value string `json:"value"`
	Tag   string `json:"tag,omitempty"`
}

// xRulesAnswer is the answer of POST …/rules: X reports per rule what it
// did inside a 2xx, so success is read from the body, not the status
// (api-reference post-tweets-search-stream-rules).
type xRulesAnswer struct {
	Data []xRule `json:"data"`
	Meta struct {
		Summary struct {
			Created    int `json:"created"`
			NotCreated int `json:"not_created"`
			Deleted    int `json:"deleted"`
			NotDeleted int `json:"not_deleted"`
			Invalid    int `json:"invalid"`
		} `json:"summary"`
	} `json:"meta"`
	Errors []struct {
		Value   string   `json:"value"`
		ID      string   `json:"id"`
		Title   string   `json:"title"`
		Detail  string   `json:"detail"`
		Details []string `json:"details"`
	} `json:"errors"`
}

// ParseXRulesAnswer parses a rules answer (for tests and fuzzing).
func ParseXRulesAnswer(body []byte) (xRulesAnswer, error) {
	var ans xRulesAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return ans, fmt.Errorf("sources: x rules answer: %w", err)
	}
	return ans, nil
}

// syncRules makes the app's rules hold exactly one rule per member under
// its tag, deletes the rules of "source:<id>" tags no member has (sources
// disabled or deleted), and returns the rule ids each member's tweets carry.
func (a *x) syncRules(ctx context.Context, members []xMember) (map[int64][]string, map[int64]error, error) {
	_, body, err := get(ctx, a.r.m.opts.HTTPClient, a.base+"/2/tweets/search/stream/rules", a.header())
	if err != nil {
		return nil, nil, err
	}
	var cur struct {
		Data []xRule `json:"data"`
	}
	if err := json.Unmarshal(body, &cur); err != nil {
		return nil, nil, fmt.Errorf("sources: x rules: %w", err)
	}
	want := map[string]xMember{}
	for _, m := range members {
		want[xTag(m.src.ID)] = m
	}
	ids := map[int64][]string{}
	var stale []string
	for _, rl := range cur.Data {
		if !strings.HasPrefix(rl.Tag, "source:") {
			continue // another consumer's rule
		}
		m, ok := want[rl.Tag]
		if ok && rl.Value == m.cfg.Rule && len(ids[m.src.ID]) == 0 {
			ids[m.src.ID] = append(ids[m.src.ID], rl.ID)
			continue
		}
		stale = append(stale, rl.ID)
	}
	if len(stale) > 0 {
		ans, err := a.postRules(ctx, map[string]any{"delete": map[string]any{"ids": stale}})
		if err != nil {
			return nil, nil, err
		}
		if ans.Meta.Summary.NotDeleted > 0 {
			a.r.log.Warn("sources: x: some stale rules were not deleted", "not_deleted", ans.Meta.Summary.NotDeleted)
		}
	}
	var add []xRule
	byValue := map[string]int64{}
	for _, m := range members {
		if len(ids[m.src.ID]) == 0 {
			add = append(add, xRule{Value: m.cfg.Rule, Tag: xTag(m.src.ID)})
			byValue[m.cfg.Rule] = m.src.ID
		}
	}
	failed := map[int64]error{}
	if len(add) == 0 {
		return ids, failed, nil
	}
	ans, err := a.postRules(ctx, map[string]any{"add": add})
	if err != nil {
		return nil, nil, err
	}
	for _, rl := range ans.Data {
		if id, ok := byValue[rl.Value]; ok {
			ids[id] = append(ids[id], rl.ID)
		}
	}
	for _, e := range ans.Errors {
		id, ok := byValue[e.Value]
		switch {
		case e.Title == "DuplicateRule" && ok && e.ID != "":
			// The same value exists under another tag: its tweets carry
			// that rule's id, which now counts as this source's too.
			ids[id] = append(ids[id], e.ID)
		case ok:
			msg := e.Detail
			if msg == "" {
				msg = strings.Join(e.Details, "; ")
			}
			failed[id] = fmt.Errorf("sources: x rejected the rule %q: %s: %s", e.Value, e.Title, msg)
		default:
			// An error not tied to a rule value (e.g. RuleCapEnforcedException).
			for _, r := range add {
				if _, done := ids[byValue[r.Value]]; !done {
					failed[byValue[r.Value]] = fmt.Errorf("sources: x did not add the rule %q: %s %s", r.Value, e.Title, e.Detail)
				}
			}
		}
	}
	return ids, failed, nil
}

func (a *x) postRules(ctx context.Context, body any) (xRulesAnswer, error) {
	b, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/2/tweets/search/stream/rules", bytes.NewReader(b))
	if err != nil {
		return xRulesAnswer{}, fmt.Errorf("sources: x rules: %w", err)
	}
	req.Header = a.header()
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.r.m.opts.HTTPClient.Do(req)
	if err != nil {
		return xRulesAnswer{}, fmt.Errorf("sources: x rules: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return xRulesAnswer{}, &HTTPError{Status: resp.StatusCode, RetryAfter: retryHint(resp, time.Now()), URL: redactURL(req), Body: string(raw)}
	}
	return ParseXRulesAnswer(raw)
}

// sub returns the runner that appends the tweets of a group member.
func (a *x) sub(ctx context.Context, m xMember) (*runner, error) {
	if m.src.ID == a.r.src.ID {
		return a.r, nil
	}
	if s := a.subs[m.src.ID]; s != nil && s.src.UpdatedAt.Equal(m.src.UpdatedAt) {
		return s, s.reloadRules(ctx)
	}
	s := newRunner(a.r.m, m.src, "")
	s.cfg, s.delegate = m.cfg, true
	if err := s.init(ctx); err != nil {
		return nil, err
	}
	s.setNotice(fmt.Sprintf("shares the filtered stream of source %d (X allows one connection per app)", a.r.src.ID))
	a.subs[m.src.ID] = s
	return s, nil
}

func (a *x) run(ctx context.Context, r *runner) error {
	members, err := a.group(ctx)
	if err != nil {
		return err
	}
	a.primary = len(members) > 0 && members[0].src.ID == r.src.ID
	r.idle.Store(!a.primary)
	if !a.primary {
		// The primary's runner appends this source's tweets and reports
		// its state; this runner only waits to become the primary.
		return nil
	}
	ruleIDs, failed, err := a.syncRules(ctx, members)
	if err != nil {
		return err
	}
	type target struct {
		r   *runner
		tag string
		ids []string
	}
	var targets []target
	live := map[int64]bool{}
	for _, m := range members {
		s, err := a.sub(ctx, m)
		if err != nil {
			return err
		}
		live[m.src.ID] = true
		if e := failed[m.src.ID]; e != nil {
			s.fail(e)
			continue
		}
		targets = append(targets, target{s, xTag(m.src.ID), ruleIDs[m.src.ID]})
	}
	for id := range a.subs {
		if !live[id] {
			delete(a.subs, id)
		}
	}
	all := make([]*runner, len(targets))
	for i, t := range targets {
		all[i] = t.r
	}
	each := func(f func(*runner)) {
		for _, s := range all {
			f(s)
		}
	}
	defer func() {
		// The sub-runners' states are written here: their own runners idle.
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for _, s := range all {
			if s != r {
				_ = s.writeState(bg, true)
			}
		}
	}()

	q := url.Values{
		"tweet.fields": {"created_at,author_id,entities,attachments,edit_history_tweet_ids,possibly_sensitive,lang,referenced_tweets,in_reply_to_user_id"},
		"expansions":   {"author_id,attachments.media_keys"},
		"user.fields":  {"name,username,profile_image_url"},
		"media.fields": {"url,preview_image_url,alt_text,type"},
	}
	a.backfill(q)
	hb := newHeartbeat(ctx, r.m.opts.Heartbeats.X)
	defer hb.stop()
	req, err := http.NewRequestWithContext(hb.ctx, http.MethodGet, a.base+"/2/tweets/search/stream?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("sources: x: %w", err)
	}
	req.Header = a.header()
	resp, err := r.m.opts.HTTPClient.Do(req)
	if err != nil {
		return hb.err(fmt.Errorf("sources: x stream: %w", err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		herr := httpError(resp)
		each(func(s *runner) {
			if s != r {
				s.disconnected(herr)
			}
		})
		return herr
	}
	each(func(s *runner) { s.connected() })
	stop := make(chan struct{})
	defer close(stop)
	go a.watch(hb.ctx, stop, members, all, hb)
	lr := newLineReader(resp.Body, MaxLine)
	ended := func(err error) error {
		err = hb.err(err)
		each(func(s *runner) {
			if s != r {
				s.disconnected(err)
			}
		})
		return err
	}
	for first := true; ; first = false {
		line, err := lr.next()
		switch {
		case err == nil:
		case errors.Is(err, ErrLineTooLong):
			hb.kick()
			r.bad(err)
			continue
		case errors.Is(err, io.EOF):
			return ended(errStreamEnded)
		case errors.Is(err, io.ErrUnexpectedEOF):
			r.bad(errors.New("sources: x: stream cut inside a line"))
			return ended(errStreamEnded)
		default:
			if context.Cause(hb.ctx) == errReconnectRequested {
				return errReconnectRequested
			}
			return ended(err)
		}
		hb.kick()
		if first {
			r.alive()
		}
		now := time.Now()
		ev, err := ParseXLine(line, now)
		var se *XStreamError
		switch {
		case errors.As(err, &se):
			return ended(se)
		case hb.ctx.Err() != nil && context.Cause(hb.ctx) == errReconnectRequested:
			return errReconnectRequested
		case err != nil:
			r.bad(err)
			continue
		case ev.KeepAlive:
			r.checkpoint(strconv.FormatInt(now.UnixMilli(), 10))
			continue
		}
		for _, t := range targets {
			if !slices.Contains(ev.RuleTags, t.tag) && !slices.ContainsFunc(ev.RuleIDs, func(id string) bool { return slices.Contains(t.ids, id) }) {
				continue
			}
			var err error
			if ev.EditOf != "" {
				err = t.r.update(hb.ctx, *ev.Item)
			} else {
				err = t.r.add(hb.ctx, *ev.Item)
			}
			if err != nil {
				return ended(err)
			}
		}
		r.checkpoint(strconv.FormatInt(now.UnixMilli(), 10))
	}
}

// watch writes the sub-runners' states while the stream runs, and re-reads
// the app's group: when a source is added, edited, disabled or deleted it
// ends the stream with errReconnectRequested, so the next run syncs the
// rules (removing those of sources that are gone) at once.
func (a *x) watch(ctx context.Context, stop chan struct{}, members []xMember, all []*runner, hb *heartbeat) {
	states := time.NewTicker(a.r.m.opts.StateEvery)
	defer states.Stop()
	reload := time.NewTicker(a.r.m.opts.ReloadEvery)
	defer reload.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-states.C:
			for _, s := range all {
				if s != a.r {
					_ = s.writeState(ctx, false)
				}
			}
		case <-reload.C:
			now, err := a.group(ctx)
			if err != nil {
				continue
			}
			same := len(now) == len(members)
			for i := 0; same && i < len(now); i++ {
				same = now[i].src.ID == members[i].src.ID && now[i].src.UpdatedAt.Equal(members[i].src.UpdatedAt)
			}
			if !same {
				a.r.log.Info("sources: x: the app's sources changed, syncing rules")
				hb.cancel(errReconnectRequested)
				return
			}
		}
	}
}

// backfill asks X to resend what matched since the last line seen, when the
// access level allows it (backfill_minutes, 1 to 5), and says on the
// dashboard when a gap cannot be recovered.
func (a *x) backfill(q url.Values) {
	r := a.r
	last, err := strconv.ParseInt(r.savedCursor(), 10, 64)
	if !a.canBackfill {
		r.setNotice("reconnect gaps are not recoverable: this X access level has no backfill_minutes, so posts made while the stream reconnects are lost")
		return
	}
	if err != nil || last <= 0 {
		r.setNotice("")
		return
	}
	gap := time.Since(time.UnixMilli(last))
	minutes := min(int(gap/time.Minute)+1, int(xMaxBackfill/time.Minute))
	q.Set("backfill_minutes", strconv.Itoa(minutes))
	if gap > xMaxBackfill {
		r.setNotice(fmt.Sprintf("a reconnect gap of %s exceeded the %s X can backfill; posts from before were lost", gap.Round(time.Second), xMaxBackfill))
		return
	}
	r.setNotice("")
}
