package sources

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/redis/rueidis"
)

// node is this worker among the workers: a stable identity (the Holder
// option, WORKER_ID in the app) and an incarnation (random, one per Manager),
// announced by a heartbeat key sources:node:<id> that holds the incarnation
// and expires NodeTTL after its last refresh.
//
// Standbys take over a source as soon as its holder's heartbeat is gone (or
// names another incarnation), instead of waiting out its lease; a restarted
// worker with the same identity writes its new incarnation at start and so
// reclaims its leases at once. The newest incarnation of an identity wins,
// as in Kafka's static group membership (group.instance.id): an older one
// that finds its heartbeat key taken stops its runners and carries on under
// a fresh identity of its own, so two processes started with one WORKER_ID
// never fight over sources.
//
// The node may act (append for its runners) only while a refresh confirmed
// its heartbeat recently enough that no standby can yet have taken over:
// until sentAt + NodeTTL by its own clock, where sentAt is when the
// confirming refresh was sent. The key outlives that instant (Redis set its
// TTL after sentAt), and a standby takes over only after seeing the key
// gone twice, confirmDead apart.
type node struct {
	m *Manager

	mu         sync.Mutex
	id, inc    string
	validUntil time.Time
	beat       chan struct{} // closed and replaced at each confirmed refresh
}

var (
	// registerScript writes this incarnation into the node's key and returns
	// the incarnation it replaced ("" for none).
	registerScript = rueidis.NewLuaScript(`
local old = redis.call('GET', KEYS[1]) or ''
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return old`)
	// refreshScript extends the heartbeat of this incarnation; 0 when
	// another incarnation took the identity. A key Redis lost (expired
	// while Redis was down) is written again: nobody else claimed it.
	refreshScript = rueidis.NewLuaScript(`
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`)
	// leaveScript deletes the heartbeat of this incarnation at a clean stop.
	leaveScript = rueidis.NewLuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)
)

func newNode(m *Manager) *node {
	return &node{m: m, id: m.opts.Holder, inc: randomHex(), beat: make(chan struct{})}
}

// identity returns the node's id and incarnation.
func (n *node) identity() (id, inc string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.id, n.inc
}

// claim is how this node takes a source's lease: a fresh token of this
// incarnation, reclaiming what earlier incarnations of the node held.
func (n *node) claim(steal string) leaseClaim {
	id, inc := n.identity()
	return leaseClaim{token: id + "#" + inc + "#" + randomHex(), steal: steal, nodePrefix: id + "#", incPrefix: id + "#" + inc + "#"}
}

// register announces this incarnation; it retries until Redis answers or ctx ends.
func (n *node) register(ctx context.Context) error {
	for {
		id, inc := n.identity()
		sent := time.Now()
		old, err := registerScript.Exec(ctx, n.m.redis, []string{n.m.k.node(id)},
			[]string{inc, msStr(n.m.opts.NodeTTL)}).ToString()
		if err == nil {
			if old != "" && old != inc {
				n.m.opts.Logger.Info("sources: node identity taken over from its previous incarnation; its leases are reclaimed", "node", id)
			}
			n.confirmed(sent)
			return nil
		}
		n.m.opts.Logger.Warn("sources: register node", "node", id, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(n.m.opts.NodeBeatEvery):
		}
	}
}

// confirmed records a heartbeat Redis accepted, sent at sent.
func (n *node) confirmed(sent time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if until := sent.Add(n.m.opts.NodeTTL); until.After(n.validUntil) {
		n.validUntil = until
	}
	close(n.beat)
	n.beat = make(chan struct{})
}

// heartbeat refreshes the node's key every NodeBeatEvery until ctx ends.
// When another incarnation took the identity, it calls superseded (which
// stops every runner) and registers again under a fresh identity.
func (n *node) heartbeat(ctx context.Context, superseded func()) {
	t := time.NewTicker(n.m.opts.NodeBeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n.m.abandon.Load() {
			return
		}
		id, inc := n.identity()
		sent := time.Now()
		ok, err := refreshScript.Exec(ctx, n.m.redis, []string{n.m.k.node(id)}, []string{inc, msStr(n.m.opts.NodeTTL)}).AsInt64()
		switch {
		case err != nil:
			if ctx.Err() == nil {
				n.m.opts.Logger.Warn("sources: node heartbeat", "node", id, "err", err)
			}
		case ok == 1:
			n.confirmed(sent)
		default:
			n.m.opts.Logger.Error("sources: another process took this worker's identity (two workers share one WORKER_ID?); stopping its runners and going on under a fresh identity", "node", id)
			n.mu.Lock()
			n.id = id + "~" + randomHex()
			n.inc = randomHex()
			n.validUntil = time.Time{}
			n.mu.Unlock()
			superseded()
			if err := n.register(ctx); err != nil {
				return
			}
		}
	}
}

// leave deletes the heartbeat at a clean stop, so standbys need not wait.
func (n *node) leave(ctx context.Context) {
	id, inc := n.identity()
	if err := leaveScript.Exec(ctx, n.m.redis, []string{n.m.k.node(id)}, []string{inc}).Error(); err != nil {
		n.m.opts.Logger.Warn("sources: node leave", "node", id, "err", err)
	}
}

// await returns nil once the node may act: at once while its heartbeat is
// confirmed, else after the next confirmation, or errNodeUnconfirmed when
// none comes within NodeTTL.
func (n *node) await(ctx context.Context) error {
	deadline := time.Now().Add(n.m.opts.NodeTTL)
	for {
		n.mu.Lock()
		valid, beat := time.Now().Before(n.validUntil), n.beat
		n.mu.Unlock()
		if valid {
			return nil
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return errNodeUnconfirmed
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-beat:
			t.Stop()
		case <-t.C:
		}
	}
}

// alive reports which of the given holder tokens belong to a node whose
// heartbeat names their incarnation; tokens of other shapes count as alive
// (their leases run out by until alone).
func (n *node) alive(ctx context.Context, holders []string) (map[string]bool, error) {
	out := make(map[string]bool, len(holders))
	var nodes []string
	want := map[string]string{}
	for _, h := range holders {
		id, _, ok := holderNode(h)
		if !ok {
			out[h] = true
			continue
		}
		if _, seen := want[id]; !seen {
			want[id] = ""
			nodes = append(nodes, id)
		}
	}
	if len(nodes) > 0 {
		c := n.m.redis
		cmds := make(rueidis.Commands, len(nodes))
		for i, id := range nodes {
			cmds[i] = c.B().Get().Key(n.m.k.node(id)).Build()
		}
		for i, r := range c.DoMulti(ctx, cmds...) {
			v, err := r.ToString()
			if err != nil && !rueidis.IsRedisNil(err) {
				return nil, err
			}
			want[nodes[i]] = v
		}
	}
	for _, h := range holders {
		if id, inc, ok := holderNode(h); ok {
			out[h] = want[id] == inc
		}
	}
	return out, nil
}

func msStr(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// errNodeUnconfirmed refuses an append while this node's heartbeat is not
// confirmed: a standby may already have taken its sources over.
var errNodeUnconfirmed = errors.New("sources: this worker's heartbeat is not confirmed; not appending")
