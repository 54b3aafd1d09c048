package fakes

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MastodonFault is an answer a Mastodon instance (or the proxy in front of
// it) gives instead of the page or stream asked for.
type MastodonFault int

// The faults a Mastodon fake can be told to answer with.
const (
	// MastodonHTML200 is a CDN's challenge or maintenance page served with
	// status 200 and Content-Type text/html instead of the JSON asked for.
	MastodonHTML200 MastodonFault = iota + 1
	// MastodonBadGateway is nginx's 502 page: Mastodon's documented nginx
	// setup (dist/nginx.conf) proxies to puma and the streaming server, and
	// answers 502 with its own HTML while they restart.
	MastodonBadGateway
	// MastodonUnavailable is a 503 with an HTML body (maintenance).
	MastodonUnavailable
	// MastodonRateLimited is rack-attack's answer (config/initializers/
	// rack_attack.rb, throttled_responder): 429, JSON {"error": …}, and the
	// headers X-RateLimit-Limit, X-RateLimit-Remaining: 0 and
	// X-RateLimit-Reset as an ISO 8601 time. There is no Retry-After.
	MastodonRateLimited
	// MastodonBadStatus serves the page as asked, but one status in it is
	// malformed (its created_at is not a time).
	MastodonBadStatus
)

// MastodonOptions configure a fake instance.
type MastodonOptions struct {
	// Tag is the hashtag the instance has posts for (without "#"). Tag
	// names match case-insensitively, as Mastodon normalizes them.
	Tag string
	// Domain names the instance in uris and urls (default mastodon.example).
	Domain string
	// Heartbeat is the interval of ":thump" comments on a stream. The
	// streaming server (streaming/index.js, streamToHttp) writes ":)" when a
	// stream opens, then `setInterval(() => res.write(':thump\n'), 15000)`:
	// the default is that production value, 15 s.
	Heartbeat time.Duration
	// Token is the user token the instance accepts ("" accepts any token).
	Token string
	// StreamAllowsAnonymous serves streams without a token, as instances
	// before 4.2 did. Since 4.2 (mastodon/mastodon#23989; Mastodon.py's docs
	// "Since mastodon 4.2.0 the support for anonymous streaming API access
	// was dropped") every stream needs a user token: accountFromRequest in
	// streaming/index.js rejects a request without one with
	// AuthenticationError('Missing access token'), and an unknown token with
	// 'Invalid access token', both 401 with {"error": "…"}.
	StreamAllowsAnonymous bool
	// TimelineRequiresToken makes the tag timeline answer 401 without a
	// token, as an instance that disabled public timeline preview does
	// (docs: "Requires … user token if the instance has disabled public
	// preview"); by default the timeline is public.
	TimelineRequiresToken bool
}

// MastodonStatus is a status the fake published.
type MastodonStatus struct {
	ID        string
	URI       string
	CreatedAt time.Time
}

type mstatus struct {
	id      int64
	created time.Time
	text    string
	user    string
	edited  time.Time
	deleted bool
}

type mevent struct {
	name string // update, status.update, delete
	st   *mstatus
}

// Mastodon is a fake Mastodon instance: GET /api/v1/streaming/hashtag (SSE)
// and GET /api/v1/timelines/tag/:hashtag (REST). It is an http.Handler.
type Mastodon struct {
	o   MastodonOptions
	ids snowflakes

	mu         sync.Mutex
	statuses   []*mstatus // sorted by id, ascending
	byID       map[int64]*mstatus
	events     []mevent
	notify     chan struct{}
	cut        chan struct{}
	tlFaults   []MastodonFault
	stFaults   []MastodonFault
	streams    int // open stream connections
	conns      int // stream connections accepted, ever
	tlRequests int
	lastAuth   string
}

// NewMastodon returns a fake instance.
func NewMastodon(o MastodonOptions) *Mastodon {
	if o.Domain == "" {
		o.Domain = "mastodon.example"
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = MastodonDefaultHeartbeat
	}
	return &Mastodon{o: o, byID: map[int64]*mstatus{}, notify: make(chan struct{}), cut: make(chan struct{})}
}

// Post publishes a status created now, as a local post is: it gets a
// timestamp_id above every id before it and is streamed to open streams.
func (m *Mastodon) Post(user, text string) MastodonStatus {
	now := time.Now()
	return m.add(&mstatus{id: m.ids.now(now), created: now, text: text, user: user})
}

// PostLate publishes a status created at created (in the past) that reaches
// the instance only now, as a remote status delivered late does: its id is
// id_at(created), below ids already handed out (Callbacks.around_create in
// lib/mastodon/snowflake.rb). Open streams receive it now, like any status
// the instance learns of; a client that was disconnected finds it in the
// timeline only below the ids it had seen.
func (m *Mastodon) PostLate(user, text string, created time.Time) MastodonStatus {
	return m.add(&mstatus{id: m.ids.at(created), created: created.UTC(), text: text, user: user})
}

func (m *Mastodon) add(s *mstatus) MastodonStatus {
	m.mu.Lock()
	i := sort.Search(len(m.statuses), func(i int) bool { return m.statuses[i].id >= s.id })
	m.statuses = append(m.statuses, nil)
	copy(m.statuses[i+1:], m.statuses[i:])
	m.statuses[i] = s
	m.byID[s.id] = s
	m.publish(mevent{"update", s})
	m.mu.Unlock()
	return m.public(s)
}

func (m *Mastodon) public(s *mstatus) MastodonStatus {
	return MastodonStatus{ID: strconv.FormatInt(s.id, 10), URI: m.uri(s), CreatedAt: s.created}
}

// publish appends a stream event and wakes the streams. Caller holds mu.
func (m *Mastodon) publish(e mevent) {
	m.events = append(m.events, e)
	close(m.notify)
	m.notify = make(chan struct{})
}

// Edit changes a status's text: edited_at is set, the timeline serves the
// new text, and streams get a "status.update" event with the whole status
// (docs, methods/streaming: "status.update: A Status has been edited").
func (m *Mastodon) Edit(id, text string) {
	n, _ := strconv.ParseInt(id, 10, 64)
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.byID[n]; s != nil && !s.deleted {
		s.text, s.edited = text, time.Now().UTC()
		m.publish(mevent{"status.update", s})
	}
}

// Delete removes a status: the timeline no longer serves it and streams get
// a "delete" event whose payload is the bare id (docs, methods/streaming:
// "delete: A status has been deleted. Payload: ID of the deleted status").
func (m *Mastodon) Delete(id string) {
	n, _ := strconv.ParseInt(id, 10, 64)
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.byID[n]; s != nil && !s.deleted {
		s.deleted = true
		m.publish(mevent{"delete", s})
	}
}

// FailTimeline makes the next timeline requests answer these faults, in order.
func (m *Mastodon) FailTimeline(f ...MastodonFault) {
	m.mu.Lock()
	m.tlFaults = append(m.tlFaults, f...)
	m.mu.Unlock()
}

// FailStream makes the next stream requests answer these faults, in order.
func (m *Mastodon) FailStream(f ...MastodonFault) {
	m.mu.Lock()
	m.stFaults = append(m.stFaults, f...)
	m.mu.Unlock()
}

// CutStreams drops every open stream connection mid-stream, as a restart of
// the streaming server or a proxy's timeout does. Whatever is published
// until the client reconnects reaches no stream: only the timeline has it.
func (m *Mastodon) CutStreams() {
	m.mu.Lock()
	close(m.cut)
	m.cut = make(chan struct{})
	m.mu.Unlock()
}

// MastodonStats counts what clients asked of a fake instance.
type MastodonStats struct {
	// StreamConnections is how many streams were accepted (status 200);
	// OpenStreams how many are open now.
	StreamConnections, OpenStreams int
	// TimelineRequests counts tag timeline requests, faults included.
	TimelineRequests int
	// LastAuthorization is the Authorization header of the last request.
	LastAuthorization string
}

// Stats returns the counters.
func (m *Mastodon) Stats() MastodonStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return MastodonStats{StreamConnections: m.conns, OpenStreams: m.streams, TimelineRequests: m.tlRequests, LastAuthorization: m.lastAuth}
}

func (m *Mastodon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/streaming/hashtag":
		m.stream(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/timelines/tag/"):
		m.timeline(w, r, strings.TrimPrefix(r.URL.Path, "/api/v1/timelines/tag/"))
	default:
		// Rails answers unknown API routes with 404 and {"error": …}.
		jsonError(w, http.StatusNotFound, "Record not found")
	}
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": msg})
	_, _ = w.Write(b)
}

// authorize checks the bearer token; "" means accepted.
func (m *Mastodon) authorize(r *http.Request, required bool) string {
	auth := r.Header.Get("Authorization")
	m.mu.Lock()
	m.lastAuth = auth
	m.mu.Unlock()
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	switch {
	case auth == "" && required:
		return "Missing access token"
	case auth == "":
		return ""
	case !ok || tok == "" || (m.o.Token != "" && tok != m.o.Token):
		// A token that is sent is checked even where none is needed.
		return "Invalid access token"
	}
	return ""
}

// fault answers f; it reports whether f was a fault to answer alone.
func (m *Mastodon) fault(w http.ResponseWriter, f MastodonFault) bool {
	switch f {
	case MastodonHTML200:
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title></head><body><noscript>Enable JavaScript and cookies to continue</noscript></body></html>")
	case MastodonBadGateway:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
	case MastodonUnavailable:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
	case MastodonRateLimited:
		now := time.Now().UTC()
		period := int64(300) // rack_attack.rb: throttle('throttle_authenticated_api', limit: 1_500, period: 5.minutes), unauthenticated 300
		reset := now.Add(time.Duration(period-now.Unix()%period) * time.Second)
		w.Header().Set("X-RateLimit-Limit", "300")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", reset.Format("2006-01-02T15:04:05.000000Z07:00"))
		jsonError(w, http.StatusTooManyRequests, "Too many requests")
	default:
		return false
	}
	return true
}

func (m *Mastodon) nextFault(list *[]MastodonFault) MastodonFault {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(*list) == 0 {
		return 0
	}
	f := (*list)[0]
	*list = (*list)[1:]
	return f
}

// stream serves GET /api/v1/streaming/hashtag?tag=: ":)" at once, the
// hashtag's update, status.update and delete events as they happen (never
// what was published before the connection opened), ":thump" every
// Heartbeat.
func (m *Mastodon) stream(w http.ResponseWriter, r *http.Request) {
	if msg := m.authorize(r, !m.o.StreamAllowsAnonymous); msg != "" {
		jsonError(w, http.StatusUnauthorized, msg)
		return
	}
	if m.fault(w, m.nextFault(&m.stFaults)) {
		return
	}
	tag := r.URL.Query().Get("tag")
	if tag == "" {
		// channelNameToIds: "No tag for stream provided" (400).
		jsonError(w, http.StatusBadRequest, "No tag for stream provided")
		return
	}
	ours := strings.EqualFold(tag, m.o.Tag)
	fl, _ := w.(http.Flusher)
	m.mu.Lock()
	pos, notify, cut := len(m.events), m.notify, m.cut
	m.conns++
	m.streams++
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.streams--
		m.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	_, _ = bw.WriteString(":)\n")
	thump := time.NewTicker(m.o.Heartbeat)
	defer thump.Stop()
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
			panic(http.ErrAbortHandler)
		case <-thump.C:
			_, _ = bw.WriteString(":thump\n")
		case <-notify:
			m.mu.Lock()
			evs := m.events[pos:]
			pos, notify = len(m.events), m.notify
			m.mu.Unlock()
			if !ours {
				continue
			}
			for _, e := range evs {
				// streamToHttp: "event: …\n" then "data: …\n\n"; a delete's
				// payload is the bare id.
				_, _ = bw.WriteString("event: " + e.name + "\ndata: ")
				if e.name == "delete" {
					_, _ = bw.WriteString(strconv.FormatInt(e.st.id, 10))
				} else {
					m.mu.Lock()
					b := m.statusJSON(e.st, false)
					m.mu.Unlock()
					_, _ = bw.Write(b)
				}
				_, _ = bw.WriteString("\n\n")
			}
		}
	}
}

// timeline serves GET /api/v1/timelines/tag/:hashtag with max_id, since_id,
// min_id and limit as documented (docs, methods/timelines#tag): limit
// defaults to 20, at most 40; max_id "return results older than ID";
// since_id "return results newer than ID"; min_id "return results
// immediately newer than ID". Pages are newest first either way; with
// min_id the page is the oldest `limit` statuses above it. A Link header
// names the next (older: max_id = the page's oldest id) and prev (newer:
// min_id = the page's newest id) pages (api/base_controller.rb,
// insert_pagination_headers). Every answer carries X-RateLimit-* headers.
func (m *Mastodon) timeline(w http.ResponseWriter, r *http.Request, tag string) {
	m.mu.Lock()
	m.tlRequests++
	m.mu.Unlock()
	if msg := m.authorize(r, m.o.TimelineRequiresToken); msg != "" {
		jsonError(w, http.StatusUnauthorized, msg)
		return
	}
	f := m.nextFault(&m.tlFaults)
	if m.fault(w, f) {
		return
	}
	q := r.URL.Query()
	limit := 20
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = min(v, 40)
	}
	parse := func(k string) (int64, bool) {
		v, err := strconv.ParseInt(q.Get(k), 10, 64)
		return v, err == nil
	}
	maxID, hasMax := parse("max_id")
	sinceID, hasSince := parse("since_id")
	minID, hasMin := parse("min_id")
	m.mu.Lock()
	var page []*mstatus
	if t, err := url.PathUnescape(tag); err == nil && strings.EqualFold(t, m.o.Tag) {
		keep := func(s *mstatus) bool {
			return !s.deleted && (!hasMax || s.id < maxID) && (!hasSince || s.id > sinceID) && (!hasMin || s.id > minID)
		}
		if hasMin {
			// Oldest first from min_id, then served newest first.
			i := sort.Search(len(m.statuses), func(i int) bool { return m.statuses[i].id > minID })
			for ; i < len(m.statuses) && len(page) < limit; i++ {
				if keep(m.statuses[i]) {
					page = append(page, m.statuses[i])
				}
			}
			for a, b := 0, len(page)-1; a < b; a, b = a+1, b-1 {
				page[a], page[b] = page[b], page[a]
			}
		} else {
			i := len(m.statuses) - 1
			if hasMax {
				i = sort.Search(len(m.statuses), func(i int) bool { return m.statuses[i].id >= maxID }) - 1
			}
			for ; i >= 0 && len(page) < limit; i-- {
				if hasSince && m.statuses[i].id <= sinceID {
					break
				}
				if keep(m.statuses[i]) {
					page = append(page, m.statuses[i])
				}
			}
		}
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range page {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(m.statusJSON(s, f == MastodonBadStatus && i == len(page)/2))
	}
	b.WriteByte(']')
	m.mu.Unlock()
	h := w.Header()
	if len(page) > 0 {
		base := "https://" + m.o.Domain + "/api/v1/timelines/tag/" + url.PathEscape(tag)
		h.Set("Link", fmt.Sprintf(`<%s?max_id=%d>; rel="next", <%s?min_id=%d>; rel="prev"`, base, page[len(page)-1].id, base, page[0].id))
	}
	h.Set("X-RateLimit-Limit", "300")
	h.Set("X-RateLimit-Remaining", "299")
	h.Set("X-RateLimit-Reset", time.Now().UTC().Add(5*time.Minute).Format("2006-01-02T15:04:05.000000Z07:00"))
	h.Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

func (m *Mastodon) uri(s *mstatus) string {
	return fmt.Sprintf("https://%s/users/%s/statuses/%d", m.o.Domain, s.user, s.id)
}

// statusJSON renders a Status entity (docs, entities/Status) with the
// fields a client reads, the way Mastodon serializes them: ids as strings,
// content as HTML with the hashtag as a link. Caller holds mu.
func (m *Mastodon) statusJSON(s *mstatus, malformed bool) []byte {
	id := strconv.FormatInt(s.id, 10)
	created := s.created.UTC().Format("2006-01-02T15:04:05.000Z")
	if malformed {
		created = "yesterday"
	}
	var edited any
	if !s.edited.IsZero() {
		edited = s.edited.Format("2006-01-02T15:04:05.000Z")
	}
	tagURL := "https://" + m.o.Domain + "/tags/" + m.o.Tag
	content := fmt.Sprintf(`<p>%s <a href="%s" class="mention hashtag" rel="tag">#<span>%s</span></a></p>`, htmlEscape(s.text), tagURL, m.o.Tag)
	v := map[string]any{
		"id": id, "created_at": created, "in_reply_to_id": nil, "in_reply_to_account_id": nil,
		"sensitive": false, "spoiler_text": "", "visibility": "public", "language": "en",
		"uri": m.uri(s), "url": fmt.Sprintf("https://%s/@%s/%d", m.o.Domain, s.user, s.id),
		"replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "edited_at": edited,
		"content": content, "reblog": nil,
		"account": map[string]any{
			"id": "1090000000000" + strconv.Itoa(len(s.user)), "username": s.user, "acct": s.user,
			"display_name": "User " + s.user, "url": "https://" + m.o.Domain + "/@" + s.user,
			"avatar": "https://" + m.o.Domain + "/avatars/original/missing.png",
		},
		"media_attachments": []any{}, "mentions": []any{},
		"tags":   []any{map[string]string{"name": strings.ToLower(m.o.Tag), "url": tagURL}},
		"emojis": []any{}, "card": nil, "poll": nil,
	}
	b, _ := json.Marshal(v)
	return b
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

// MastodonDefaultHeartbeat is the streaming server's ":thump" interval
// (streaming/index.js: setInterval(…, 15000)).
const MastodonDefaultHeartbeat = 15 * time.Second
