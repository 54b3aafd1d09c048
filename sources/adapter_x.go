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
)

// x follows a filtered-stream rule. Rules belong to the whole app (one
// bearer token), so each source tags its rule "source:<id>", keeps exactly
// its rule under that tag, and accepts only tweets matching it.
type x struct {
	r      *runner
	base   string
	rule   string
	tag    string
	synced bool
	runs   int
}

func newX(r *runner) (*x, error) {
	if SafeURL(r.cfg.BaseURL) == "" || strings.TrimSpace(r.cfg.Rule) == "" {
		return nil, errors.New("sources: x: base_url and rule are required")
	}
	return &x{r: r, base: strings.TrimRight(r.cfg.BaseURL, "/"), rule: r.cfg.Rule, tag: "source:" + strconv.FormatInt(r.src.ID, 10)}, nil
}

func (a *x) interval() time.Duration { return 0 }

func (a *x) header() http.Header {
	h := http.Header{}
	if tok := a.r.secret(); tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	return h
}

type xRule struct {
	ID    string `json:"id,omitempty"`
	Value string `json:"value"`
	Tag   string `json:"tag,omitempty"`
}

// syncRules makes the app's rules hold exactly this source's rule under its tag.
func (a *x) syncRules(ctx context.Context) error {
	_, body, err := get(ctx, a.r.m.opts.HTTPClient, a.base+"/2/tweets/search/stream/rules", a.header())
	if err != nil {
		return err
	}
	var cur struct {
		Data []xRule `json:"data"`
	}
	if err := json.Unmarshal(body, &cur); err != nil {
		return fmt.Errorf("sources: x rules: %w", err)
	}
	var stale []string
	have := false
	for _, rl := range cur.Data {
		if rl.Tag != a.tag {
			continue
		}
		if rl.Value == a.rule && !have {
			have = true
			continue
		}
		stale = append(stale, rl.ID)
	}
	if len(stale) > 0 {
		if err := a.postRules(ctx, map[string]any{"delete": map[string]any{"ids": stale}}); err != nil {
			return err
		}
	}
	if !have {
		return a.postRules(ctx, map[string]any{"add": []xRule{{Value: a.rule, Tag: a.tag}}})
	}
	return nil
}

func (a *x) postRules(ctx context.Context, body any) error {
	b, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/2/tweets/search/stream/rules", bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("sources: x rules: %w", err)
	}
	req.Header = a.header()
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.r.m.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("sources: x rules: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return httpError(resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return nil
}

func (a *x) run(ctx context.Context, r *runner) error {
	if !a.synced {
		if err := a.syncRules(ctx); err != nil {
			return err
		}
		a.synced = true
	}
	hb := newHeartbeat(ctx, r.m.opts.Heartbeats.X)
	defer hb.stop()
	q := url.Values{
		"tweet.fields": {"created_at,author_id,entities,attachments"},
		"expansions":   {"author_id,attachments.media_keys"},
		"user.fields":  {"name,username,profile_image_url"},
		"media.fields": {"url,preview_image_url,alt_text,type"},
	}
	a.runs++
	if n := r.m.opts.XBackfillMinutes; n > 0 && a.runs > 1 {
		q.Set("backfill_minutes", strconv.Itoa(min(n, 5)))
	}
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
		return httpError(resp)
	}
	r.connected()
	lr := newLineReader(resp.Body, MaxLine)
	for first := true; ; first = false {
		line, err := lr.next()
		switch {
		case err == nil:
		case errors.Is(err, ErrLineTooLong):
			hb.kick()
			r.bad(err)
			continue
		case errors.Is(err, io.EOF):
			return hb.err(errStreamEnded)
		case errors.Is(err, io.ErrUnexpectedEOF):
			r.bad(errors.New("sources: x: stream cut inside a line"))
			return hb.err(errStreamEnded)
		default:
			return hb.err(err)
		}
		hb.kick()
		if first {
			r.alive()
		}
		ev, err := ParseXLine(line, time.Now())
		var se *XStreamError
		switch {
		case errors.As(err, &se):
			return se
		case err != nil:
			r.bad(err)
			continue
		case ev.KeepAlive:
			continue
		}
		if !slices.Contains(ev.RuleTags, a.tag) {
			continue
		}
		if err := r.add(hb.ctx, *ev.Item); err != nil {
			return hb.err(err)
		}
	}
}
