package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
)

// adapter speaks one source kind's protocol on behalf of a runner.
type adapter interface {
	// run connects and feeds r until the stream ends (it then returns why),
	// or, for a poll, polls once and returns nil.
	run(ctx context.Context, r *runner) error
	// interval is the wait after a successful run: 0 for a stream.
	interval() time.Duration
}

// errReconnectRequested ends a run on RequestReconnect.
var errReconnectRequested = errors.New("sources: reconnect requested")

// checkpoint is a cursor and when the last item before it was appended.
type checkpoint struct {
	cursor string
	start  time.Time
	at     time.Time
}

// runner runs one source while its worker holds the source's lease.
type runner struct {
	m     *Manager
	src   models.Source
	cfg   Config
	token string
	// fence orders this holder among the lease's holders (lease.go); state
	// writes carry it.
	fence int64
	// delegate: a runner another source's runner drives (an X source sharing
	// its app's stream); its state is written unfenced, over the idle holder's.
	delegate bool
	// idle: the holder leaves its state to a delegate (the X primary's).
	idle atomic.Bool
	// needsNode: the runner appends only while its node's heartbeat is
	// confirmed (node.go); polls, which no heartbeat takes over, do not wait.
	needsNode bool
	// cred is the source's secret and the host it may go to (credentials.go).
	cred credential
	log  *slog.Logger

	mu        sync.Mutex
	st        State
	dirty     bool
	cursor    string
	pending   []checkpoint
	attempt   int
	rules     moderation.Rules
	cancelRun context.CancelCauseFunc
	wake      chan struct{}
}

func newRunner(m *Manager, src models.Source, token string) *runner {
	return &runner{
		m: m, src: src, token: token,
		log:  m.opts.Logger.With("source", src.ID, "kind", src.Kind, "event", src.EventID),
		st:   State{Holder: nodeID(m)},
		wake: make(chan struct{}, 1),
	}
}

// init loads the saved cursor, the lease's fence (for a poll, which takes
// its lease without learning it), the counters of the previous holder and
// the moderation rules.
func (r *runner) init(ctx context.Context) error {
	c := r.m.redis
	res := c.DoMulti(ctx,
		c.B().Hmget().Key(r.m.k.cursor(r.src.ID)).Field("cursor", "holder", "fence").Build(),
		c.B().Hgetall().Key(r.m.k.state(r.src.ID)).Build())
	vs, err := res[0].ToArray()
	if err != nil {
		return fmt.Errorf("sources: load cursor of source %d: %w", r.src.ID, err)
	}
	cur := str(vs, 0)
	if r.fence == 0 && str(vs, 1) == r.token {
		r.fence, _ = strconv.ParseInt(str(vs, 2), 10, 64)
	}
	prev, err := res[1].AsStrMap()
	if err != nil {
		return fmt.Errorf("sources: load state of source %d: %w", r.src.ID, err)
	}
	old := stateFrom(prev)
	r.cursor = cur
	r.st.ItemsTotal, r.st.Reconnects, r.st.BadPayloads, r.st.LastItemAt = old.ItemsTotal, old.Reconnects, old.BadPayloads, old.LastItemAt
	r.st.Backfilled, r.st.BackfillDone = old.Backfilled, old.BackfillDone
	r.dirty = true
	r.cred = r.resolveSecret(ctx)
	return r.reloadRules(ctx)
}

func (r *runner) reloadRules(ctx context.Context) error {
	rules, err := moderation.Load(ctx, r.m.db, r.src.EventID)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.rules = rules.ForSource(r.src.ID) // the source's own ingest filter on top of the event's
	r.mu.Unlock()
	return nil
}

// loop runs the adapter until ctx ends: reconnecting with backoff after a
// stream ends or a poll fails, waiting the interval after a good poll.
func (r *runner) loop(ctx context.Context) {
	a, err := newAdapter(r)
	if err != nil {
		// A misconfigured source keeps its lease and shows its error until
		// an admin edits it (the manager then restarts it).
		r.fail(err)
		<-ctx.Done()
		return
	}
	for ctx.Err() == nil {
		actx, cancel := context.WithCancelCause(ctx)
		r.mu.Lock()
		r.cancelRun = cancel
		r.mu.Unlock()
		err := a.run(actx, r)
		cause := context.Cause(actx)
		cancel(nil)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(cause, errReconnectRequested) {
			err = errReconnectRequested
		}
		if err == nil {
			if iv := a.interval(); iv > 0 {
				r.mu.Lock()
				r.attempt = 0
				r.mu.Unlock()
				r.sleep(ctx, iv)
				continue
			}
			err = errStreamEnded
		}
		attempt := r.disconnected(err)
		d := r.m.opts.Backoff.delay(err, attempt)
		if errors.Is(err, errReconnectRequested) {
			d = 0
		}
		r.log.Info("source disconnected", "err", err, "retry_in", d)
		r.sleep(ctx, d)
	}
}

func (r *runner) sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-r.wake:
	}
}

// requestReconnect drops the current connection (or wakes a sleeping poll).
func (r *runner) requestReconnect() {
	r.mu.Lock()
	if r.cancelRun != nil {
		r.cancelRun(errReconnectRequested)
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *runner) fail(err error) {
	r.log.Error("source failed", "err", err)
	r.mu.Lock()
	r.st.LastError = err.Error()
	r.st.Connected = false
	r.dirty = true
	r.mu.Unlock()
}

func (r *runner) disconnected(err error) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m.met.reconnects.WithLabelValues(r.src.Kind).Inc()
	r.attempt++
	r.st.Connected = false
	r.st.Reconnects++
	r.st.LastError = err.Error()
	r.dirty = true
	return r.attempt
}

// connected records an open connection (or a poll answered).
func (r *runner) connected() {
	r.mu.Lock()
	if !r.st.Connected {
		r.st.Connected = true
		r.dirty = true
	}
	r.mu.Unlock()
}

// alive resets the backoff once a stream has sent something: a server that
// accepts and hangs up at once keeps backing off.
func (r *runner) alive() {
	r.mu.Lock()
	r.attempt = 0
	r.mu.Unlock()
}

// bad counts a payload that could not be used; the stream goes on.
func (r *runner) bad(err error) {
	r.log.Warn("bad payload skipped", "err", err)
	r.m.met.bad.WithLabelValues(r.src.Kind).Inc()
	r.mu.Lock()
	r.st.BadPayloads++
	r.dirty = true
	r.mu.Unlock()
}

// savedCursor is the newest cursor known to this runner (saved or not yet).
func (r *runner) savedCursor() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cursor
}

// checkpoint records that everything before cursor is appended. It is saved
// to Redis only CursorDelay later (see flushCursor). Checkpoints are grouped
// in 100 ms buckets so a busy stream keeps a short list.
func (r *runner) checkpoint(cursor string) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cursor = cursor
	if n := len(r.pending); n > 0 && now.Sub(r.pending[n-1].start) < 100*time.Millisecond {
		r.pending[n-1].cursor, r.pending[n-1].at = cursor, now
		return
	}
	r.pending = append(r.pending, checkpoint{cursor: cursor, start: now, at: now})
}

// flushCursor saves the newest checkpoint whose items were appended at
// least CursorDelay ago: if Redis loses its last second of appends, the
// source sends those items again.
func (r *runner) flushCursor(ctx context.Context) error {
	limit := time.Now().Add(-r.m.opts.CursorDelay)
	r.mu.Lock()
	i := 0
	for i < len(r.pending) && !r.pending[i].at.After(limit) {
		i++
	}
	if i == 0 {
		r.mu.Unlock()
		return nil
	}
	cur := r.pending[i-1].cursor
	r.pending = append(r.pending[:0], r.pending[i:]...)
	r.mu.Unlock()
	// Only the lease's holder may save (lease.go): a zombie's save is refused.
	return saveCursor(ctx, r.m.redis, r.m.k.cursor(r.src.ID), r.token, cur, time.Now())
}

func (r *runner) writeState(ctx context.Context, force bool) error {
	if r.idle.Load() {
		return nil
	}
	r.mu.Lock()
	if !r.dirty && !force {
		r.mu.Unlock()
		return nil
	}
	s := r.st
	s.UpdatedAt = time.Now()
	r.dirty = false
	r.mu.Unlock()
	fence := r.fence
	if r.delegate {
		fence = unfenced
	}
	return writeState(ctx, r.m.redis, r.m.k.state(r.src.ID), fence, s)
}

func (r *runner) applyRules(it *live.Item) {
	r.mu.Lock()
	rules := r.rules
	r.mu.Unlock()
	rules.Apply(it)
}

// retry runs an append step, again every 100 ms while it fails for a
// reason that passes with time (transient), for at most AppendRetryFor:
// the stream stays open meanwhile, so a Redis restart costs no reconnect
// and no backoff on top of its downtime.
func (r *runner) retry(ctx context.Context, step func() error) error {
	deadline := time.Now().Add(r.m.opts.AppendRetryFor)
	for {
		err := step()
		if err == nil || !transient(err) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// transient reports errors that pass with time: Redis unreachable,
// restarting or loading its data, or this worker's heartbeat unconfirmed
// while Redis was away.
func transient(err error) bool {
	var ne net.Error
	var re *rueidis.RedisError
	switch {
	case errors.Is(err, errNodeUnconfirmed), errors.Is(err, rueidis.ErrClosing),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case errors.As(err, &ne):
		return true
	case errors.As(err, &re):
		return re.IsLoading() || re.IsTryAgain() || re.IsClusterDown() ||
			strings.HasPrefix(re.Error(), "MASTERDOWN") || strings.HasPrefix(re.Error(), "READONLY")
	}
	return false
}

// acting waits, for a runner, until its node's heartbeat is confirmed
// (node.go): a worker that was paused or cut off past its heartbeat may
// already have been replaced, and must not append on.
func (r *runner) acting(ctx context.Context) error {
	if !r.needsNode {
		return nil
	}
	return r.m.node.await(ctx)
}

// nodeID is the worker's current identity, shown as the source's holder.
func nodeID(m *Manager) string {
	id, _ := m.node.identity()
	return id
}

// add appends an item (moderation rules applied) and remembers its seq under
// its ID and the given aliases (e.g. a local status id a delete names).
func (r *runner) add(ctx context.Context, it live.Item, aliases ...string) error {
	_, err := r.appendNew(ctx, it, aliases...)
	return err
}

// appendNew is add that also reports whether the item was new to the log
// (false: the log's dedupe dropped it).
func (r *runner) appendNew(ctx context.Context, it live.Item, aliases ...string) (bool, error) {
	r.applyRules(&it)
	r.m.place(ctx, r.src.EventID, &it)
	var res realtime.AppendResult
	err := r.retry(ctx, func() error {
		if err := r.acting(ctx); err != nil {
			return err
		}
		var err error
		if res, err = r.m.log.AppendItem(ctx, r.src.EventID, it); err != nil {
			return err
		}
		return r.remember(ctx, res.Seq, it.ID, aliases...)
	})
	if err != nil {
		return false, err
	}
	now := time.Now()
	r.mu.Lock()
	if !res.Duplicate {
		r.m.met.items.WithLabelValues(r.src.Kind).Inc()
		r.st.ItemsTotal++
		r.st.LastItemAt = now
		r.st.LagSeconds = now.Sub(it.CreatedAt).Seconds()
	}
	r.dirty = true
	r.mu.Unlock()
	return !res.Duplicate, nil
}

func (r *runner) remember(ctx context.Context, seq int64, id string, aliases ...string) error {
	c := r.m.redis
	s := strconv.FormatInt(seq, 10)
	cmd := c.B().Hset().Key(r.m.k.seqs(r.src.EventID)).FieldValue().FieldValue(id, s)
	for _, a := range aliases {
		cmd = cmd.FieldValue(a, s)
	}
	if err := c.Do(ctx, cmd.Build()).Error(); err != nil {
		return fmt.Errorf("sources: remember seq of %s: %w", id, err)
	}
	return nil
}

// seqOf finds the seq of an item by its ID or an alias (0 when unknown).
func (r *runner) seqOf(ctx context.Context, key string) (int64, error) {
	c := r.m.redis
	n, err := c.Do(ctx, c.B().Hget().Key(r.m.k.seqs(r.src.EventID)).Field(key).Build()).AsInt64()
	if rueidis.IsRedisNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sources: seq of %s: %w", key, err)
	}
	return n, nil
}

// hide appends a hide for the item known by key (a deletion at the source).
// Unknown items are ignored; an item hidden this way is hidden once.
func (r *runner) hide(ctx context.Context, key string) error {
	seq, err := r.seqOf(ctx, key)
	if err != nil || seq == 0 {
		return err
	}
	c := r.m.redis
	mark := "hidden:" + strconv.FormatInt(seq, 10)
	done, err := c.Do(ctx, c.B().Hexists().Key(r.m.k.seqs(r.src.EventID)).Field(mark).Build()).AsBool()
	if err != nil {
		return fmt.Errorf("sources: hide %s: %w", key, err)
	}
	if done {
		return nil
	}
	err = r.retry(ctx, func() error {
		if err := r.acting(ctx); err != nil {
			return err
		}
		_, err := r.m.log.AppendOp(ctx, r.src.EventID, live.OpHide, seq, nil)
		return err
	})
	if err != nil {
		if errors.Is(err, realtime.ErrUnknownTarget) {
			return nil
		}
		return err
	}
	return c.Do(ctx, c.B().Hset().Key(r.m.k.seqs(r.src.EventID)).FieldValue().FieldValue(mark, "1").Build()).Error()
}

// update replaces a known item's content (an edit at the source); an item
// never seen is added instead. An edit that now breaks a rule hides it.
func (r *runner) update(ctx context.Context, it live.Item, aliases ...string) error {
	seq, err := r.seqOf(ctx, it.ID)
	if err != nil {
		return err
	}
	if seq == 0 {
		return r.add(ctx, it, aliases...)
	}
	r.applyRules(&it)
	if it.Hidden {
		return r.hide(ctx, it.ID)
	}
	err = r.retry(ctx, func() error {
		if err := r.acting(ctx); err != nil {
			return err
		}
		_, err := r.m.log.AppendOp(ctx, r.src.EventID, live.OpUpdate, seq, &it)
		return err
	})
	if err != nil && !errors.Is(err, realtime.ErrUnknownTarget) {
		return err
	}
	return nil
}

// secret is the source's token (credentials.go: the one entered in the
// admin, else token_env when SOURCE_SECRETS allows it), "" for none. The
// transport attaches it to requests to the source's own host and never
// lets it go elsewhere.
func (r *runner) secret() string { return r.cred.secret }
