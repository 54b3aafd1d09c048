package sources

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Manager runs the enabled streamed sources of every event: one runner per
// source, each under a lease so that across all workers exactly one runs it.
// A worker's death costs its sources about NodeTTL: standbys notice that its
// heartbeat is gone (node.go) and take its leases over, and a worker that
// restarts under the same identity reclaims them at once. Polled sources
// (PolledKind) are not run here but by HandlePoll, one asynq task per poll,
// under the same lease.
type Manager struct {
	db    *gorm.DB
	redis rueidis.Client
	log   Appender
	opts  ManagerOptions
	k     keys
	met   *metrics
	node  *node
	// abandon makes runners stop like a killed process: no lease release,
	// no last cursor or state write, no more heartbeats (tests of takeover).
	abandon atomic.Bool

	profMu sync.Mutex
	profs  map[string]*profileResolver // by AppView base URL
}

// NewManager returns a manager; Run starts it.
func NewManager(db *gorm.DB, redis rueidis.Client, log Appender, opts ManagerOptions) *Manager {
	opts = opts.withDefaults()
	m := &Manager{db: db, redis: redis, log: log, opts: opts, k: keys{ns: opts.Namespace}, met: newMetrics(opts.Metrics)}
	m.node = newNode(m)
	return m
}

// place sets an item's session and room (ManagerOptions.Place) before it is
// appended.
func (m *Manager) place(ctx context.Context, eventID int64, it *live.Item) {
	if m.opts.Place != nil {
		m.opts.Place(ctx, eventID, it)
	}
}

type handle struct {
	cancel  context.CancelFunc
	done    chan struct{}
	updated time.Time
}

// Run announces this worker (node.go), then starts and stops runners as
// sources are enabled, disabled or edited, and takes over the sources of
// workers that died, until ctx ends; it then stops every runner, releases
// their leases, withdraws the worker's heartbeat and returns nil.
func (m *Manager) Run(ctx context.Context) error {
	running := map[int64]*handle{}
	var wg sync.WaitGroup
	stopAll := func() {
		for _, h := range running {
			h.cancel()
		}
		wg.Wait()
	}
	if err := m.node.register(ctx); err != nil {
		return nil
	}
	superseded := make(chan struct{}, 1)
	beatCtx, stopBeat := context.WithCancel(ctx)
	beatDone := make(chan struct{})
	go func() {
		defer close(beatDone)
		m.node.heartbeat(beatCtx, func() {
			select {
			case superseded <- struct{}{}:
			default:
			}
		})
	}()
	defer func() {
		stopAll()
		stopBeat()
		<-beatDone
		if !m.abandon.Load() {
			bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			m.node.leave(bg)
			cancel()
		}
	}()
	enabled, err := m.enabledSources(ctx)
	if err != nil {
		m.opts.Logger.Error("sources: load sources", "err", err)
	}
	tick := time.NewTicker(min(m.opts.AcquireEvery, m.opts.TakeoverCheckEvery))
	defer tick.Stop()
	reload := time.NewTicker(m.opts.ReloadEvery)
	defer reload.Stop()
	t := &takeover{m: m, seen: map[int64]string{}, suspect: map[string]time.Time{}}
	for {
		for id, h := range running {
			select {
			case <-h.done:
				delete(running, id)
			default:
			}
		}
		want := make(map[int64]models.Source, len(enabled))
		for _, s := range enabled {
			want[s.ID] = s
		}
		for id, h := range running {
			if s, ok := want[id]; !ok || !s.UpdatedAt.Equal(h.updated) {
				h.cancel()
			}
		}
		var free []models.Source
		for _, s := range enabled {
			if _, busy := running[s.ID]; !busy && !m.abandon.Load() {
				free = append(free, s)
			}
		}
		if ctx.Err() == nil {
			for _, got := range t.acquire(ctx, free) {
				rctx, cancel := context.WithCancel(ctx)
				h := &handle{cancel: cancel, done: make(chan struct{}), updated: got.src.UpdatedAt}
				running[got.src.ID] = h
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer close(h.done)
					defer cancel()
					m.runSource(rctx, got.src, got.token, got.fence)
				}()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-superseded:
			// Another process took this worker's identity and, with it, its
			// leases: the runners here are zombies now.
			stopAll()
			clear(running)
		case <-tick.C:
		case <-reload.C:
			if list, err := m.enabledSources(ctx); err != nil {
				m.opts.Logger.Error("sources: reload sources", "err", err)
			} else {
				enabled = list
			}
		}
	}
}

// takeover decides which free sources this worker tries to take, and when.
type takeover struct {
	m        *Manager
	seen     map[int64]string     // holder last found on sources held elsewhere
	suspect  map[string]time.Time // holders first seen without a heartbeat, and when
	lastFull time.Time
}

// confirmDead is how long a holder must stay without a heartbeat, checked
// again, before a standby takes its sources: after Redis stalled (a slow
// command, an overloaded box) every heartbeat may have run out at once, and
// a live holder refreshes within NodeBeatEvery once Redis answers again,
// while a dead one never does.
func (m *Manager) confirmDead() time.Duration { return m.opts.NodeBeatEvery * 3 / 2 }

type acquired struct {
	src   models.Source
	token string
	fence int64
}

// acquire tries the leases of sources not running here: every AcquireEvery
// (and at once for a source not seen before) it tries them all, which takes
// free and run-out leases and reclaims those of this node's previous
// incarnations; in between, every TakeoverCheckEvery, it checks the
// heartbeats of the holders it last saw and takes over from the dead ones.
func (t *takeover) acquire(ctx context.Context, free []models.Source) []acquired {
	m := t.m
	full := time.Since(t.lastFull) >= m.opts.AcquireEvery
	if full {
		t.lastFull = time.Now()
	}
	var try []models.Source
	var steal []string
	var check []string
	var held []models.Source
	isFree := make(map[int64]bool, len(free))
	for _, s := range free {
		isFree[s.ID] = true
	}
	for id := range t.seen {
		if !isFree[id] {
			delete(t.seen, id) // running here now, or no longer enabled
		}
	}
	for _, s := range free {
		h, seen := t.seen[s.ID]
		switch {
		case full || !seen:
			try, steal = append(try, s), append(steal, "")
		default:
			held = append(held, s)
			check = append(check, h)
		}
	}
	if len(check) > 0 {
		alive, err := m.node.alive(ctx, check)
		if err != nil {
			m.opts.Logger.Warn("sources: check holders' heartbeats", "err", err)
		}
		now := time.Now()
		for i, s := range held {
			h := check[i]
			switch {
			case err != nil:
			case alive[h]:
				delete(t.suspect, h)
			case t.suspect[h].IsZero():
				t.suspect[h] = now
			case now.Sub(t.suspect[h]) >= m.confirmDead():
				try, steal = append(try, s), append(steal, h)
			}
		}
		for h, since := range t.suspect {
			if now.Sub(since) > time.Minute {
				delete(t.suspect, h)
			}
		}
	}
	if len(try) == 0 {
		return nil
	}
	keys := make([]string, len(try))
	claims := make([]leaseClaim, len(try))
	for i, s := range try {
		keys[i] = m.k.lease(s.ID)
		claims[i] = m.node.claim(steal[i])
	}
	res, errs := takeLeases(ctx, m.redis, keys, claims, m.opts.LeaseTTL)
	var out []acquired
	for i, s := range try {
		switch {
		case errs[i] != nil:
			if ctx.Err() == nil {
				m.opts.Logger.Warn("sources: lease", "source", s.ID, "err", errs[i])
			}
		case res[i].fence > 0:
			delete(t.seen, s.ID)
			if steal[i] != "" || res[i].holder != "" {
				m.opts.Logger.Info("sources: took over source", "source", s.ID, "from", res[i].holder, "fence", res[i].fence)
			}
			out = append(out, acquired{src: s, token: claims[i].token, fence: res[i].fence})
		default:
			t.seen[s.ID] = res[i].holder
		}
	}
	return out
}

func (m *Manager) enabledSources(ctx context.Context) ([]models.Source, error) {
	// Polled kinds run as asynq periodic tasks (HandlePoll), never here.
	list, err := store.New(m.db).EnabledSources(ctx, store.SourceKinds{Kinds: polledKinds, Not: true})
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	return list, nil
}

// runSource runs one source while the lease is held: a housekeeping loop
// extends the lease, saves the cursor, writes the state, reloads the rules
// and takes reconnect requests; losing the lease stops the runner.
func (m *Manager) runSource(ctx context.Context, src models.Source, token string, fence int64) {
	r := newRunner(m, src, token)
	r.fence, r.needsNode = fence, true
	log := r.log
	leaseKey := m.k.lease(src.ID)
	defer func() {
		if m.abandon.Load() {
			return
		}
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := r.flushCursor(bg); err != nil {
			log.Warn("sources: save cursor at stop", "err", err)
		}
		r.mu.Lock()
		r.st.Connected = false
		r.mu.Unlock()
		if err := r.writeState(bg, true); err != nil {
			log.Warn("sources: state at stop", "err", err)
		}
		if err := releaseLease(bg, m.redis, leaseKey, token); err != nil {
			log.Warn("sources: release lease", "err", err)
		}
	}()
	cfg, cfgErr := ParseConfig(src.Config)
	r.cfg = cfg
	err := cfgErr
	if err == nil {
		err = r.init(ctx)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.housekeeping(rctx, r, leaseKey, token, cancel)
	}()
	log.Info("sources: runner started", "holder", r.st.Holder, "fence", fence)
	// An init that failed for a moment (Redis or Postgres restarting: the
	// rules come from Postgres) is tried again; only a bad config waits for
	// an admin's edit. Giving up here would hold the lease and fetch nothing.
	for attempt := 1; err != nil && cfgErr == nil && rctx.Err() == nil; attempt++ {
		r.fail(err)
		r.sleep(rctx, m.opts.Backoff.delay(err, attempt))
		if err = r.init(rctx); err == nil {
			log.Info("sources: runner initialised after retrying", "attempts", attempt+1)
		}
	}
	if err != nil {
		r.fail(err)
		<-rctx.Done()
	} else {
		r.loop(rctx)
	}
	cancel()
	wg.Wait()
	log.Info("sources: runner stopped")
}

func (m *Manager) housekeeping(ctx context.Context, r *runner, leaseKey, token string, stop context.CancelFunc) {
	renew := time.NewTicker(m.opts.RenewEvery)
	defer renew.Stop()
	tick := time.NewTicker(m.opts.StateEvery)
	defer tick.Stop()
	rules := time.NewTicker(m.opts.RulesEvery)
	defer rules.Stop()
	c := m.redis
	for {
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
			ok, err := extendLease(ctx, c, leaseKey, token, m.opts.LeaseTTL)
			if err != nil {
				r.log.Warn("sources: extend lease", "err", err)
				continue
			}
			if !ok {
				r.log.Warn("sources: lease lost, stopping runner")
				stop()
				return
			}
		case <-tick.C:
			if err := r.flushCursor(ctx); errors.Is(err, errLeaseFenced) {
				r.log.Warn("sources: lease taken by another worker, stopping runner")
				stop()
				return
			} else if err != nil {
				r.log.Warn("sources: save cursor", "err", err)
			}
			if err := r.writeState(ctx, false); err != nil {
				r.log.Warn("sources: write state", "err", err)
			}
			res := c.Do(ctx, c.B().Getdel().Key(m.k.reconnect(r.src.ID)).Build())
			if s, err := res.ToString(); err == nil && s != "" {
				r.log.Info("sources: reconnect requested")
				r.requestReconnect()
			}
		case <-rules.C:
			if err := r.reloadRules(ctx); err != nil {
				r.log.Warn("sources: reload rules", "err", err)
			}
			// The id→seq map lives as long as the event is being followed, and
			// a month after.
			c.Do(ctx, c.B().Expire().Key(m.k.seqs(r.src.EventID)).Seconds(30*86400).Build())
		}
	}
}

func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
