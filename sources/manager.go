package sources

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// Manager runs the enabled streamed sources of every event: one runner per
// source, each under a Redis lease so that across all workers exactly one
// runs it, and another takes it over within the lease TTL when its worker
// dies. Polled sources (PolledKind) are not run here but by HandlePoll, one
// asynq task per poll, under the same lease.
type Manager struct {
	db    *gorm.DB
	redis rueidis.Client
	log   Appender
	opts  ManagerOptions
	k     keys
	met   *metrics
	// abandon makes runners stop like a killed process: no lease release,
	// no last cursor or state write (tests of takeover).
	abandon atomic.Bool

	profMu sync.Mutex
	profs  map[string]*profileResolver // by AppView base URL
}

// NewManager returns a manager; Run starts it.
func NewManager(db *gorm.DB, redis rueidis.Client, log Appender, opts ManagerOptions) *Manager {
	opts = opts.withDefaults()
	return &Manager{db: db, redis: redis, log: log, opts: opts, k: keys{ns: opts.Namespace}, met: newMetrics(opts.Metrics)}
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

// Run starts and stops runners as sources are enabled, disabled or edited,
// until ctx ends; it then stops every runner, releases their leases and
// returns nil.
func (m *Manager) Run(ctx context.Context) error {
	running := map[int64]*handle{}
	var wg sync.WaitGroup
	defer func() {
		for _, h := range running {
			h.cancel()
		}
		wg.Wait()
	}()
	enabled, err := m.enabledSources(ctx)
	if err != nil {
		m.opts.Logger.Error("sources: load sources", "err", err)
	}
	acquire := time.NewTicker(m.opts.AcquireEvery)
	defer acquire.Stop()
	reload := time.NewTicker(m.opts.ReloadEvery)
	defer reload.Stop()
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
		for _, s := range enabled {
			if _, busy := running[s.ID]; busy || ctx.Err() != nil {
				continue
			}
			token := m.opts.Holder + ":" + randomHex()
			ok, err := acquireLease(ctx, m.redis, m.k.lease(s.ID), token, m.opts.LeaseTTL)
			if err != nil {
				m.opts.Logger.Warn("sources: lease", "source", s.ID, "err", err)
				continue
			}
			if !ok {
				continue
			}
			rctx, cancel := context.WithCancel(ctx)
			h := &handle{cancel: cancel, done: make(chan struct{}), updated: s.UpdatedAt}
			running[s.ID] = h
			wg.Add(1)
			go func(s models.Source) {
				defer wg.Done()
				defer close(h.done)
				defer cancel()
				m.runSource(rctx, s, token)
			}(s)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-acquire.C:
		case <-reload.C:
			if list, err := m.enabledSources(ctx); err != nil {
				m.opts.Logger.Error("sources: reload sources", "err", err)
			} else {
				enabled = list
			}
		}
	}
}

func (m *Manager) enabledSources(ctx context.Context) ([]models.Source, error) {
	var list []models.Source
	// Polled kinds run as asynq periodic tasks (HandlePoll), never here.
	if err := m.db.WithContext(ctx).Where("enabled AND kind NOT IN ?", polledKinds).Order("id").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("sources: list enabled sources: %w", err)
	}
	return list, nil
}

// runSource runs one source while the lease is held: a housekeeping loop
// extends the lease, saves the cursor, writes the state, reloads the rules
// and takes reconnect requests; losing the lease stops the runner.
func (m *Manager) runSource(ctx context.Context, src models.Source, token string) {
	r := newRunner(m, src, token)
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
	cfg, err := ParseConfig(src.Config)
	r.cfg = cfg
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
	log.Info("sources: runner started", "holder", m.opts.Holder)
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
			if err := r.flushCursor(ctx); err != nil {
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
