package sources

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/live"
)

// Bluesky profiles. Jetstream names a post's author by DID only; the
// AppView's app.bsky.actor.getProfiles gives handle, display name and
// avatar, up to 25 actors per request.
//
// The choice: a post whose author is in the memory cache is appended with
// the profile at once. Otherwise the runner asks for it and waits at most
// BlueskyProfileWait (300 ms): requests are batched for a few milliseconds,
// looked up in Redis (one round trip, so a worker taking a source over does
// not refetch everyone), and only the misses go to the AppView. If the
// profile is not there in time the post is appended with its DID as author,
// and an `update` entry with the resolved author follows when it arrives.
// While the AppView answers slower than the wait, or failed recently, the
// runner does not wait at all (the AppView is skipped for a while after a
// failure): a slow or failing AppView never stalls the stream. A lost update
// (crash, shutdown) leaves the DID as author, never loses the post.
const (
	// DefaultProfileBase is the public AppView that serves profiles.
	DefaultProfileBase = "https://public.api.bsky.app"
	profileBatchMax    = 25
	profileBatchDelay  = 10 * time.Millisecond
	profileFetchLimit  = 5 * time.Second
	// profileRetries is how many lookups a post whose author's profile
	// could not be fetched gets (one per BlueskyProfileRetry) before it
	// keeps its DID as author.
	profileRetries = 6
	profileMemMax  = 10000
	// maxPendingUpdates bounds the goroutines waiting to update an author.
	maxPendingUpdates = 1000
)

// bskyProfile is what the runner knows of one DID. Missing means the AppView
// answered without it (deleted or taken down): the DID stays the author.
type bskyProfile struct {
	Handle  string
	Name    string
	Avatar  string
	Missing bool
}

// author is the item author of did with this profile.
func (p bskyProfile) author(did string) live.Author {
	if p.Missing || p.Handle == "" || p.Handle == "handle.invalid" {
		return didAuthor(did)
	}
	name := strings.TrimSpace(p.Name)
	if name == "" {
		name = p.Handle
	}
	return live.Author{Name: name, Handle: "@" + p.Handle,
		URL: "https://bsky.app/profile/" + url.PathEscape(p.Handle), AvatarURL: SafeURL(p.Avatar)}
}

func didAuthor(did string) live.Author {
	return live.Author{Name: did, Handle: did, URL: "https://bsky.app/profile/" + did}
}

// profileBatch is one pending lookup of up to profileBatchMax DIDs.
type profileBatch struct {
	dids []string
	done chan struct{}
	res  map[string]bskyProfile // written before done closes
}

func (b *profileBatch) get(did string) (bskyProfile, bool) {
	p, ok := b.res[did]
	return p, ok
}

// profileResolver resolves and caches the profiles of one AppView.
type profileResolver struct {
	base  string
	http  *http.Client
	redis rueidis.Client
	k     keys
	ttl   time.Duration
	wait  time.Duration
	log   *slog.Logger

	mu        sync.Mutex
	mem       map[string]*list.Element
	order     *list.List // of *memEntry, most recent first
	cur       *profileBatch
	inflight  map[string]*profileBatch
	downUntil time.Time
	slowUntil time.Time
	fetches   int // AppView requests made (tests read it)
	downFor   time.Duration
}

type memEntry struct {
	did     string
	p       bskyProfile
	expires time.Time
}

func newProfileResolver(m *Manager, base string) *profileResolver {
	return &profileResolver{
		base: strings.TrimRight(base, "/"), http: m.opts.HTTPClient, redis: m.redis, k: m.k,
		ttl: m.opts.BlueskyProfileTTL, wait: m.opts.BlueskyProfileWait, log: m.opts.Logger,
		mem: map[string]*list.Element{}, order: list.New(), inflight: map[string]*profileBatch{},
		downFor: m.opts.BlueskyProfileRetry,
	}
}

// profiles returns the manager's resolver of an AppView, shared by all its
// Bluesky runners.
func (m *Manager) profiles(base string) *profileResolver {
	m.profMu.Lock()
	defer m.profMu.Unlock()
	if m.profs == nil {
		m.profs = map[string]*profileResolver{}
	}
	pr := m.profs[base]
	if pr == nil {
		pr = newProfileResolver(m, base)
		m.profs[base] = pr
	}
	return pr
}

// upAt is when the AppView may be asked again after a failure.
func (pr *profileResolver) upAt() time.Time {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.downUntil
}

// cached returns a profile from memory.
func (pr *profileResolver) cached(did string) (bskyProfile, bool) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	el, ok := pr.mem[did]
	if !ok {
		return bskyProfile{}, false
	}
	e := el.Value.(*memEntry)
	if time.Now().After(e.expires) {
		pr.order.Remove(el)
		delete(pr.mem, did)
		return bskyProfile{}, false
	}
	pr.order.MoveToFront(el)
	return e.p, true
}

func (pr *profileResolver) remember(did string, p bskyProfile, ttl time.Duration) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	exp := time.Now().Add(ttl)
	if el, ok := pr.mem[did]; ok {
		el.Value = &memEntry{did: did, p: p, expires: exp}
		pr.order.MoveToFront(el)
		return
	}
	pr.mem[did] = pr.order.PushFront(&memEntry{did: did, p: p, expires: exp})
	for pr.order.Len() > profileMemMax {
		old := pr.order.Back()
		pr.order.Remove(old)
		delete(pr.mem, old.Value.(*memEntry).did)
	}
}

// waitFor is how long a runner may wait for an unknown profile now: 0 while
// the AppView is slow or failing.
func (pr *profileResolver) waitFor() time.Duration {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	now := time.Now()
	if now.Before(pr.downUntil) || now.Before(pr.slowUntil) {
		return 0
	}
	return pr.wait
}

// request queues did for the next batch (or joins the batch already
// fetching it) and returns that batch.
func (pr *profileResolver) request(did string) *profileBatch {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if b, ok := pr.inflight[did]; ok {
		return b
	}
	b := pr.cur
	if b == nil {
		b = &profileBatch{done: make(chan struct{})}
		pr.cur = b
		time.AfterFunc(profileBatchDelay, func() { pr.flush(b) })
	}
	b.dids = append(b.dids, did)
	pr.inflight[did] = b
	if len(b.dids) >= profileBatchMax {
		pr.cur = nil
		go pr.fetch(b)
	}
	return b
}

// flush sends b if it is still the batch being filled.
func (pr *profileResolver) flush(b *profileBatch) {
	pr.mu.Lock()
	if pr.cur != b {
		pr.mu.Unlock()
		return
	}
	pr.cur = nil
	pr.mu.Unlock()
	pr.fetch(b)
}

// fetch resolves a batch: Redis first, then the AppView for the rest.
func (pr *profileResolver) fetch(b *profileBatch) {
	res := map[string]bskyProfile{}
	defer func() {
		pr.mu.Lock()
		for _, did := range b.dids {
			delete(pr.inflight, did)
		}
		pr.mu.Unlock()
		b.res = res
		close(b.done)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), profileFetchLimit)
	defer cancel()
	misses := pr.fromRedis(ctx, b.dids, res)
	if len(misses) == 0 {
		return
	}
	pr.mu.Lock()
	down := time.Now().Before(pr.downUntil)
	pr.mu.Unlock()
	if down {
		return
	}
	start := time.Now()
	got, err := pr.fromAppView(ctx, misses)
	took := time.Since(start)
	pr.mu.Lock()
	pr.fetches++
	if err != nil {
		pr.downUntil = time.Now().Add(pr.downFor)
	} else if took > pr.wait {
		pr.slowUntil = time.Now().Add(pr.downFor)
	}
	pr.mu.Unlock()
	if err != nil {
		pr.log.Warn("sources: bluesky profiles", "err", err, "skipping_for", pr.downFor)
		return
	}
	for _, did := range misses {
		p, ok := got[did]
		if !ok {
			p = bskyProfile{Missing: true}
		}
		res[did] = p
	}
	pr.toRedis(ctx, misses, res)
	for _, did := range misses {
		pr.remember(did, res[did], pr.ttl)
	}
}

// fromRedis fills res with the cached profiles and returns the misses.
func (pr *profileResolver) fromRedis(ctx context.Context, dids []string, res map[string]bskyProfile) []string {
	c := pr.redis
	cmds := make(rueidis.Commands, 0, 2*len(dids))
	for _, did := range dids {
		cmds = append(cmds, c.B().Hgetall().Key(pr.k.profile(did)).Build(), c.B().Pttl().Key(pr.k.profile(did)).Build())
	}
	rs := c.DoMulti(ctx, cmds...)
	var misses []string
	for i, did := range dids {
		m, err := rs[2*i].AsStrMap()
		if err != nil || len(m) == 0 {
			misses = append(misses, did)
			continue
		}
		p := bskyProfile{Handle: m["handle"], Name: m["name"], Avatar: m["avatar"], Missing: m["missing"] == "1"}
		res[did] = p
		// The memory copy lives no longer than the Redis one.
		ttl := pr.ttl
		if d, err := rs[2*i+1].AsInt64(); err == nil && d > 0 {
			ttl = min(ttl, time.Duration(d)*time.Millisecond)
		}
		pr.remember(did, p, ttl)
	}
	return misses
}

func (pr *profileResolver) toRedis(ctx context.Context, dids []string, res map[string]bskyProfile) {
	c := pr.redis
	cmds := make(rueidis.Commands, 0, 2*len(dids))
	for _, did := range dids {
		p := res[did]
		key := pr.k.profile(did)
		cmds = append(cmds,
			c.B().Hset().Key(key).FieldValue().FieldValue("handle", p.Handle).FieldValue("name", p.Name).
				FieldValue("avatar", p.Avatar).FieldValue("missing", boolStr(p.Missing)).Build(),
			c.B().Expire().Key(key).Seconds(int64(pr.ttl/time.Second)).Build())
	}
	for _, r := range c.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			pr.log.Warn("sources: cache bluesky profiles", "err", err)
			return
		}
	}
}

type getProfilesResponse struct {
	Profiles []struct {
		DID         string `json:"did"`
		Handle      string `json:"handle"`
		DisplayName string `json:"displayName"`
		Avatar      string `json:"avatar"`
	} `json:"profiles"`
}

func (pr *profileResolver) fromAppView(ctx context.Context, dids []string) (map[string]bskyProfile, error) {
	q := url.Values{"actors": dids}
	_, body, err := get(ctx, pr.http, pr.base+"/xrpc/app.bsky.actor.getProfiles?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	return parseProfiles(body)
}

// parseProfiles parses an app.bsky.actor.getProfiles answer into profiles
// by DID (handles lower-cased, display names trimmed to one line).
func parseProfiles(body []byte) (map[string]bskyProfile, error) {
	var r getProfilesResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("sources: bluesky profiles: %w", err)
	}
	out := make(map[string]bskyProfile, len(r.Profiles))
	for _, p := range r.Profiles {
		if !strings.HasPrefix(p.DID, "did:") {
			continue
		}
		handle := strings.ToLower(strings.TrimSpace(p.Handle))
		if strings.ContainsAny(handle, "/?#@ \t\r\n") {
			handle = ""
		}
		out[p.DID] = bskyProfile{Handle: handle, Name: oneLine(p.DisplayName, 200), Avatar: SafeURL(p.Avatar)}
	}
	return out, nil
}

// oneLine folds whitespace and keeps at most n runes of valid UTF-8.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "")), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n])
	}
	return s
}
