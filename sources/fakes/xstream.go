package fakes

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// XStream is a fake of the X API v2 filtered stream (docs.x.com,
// x-api/posts/filtered-stream): the rules endpoint and the stream, for one
// app (one bearer token). It is an http.Handler.
type XStream struct {
	o XStreamOptions

	mu       sync.Mutex
	rules    []XRule
	nextRule int64
	tweets   []xTweet
	notify   chan struct{}
	cut      chan struct{}
	open     int
	conns    int
	backfill []string // backfill_minutes of each connection ("" when absent)
	faults   []int    // HTTP statuses for the next stream requests
	seq      int64
}

// XStreamOptions configure the fake.
type XStreamOptions struct {
	// Token is the app's bearer token; requests without it get 401.
	Token string
	// KeepAlive is the interval of the "\r\n" keep-alive. The docs
	// (fundamentals/handling-disconnections): "The streaming endpoints
	// provide a 20-second keep-alive heartbeat (a newline character)". Default 20 s.
	KeepAlive time.Duration
	// AllowBackfill honours backfill_minutes (fundamentals/recovery-and-
	// redundancy: "For disconnections of 5 minutes or less, use the backfill
	// parameter", an Enterprise feature). Without it the parameter is ignored
	// and whatever was posted while no stream was open is never delivered.
	AllowBackfill bool
	// MaxRules is the access level's rule limit (default 25, Basic access:
	// "can submit up to 25 concurrent rules").
	MaxRules int
}

// XRule is a filtered-stream rule.
type XRule struct {
	ID    string `json:"id"`
	Value string `json:"value"`
	Tag   string `json:"tag,omitempty"`
}

type xTweet struct {
	id, text, author string
	editOf           string
	urls             []string
	created          time.Time
	rules            []XRule
}

// NewXStream returns a fake with no rules and no tweets.
func NewXStream(o XStreamOptions) *XStream {
	if o.KeepAlive <= 0 {
		o.KeepAlive = 20 * time.Second
	}
	if o.MaxRules <= 0 {
		o.MaxRules = 25
	}
	return &XStream{o: o, nextRule: 1859200000000000001, notify: make(chan struct{}), cut: make(chan struct{})}
}

// Rules returns the app's rules.
func (x *XStream) Rules() []XRule {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]XRule(nil), x.rules...)
}

// AddRule adds a rule directly (another consumer of the same app).
func (x *XStream) AddRule(value, tag string) XRule {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := XRule{ID: strconv.FormatInt(x.nextRule, 10), Value: value, Tag: tag}
	x.nextRule++
	x.rules = append(x.rules, r)
	return r
}

// Tweet posts a tweet by author. links are appended to the text as t.co
// short links, each with its expanded_url in entities.urls. It returns the
// tweet id. Open streams receive it when it matches a rule; otherwise (no
// stream open) it is gone, unless a later connection asks for backfill.
func (x *XStream) Tweet(author, text string, links ...string) string {
	return x.post(author, text, "", links)
}

// Edit posts an edit of a tweet: X gives the edit a new id, and its
// edit_history_tweet_ids lists the original id first (docs, "Edit Posts":
// "edit_history_tweet_ids … the first ID in the array is the original").
func (x *XStream) Edit(original, author, text string) string {
	return x.post(author, text, original, nil)
}

func (x *XStream) post(author, text, editOf string, links []string) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	now := time.Now()
	// Snowflake ids: milliseconds since the Twitter epoch << 22 | sequence.
	x.seq++
	id := strconv.FormatInt((now.UnixMilli()-1288834974657)<<22|(x.seq&0x3fffff), 10)
	t := xTweet{id: id, text: text, author: author, editOf: editOf, urls: links, created: now.UTC()}
	for _, r := range x.rules {
		if ruleMatches(r.Value, text) {
			t.rules = append(t.rules, r)
		}
	}
	x.tweets = append(x.tweets, t)
	close(x.notify)
	x.notify = make(chan struct{})
	return id
}

// ruleMatches is a small subset of the rule language: every bare term and
// #hashtag must appear (case-insensitively); negated terms and is:/has:
// operators are ignored.
func ruleMatches(rule, text string) bool {
	lower := strings.ToLower(text)
	any := false
	for _, term := range strings.Fields(rule) {
		if strings.HasPrefix(term, "-") || strings.Contains(term, ":") {
			continue
		}
		any = true
		if !strings.Contains(lower, strings.ToLower(term)) {
			return false
		}
	}
	return any
}

// Disconnect sends the operational-disconnect error to every open stream
// and closes it (docs, handling-disconnections: "Operational disconnect").
func (x *XStream) Disconnect() {
	x.mu.Lock()
	close(x.cut)
	x.cut = make(chan struct{})
	x.mu.Unlock()
}

// FailStream makes the next stream requests answer these HTTP statuses
// (429 with x-rate-limit-reset, 503), in order.
func (x *XStream) FailStream(statuses ...int) {
	x.mu.Lock()
	x.faults = append(x.faults, statuses...)
	x.mu.Unlock()
}

// XStats counts what clients asked.
type XStats struct {
	Connections, Open int
	// Backfill is the backfill_minutes each connection asked for.
	Backfill []string
}

// Stats returns the counters.
func (x *XStream) Stats() XStats {
	x.mu.Lock()
	defer x.mu.Unlock()
	return XStats{Connections: x.conns, Open: x.open, Backfill: append([]string(nil), x.backfill...)}
}

func (x *XStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+x.o.Token {
		// Problem JSON (docs, "Error responses"): 401 Unauthorized.
		problem(w, http.StatusUnauthorized, map[string]any{"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
		return
	}
	switch {
	case r.URL.Path == "/2/tweets/search/stream/rules" && r.Method == http.MethodGet:
		x.listRules(w)
	case r.URL.Path == "/2/tweets/search/stream/rules" && r.Method == http.MethodPost:
		x.changeRules(w, r)
	case r.URL.Path == "/2/tweets/search/stream" && r.Method == http.MethodGet:
		x.stream(w, r)
	default:
		problem(w, http.StatusNotFound, map[string]any{"title": "Not Found Error", "type": "https://api.twitter.com/2/problems/resource-not-found"})
	}
}

func problem(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func sent() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

// listRules answers GET …/rules: {"data": [...], "meta": {"sent", "result_count"}};
// with no rules "data" is absent.
func (x *XStream) listRules(w http.ResponseWriter) {
	x.mu.Lock()
	body := map[string]any{"meta": map[string]any{"sent": sent(), "result_count": len(x.rules)}}
	if len(x.rules) > 0 {
		body["data"] = append([]XRule(nil), x.rules...)
	}
	x.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// changeRules answers POST …/rules (api-reference/post-tweets-search-
// stream-rules). An add answers 201 when it created a rule and 200
// otherwise, with meta.summary counting created/not_created/valid/invalid;
// a rule whose value already exists is not created and is reported in
// "errors" with title "DuplicateRule" and the existing rule's id, inside
// the 2xx answer; a rule past the access level's limit is reported as
// "RuleCapEnforcedException" (the answer is 403 when nothing else went
// through). A delete answers 200 with summary deleted/not_deleted; unknown
// ids are "not_deleted" with an error.
func (x *XStream) changeRules(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Add    []XRule `json:"add"`
		Delete *struct {
			IDs    []string `json:"ids"`
			Values []string `json:"values"`
		} `json:"delete"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || (body.Add == nil && body.Delete == nil) {
		problem(w, http.StatusBadRequest, map[string]any{"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.", "type": "https://api.twitter.com/2/problems/invalid-request"})
		return
	}
	dry := r.URL.Query().Get("dry_run") == "true"
	x.mu.Lock()
	defer x.mu.Unlock()
	var errs []any
	if body.Delete != nil {
		deleted, notDeleted := 0, 0
		for _, id := range body.Delete.IDs {
			i := -1
			for k, rl := range x.rules {
				if rl.ID == id {
					i = k
				}
			}
			if i < 0 {
				notDeleted++
				errs = append(errs, map[string]any{"errors": []any{map[string]any{"parameters": map[string]any{}, "message": "Rule does not exist"}}, "title": "Invalid Request", "type": "https://api.twitter.com/2/problems/invalid-request", "id": id})
				continue
			}
			deleted++
			if !dry {
				x.rules = append(x.rules[:i], x.rules[i+1:]...)
			}
		}
		out := map[string]any{"meta": map[string]any{"sent": sent(), "summary": map[string]int{"deleted": deleted, "not_deleted": notDeleted}}}
		if errs != nil {
			out["errors"] = errs
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	var created []XRule
	capped := 0
	invalid := 0
	for _, a := range body.Add {
		if strings.TrimSpace(a.Value) == "" || len(a.Value) > 512 {
			invalid++
			errs = append(errs, map[string]any{"value": a.Value, "details": []string{"Rules must be between 1 and 512 characters"}, "title": "UnprocessableEntity", "type": "https://api.twitter.com/2/problems/invalid-rules"})
			continue
		}
		dup := ""
		for _, rl := range x.rules {
			if rl.Value == a.Value {
				dup = rl.ID
			}
		}
		if dup != "" {
			errs = append(errs, map[string]any{"value": a.Value, "id": dup, "title": "DuplicateRule", "type": "https://api.twitter.com/2/problems/duplicate-rules"})
			continue
		}
		if len(x.rules)+len(created) >= x.o.MaxRules {
			capped++
			errs = append(errs, map[string]any{"title": "RuleCapEnforcedException", "detail": fmt.Sprintf("Rule creation would exceed your %d rule limit", x.o.MaxRules), "type": "https://api.twitter.com/2/problems/rule-cap"})
			continue
		}
		rl := XRule{ID: strconv.FormatInt(x.nextRule, 10), Value: a.Value, Tag: a.Tag}
		x.nextRule++
		created = append(created, rl)
	}
	if !dry {
		x.rules = append(x.rules, created...)
	}
	status := http.StatusOK
	if len(created) > 0 {
		status = http.StatusCreated
	} else if capped > 0 {
		status = http.StatusForbidden
	}
	out := map[string]any{"meta": map[string]any{"sent": sent(), "summary": map[string]int{
		"created": len(created), "not_created": len(body.Add) - len(created), "valid": len(body.Add) - invalid, "invalid": invalid}}}
	if created != nil {
		out["data"] = created
	}
	if errs != nil {
		out["errors"] = errs
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

// stream answers GET /2/tweets/search/stream: one connection per app (a
// second gets 429 "TooManyConnections", docs handling-disconnections "Too
// many connections"), rate-limit headers x-rate-limit-limit/-remaining/
// -reset (epoch seconds; docs, "Rate limits"), a "\r\n" keep-alive every
// KeepAlive, each matching tweet as one "\r\n"-terminated JSON object with
// matching_rules (id and tag of every rule it matched), includes.users when
// expansions asks for author_id, and text HTML-escaped (&, <, > as
// &amp; &lt; &gt;, as X serves tweet text).
func (x *XStream) stream(w http.ResponseWriter, r *http.Request) {
	reset := strconv.FormatInt(time.Now().Add(15*time.Minute).Unix(), 10)
	h := w.Header()
	h.Set("x-rate-limit-limit", "50")
	h.Set("x-rate-limit-reset", reset)
	x.mu.Lock()
	var fault int
	if len(x.faults) > 0 {
		fault, x.faults = x.faults[0], x.faults[1:]
	}
	busy := x.open > 0
	x.mu.Unlock()
	switch {
	case fault == http.StatusTooManyRequests:
		h.Set("x-rate-limit-remaining", "0")
		problem(w, fault, map[string]any{"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429})
		return
	case fault != 0:
		problem(w, fault, map[string]any{"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": fault})
		return
	case busy:
		h.Set("x-rate-limit-remaining", "49")
		problem(w, http.StatusTooManyRequests, map[string]any{"title": "ConnectionException", "detail": "This stream is currently at the maximum allowed connection limit.",
			"connection_issue": "TooManyConnections", "type": "https://api.twitter.com/2/problems/streaming-connection"})
		return
	}
	q := r.URL.Query()
	withUsers := strings.Contains(q.Get("expansions"), "author_id")
	bf := q.Get("backfill_minutes")
	x.mu.Lock()
	x.open++
	x.conns++
	x.backfill = append(x.backfill, bf)
	pos, notify, cut := len(x.tweets), x.notify, x.cut
	var replay []xTweet
	if n, err := strconv.Atoi(bf); err == nil && n > 0 && x.o.AllowBackfill {
		since := time.Now().Add(-time.Duration(min(n, 5)) * time.Minute)
		for _, t := range x.tweets {
			if t.created.After(since) {
				replay = append(replay, t)
			}
		}
	}
	x.mu.Unlock()
	defer func() {
		x.mu.Lock()
		x.open--
		x.mu.Unlock()
	}()
	h.Set("x-rate-limit-remaining", "49")
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	bw := bufio.NewWriter(w)
	write := func(t xTweet) {
		if len(t.rules) == 0 {
			return
		}
		_, _ = bw.Write(x.tweetJSON(t, withUsers))
		_, _ = bw.WriteString("\r\n")
	}
	for _, t := range replay {
		write(t)
	}
	keep := time.NewTicker(x.o.KeepAlive)
	defer keep.Stop()
	for {
		if bw.Flush() != nil {
			return
		}
		if fl != nil {
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-cut:
			_, _ = bw.WriteString(`{"errors":[{"title":"operational-disconnect","disconnect_type":"UpstreamOperationalDisconnect","detail":"This stream has been disconnected upstream for operational reasons.","type":"https://api.twitter.com/2/problems/operational-disconnect"}]}` + "\r\n")
			_ = bw.Flush()
			return
		case <-keep.C:
			_, _ = bw.WriteString("\r\n")
		case <-notify:
			x.mu.Lock()
			ts := x.tweets[pos:]
			pos, notify = len(x.tweets), x.notify
			x.mu.Unlock()
			for _, t := range ts {
				write(t)
			}
		}
	}
}

// tweetJSON renders one stream message (docs, filtered-stream
// api-reference "GET /2/tweets/search/stream": data, includes,
// matching_rules). Entity offsets count code points.
func (x *XStream) tweetJSON(t xTweet, withUsers bool) []byte {
	text := htmlEscape(t.text)
	var urls []any
	for _, u := range t.urls {
		short := "https://t.co/" + randomCode(10)
		start := utf8.RuneCountInString(text) + 1
		text += " " + short
		display := strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
		urls = append(urls, map[string]any{"start": start, "end": start + utf8.RuneCountInString(short), "url": short, "expanded_url": u, "display_url": display})
	}
	history := []string{t.id}
	if t.editOf != "" {
		history = []string{t.editOf, t.id}
	}
	data := map[string]any{"id": t.id, "text": text, "author_id": authorID(t.author), "created_at": t.created.Format("2006-01-02T15:04:05.000Z"),
		"edit_history_tweet_ids": history}
	if urls != nil {
		data["entities"] = map[string]any{"urls": urls}
	}
	var rules []any
	for _, r := range t.rules {
		rules = append(rules, map[string]string{"id": r.ID, "tag": r.Tag})
	}
	m := map[string]any{"data": data, "matching_rules": rules}
	if withUsers {
		m["includes"] = map[string]any{"users": []any{map[string]string{"id": authorID(t.author), "name": "User " + t.author, "username": t.author,
			"profile_image_url": "https://pbs.twimg.com/profile_images/1/" + t.author + "_normal.jpg"}}}
	}
	b, _ := json.Marshal(m)
	// encoding/json escapes & < > as \u0026 …; X sends them as is.
	b = []byte(strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace(string(b)))
	return b
}

func authorID(name string) string {
	n := int64(0)
	for _, c := range name {
		n = n*31 + int64(c)
	}
	if n < 0 {
		n = -n
	}
	return strconv.FormatInt(1000000000+n%1000000000, 10)
}

func randomCode(n int) string {
	const abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = abc[rand.IntN(len(abc))]
	}
	return string(b)
}
