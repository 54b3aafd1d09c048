package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// bitset marks item indexes 1..n.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, n/64+1) }

// set marks i and reports whether it was marked already.
func (b bitset) set(i int) bool {
	w, m := i/64, uint64(1)<<(i%64)
	was := b[w]&m != 0
	b[w] |= m
	return was
}

func (b bitset) has(i int) bool { return b[i/64]&(uint64(1)<<(i%64)) != 0 }

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// wireItem and wireEntry are the parts of the Live API's JSON the checker reads.
type wireItem struct {
	Seq int64  `json:"seq"`
	ID  string `json:"id"`
}

type wireEntry struct {
	Seq  int64     `json:"seq"`
	Op   string    `json:"op"`
	Item *wireItem `json:"item"`
}

type livePage struct {
	Reset   bool        `json:"reset"`
	Items   []wireItem  `json:"items"`
	Entries []wireEntry `json:"entries"`
	Epoch   string      `json:"epoch"`
	Head    int64       `json:"head"`
	Next    int64       `json:"next"`
	More    bool        `json:"more"`
}

// clock is what clients need to know about the emission for latency and gaps.
type clock struct {
	fake *upstreams
	lat  *histogram
}

// client is one long-poll client following the Live API: a snapshot, then
// polls with since/epoch; on reset the new snapshot, merged by id, and the
// new epoch's log from 0 so it can still hold every item.
type client struct {
	id    int
	nodes []string
	node  int
	event string
	http  *http.Client
	clk   *clock
	items int

	mu         sync.Mutex
	received   bitset // every item this client holds, by index
	epochSeen  bitset // items added by entries within the current epoch
	epoch      string
	since      int64
	lastSeq    int64
	dups       int
	dupSamples []string
	outOfOrder int
	oooSamples []string
	resets     int
	errors     int
	requests   int
	lastNew    time.Time
	maxGap     time.Duration
	foreign    int // adds of items that are not ours
}

func newClient(id int, nodes []string, event string, items int, clk *clock) *client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{MaxIdleConnsPerHost: 2, IdleConnTimeout: 90 * time.Second, DisableCompression: true}
	return &client{id: id, nodes: nodes, node: id % len(nodes), event: event, items: items, clk: clk,
		http:     &http.Client{Jar: jar, Transport: tr, Timeout: 40 * time.Second},
		received: newBitset(items + 1), epochSeen: newBitset(items + 1)}
}

// get fetches one Live API page; errors and non-200 answers move the client
// to the other node (as a load balancer would) after a short pause.
func (c *client) get(ctx context.Context, query string) (*livePage, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		u := c.nodes[c.node] + "/api/events/" + c.event + "/live" + query
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		c.mu.Lock()
		c.requests++
		c.mu.Unlock()
		resp, err := c.http.Do(req)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK {
				var p livePage
				if err := json.Unmarshal(body, &p); err != nil {
					return nil, fmt.Errorf("client %d: bad JSON from %s: %w", c.id, u, err)
				}
				return &p, nil
			}
			pause := 200 * time.Millisecond
			if resp.StatusCode == http.StatusTooManyRequests {
				if s, _ := strconv.Atoi(resp.Header.Get("Retry-After")); s > 0 {
					pause = time.Duration(min(s, 2)) * time.Second
				}
			}
			c.fail(ctx, pause)
			continue
		}
		c.fail(ctx, 200*time.Millisecond)
	}
}

func (c *client) fail(ctx context.Context, pause time.Duration) {
	if ctx.Err() != nil {
		return // stopping, not an error of the server
	}
	c.mu.Lock()
	c.errors++
	c.node = (c.node + 1) % len(c.nodes)
	c.mu.Unlock()
	select {
	case <-ctx.Done():
	case <-time.After(pause):
	}
}

// run follows the live log until ctx ends.
func (c *client) run(ctx context.Context, wait int) {
	p, err := c.get(ctx, "?limit=500")
	if err != nil {
		return
	}
	c.applySnapshot(p)
	for ctx.Err() == nil {
		c.mu.Lock()
		q := fmt.Sprintf("?since=%d&epoch=%s&limit=500&wait=%d", c.since, c.epoch, wait)
		c.mu.Unlock()
		p, err := c.get(ctx, q)
		if err != nil {
			return
		}
		if p.Reset {
			c.applySnapshot(p)
			c.resync(ctx)
			continue
		}
		c.applyEntries(p)
	}
}

// resync pages the new epoch's log from 0 up to where the snapshot left the
// client, so items it missed before the reset are not counted lost.
func (c *client) resync(ctx context.Context) {
	c.mu.Lock()
	target, epoch := c.since, c.epoch
	c.mu.Unlock()
	var since int64
	for since < target && ctx.Err() == nil {
		p, err := c.get(ctx, fmt.Sprintf("?since=%d&epoch=%s&limit=500", since, epoch))
		if err != nil || p.Reset {
			return // the outer loop handles a second reset
		}
		c.mu.Lock()
		for _, e := range p.Entries {
			if e.Op == "add" && e.Item != nil {
				if i := c.clk.fake.itemIndex(e.Item.ID); i > 0 && i <= c.items {
					c.received.set(i)
				}
			}
		}
		c.mu.Unlock()
		if p.Next <= since {
			return
		}
		since = p.Next
	}
}

func (c *client) applySnapshot(p *livePage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != "" {
		c.resets++
	}
	c.epoch, c.since, c.lastSeq = p.Epoch, p.Next, p.Next
	c.epochSeen = newBitset(c.items + 1)
	now := time.Now()
	for _, it := range p.Items {
		if i := c.clk.fake.itemIndex(it.ID); i > 0 && i <= c.items {
			if !c.received.set(i) {
				c.noteNew(i, now)
			}
		}
	}
}

func (c *client) applyEntries(p *livePage) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch == "" {
		c.epoch = p.Epoch // the log had no epoch before its first entry
	}
	if p.Epoch != "" && p.Epoch != c.epoch {
		// A page of another epoch without reset would be a protocol error.
		c.outOfOrder++
		c.sample(&c.oooSamples, fmt.Sprintf("page of epoch %s while following %s", p.Epoch, c.epoch))
		c.epoch, c.epochSeen, c.lastSeq = p.Epoch, newBitset(c.items+1), 0
	}
	for _, e := range p.Entries {
		if e.Seq <= c.lastSeq {
			c.outOfOrder++
			c.sample(&c.oooSamples, fmt.Sprintf("seq %d after %d (epoch %s, node %s)", e.Seq, c.lastSeq, c.epoch, c.nodes[c.node]))
		}
		c.lastSeq = max(c.lastSeq, e.Seq)
		if e.Op != "add" || e.Item == nil {
			continue
		}
		i := c.clk.fake.itemIndex(e.Item.ID)
		if i <= 0 || i > c.items {
			c.foreign++
			continue
		}
		if c.epochSeen.set(i) {
			c.dups++
			c.sample(&c.dupSamples, fmt.Sprintf("item %d (%s) again at seq %d (epoch %s, node %s)", i, e.Item.ID, e.Seq, c.epoch, c.nodes[c.node]))
		}
		if !c.received.set(i) {
			c.noteNew(i, now)
		}
	}
	if p.Next > c.since {
		c.since = p.Next
	}
}

// noteNew records the latency of item i and the gap since the previous new
// item (gaps count only while the source is emitting). Caller holds mu.
func (c *client) noteNew(i int, now time.Time) {
	f := c.clk.fake
	if at := f.emittedAt[i].Load(); at > 0 {
		c.clk.lat.add(now.Sub(time.Unix(0, at)))
	}
	start := f.started.Load()
	if start == 0 {
		return
	}
	prev := c.lastNew
	if s := time.Unix(0, start); prev.Before(s) {
		prev = s
	}
	if end := f.finished.Load(); end == 0 || prev.UnixNano() < end {
		c.maxGap = max(c.maxGap, now.Sub(prev))
	}
	c.lastNew = now
}

func (c *client) sample(list *[]string, s string) {
	if len(*list) < 5 {
		*list = append(*list, s)
	}
}

// position is the client's epoch and since.
func (c *client) position() (string, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch, c.since
}

// histogram counts durations in 1 ms buckets up to 10 s, 100 ms buckets to 10 min.
type histogram struct {
	b     [10000 + 5900 + 1]atomic.Int64
	maxNs atomic.Int64
}

func (h *histogram) add(d time.Duration) {
	ms := int(d / time.Millisecond)
	i := ms
	if ms >= 10000 {
		i = min(10000+(ms-10000)/100, len(h.b)-1)
	}
	h.b[max(i, 0)].Add(1)
	for {
		m := h.maxNs.Load()
		if int64(d) <= m || h.maxNs.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// quantile returns the q-quantile (0..1) as a duration.
func (h *histogram) quantile(q float64) time.Duration {
	var total int64
	for i := range h.b {
		total += h.b[i].Load()
	}
	if total == 0 {
		return 0
	}
	want := int64(q * float64(total))
	var run int64
	for i := range h.b {
		run += h.b[i].Load()
		if run > want {
			if i < 10000 {
				return time.Duration(i) * time.Millisecond
			}
			return time.Duration(10000+(i-10000)*100) * time.Millisecond
		}
	}
	return time.Duration(h.maxNs.Load())
}
