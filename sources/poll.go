package sources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// TypePoll is the asynq task type of one poll of a polled source.
const TypePoll = "sources:poll"

// pollTaskTimeout bounds one poll task: Flickr may read up to
// flickrMaxPages pages of pollTimeout each, and the cursor delay follows.
const pollTaskTimeout = 5 * time.Minute

// errLeaseLost ends a poll whose lease another holder took.
var errLeaseLost = errors.New("sources: lease lost during poll")

// PolledKind reports whether sources of kind run as asynq periodic tasks
// (one poll per task) instead of as leased runners.
func PolledKind(kind string) bool { return kind == "feed" || kind == "flickr" }

// polledKinds lists the kinds PolledKind accepts, for queries.
var polledKinds = []string{"feed", "flickr"}

type pollPayload struct {
	SourceID int64 `json:"source_id"`
}

// NewPollTask returns the task that polls one source once.
func NewPollTask(sourceID int64) *asynq.Task {
	b, _ := json.Marshal(pollPayload{SourceID: sourceID})
	return asynq.NewTask(TypePoll, b)
}

// RegisterPollHandlers routes TypePoll tasks to m.HandlePoll.
func RegisterPollHandlers(mux *asynq.ServeMux, m *Manager) {
	mux.HandleFunc(TypePoll, m.HandlePoll)
}

// HandlePoll polls the task's source once. A failed poll is recorded in the
// source's state and backs the next polls off; it is not an error to asynq,
// since the next period is the retry. Only a malformed payload fails.
func (m *Manager) HandlePoll(ctx context.Context, t *asynq.Task) error {
	var p pollPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.SourceID <= 0 {
		return fmt.Errorf("sources: poll payload %q: %w", t.Payload(), asynq.SkipRetry)
	}
	kind, outcome, err := m.pollOnce(ctx, p.SourceID)
	if kind == "" {
		kind = "unknown"
	}
	m.met.polls.WithLabelValues(kind, string(outcome)).Inc()
	return err
}

// pollOutcome says what pollOnce did (tests read it).
type pollOutcome string

const (
	pollDone     pollOutcome = "polled"
	pollFailed   pollOutcome = "failed"
	pollGone     pollOutcome = "not an enabled polled source"
	pollBusy     pollOutcome = "lease held elsewhere"
	pollTooEarly pollOutcome = "too early"
)

// pollOnce runs one poll of a source under the source's lease (the runners'
// key, so a poll never overlaps another poll or a runner of that source).
//
// Several workers each run a scheduler, and a task is unique only while it
// waits: so a poll is skipped until not_before, saved in the cursor hash by
// the previous poll (¾ of the interval after it started, or later after a
// failure, by the runners' backoff). Polls of one source then come at most
// one interval apart and never much closer, however many workers schedule.
func (m *Manager) pollOnce(ctx context.Context, id int64) (kind string, _ pollOutcome, _ error) {
	found, err := store.New(m.db).EnabledSource(ctx, id, polledKinds)
	if errors.Is(err, models.ErrNotFound) {
		return "", pollGone, nil
	}
	if err != nil {
		return "", pollFailed, fmt.Errorf("sources: poll: %w", err)
	}
	src := *found
	token := m.opts.Holder + ":" + randomHex()
	leaseKey := m.k.lease(id)
	ok, err := acquireLease(ctx, m.redis, leaseKey, token, m.opts.LeaseTTL)
	if err != nil {
		return src.Kind, pollFailed, err
	}
	if !ok {
		return src.Kind, pollBusy, nil
	}
	defer func() {
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := releaseLease(bg, m.redis, leaseKey, token); err != nil {
			m.opts.Logger.Warn("sources: release poll lease", "source", id, "err", err)
		}
	}()
	c := m.redis
	rs := c.DoMulti(ctx,
		c.B().Hmget().Key(m.k.cursor(id)).Field("not_before", "failures").Build(),
		c.B().Getdel().Key(m.k.reconnect(id)).Build())
	sched, err := rs[0].ToArray()
	if err != nil {
		return src.Kind, pollFailed, fmt.Errorf("sources: poll: load schedule of source %d: %w", id, err)
	}
	notBefore, _ := time.Parse(time.RFC3339Nano, str(sched, 0))
	failures, _ := strconv.Atoi(str(sched, 1))
	start := time.Now()
	cfg, _ := ParseConfig(src.Config)
	every := cfg.EveryOr(defaultEvery(src.Kind))
	if failures == 0 && notBefore.Sub(start) > every*3/4 {
		// The interval was shortened since: the old schedule does not hold.
		notBefore = start
	}
	if again, _ := rs[1].ToString(); again != "" {
		// An admin asked for a reconnect (RequestReconnect): poll now,
		// whatever the schedule or the backoff says.
		notBefore = start
	}
	if start.Before(notBefore) {
		return src.Kind, pollTooEarly, nil
	}

	pctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		m.renewPollLease(pctx, leaseKey, token, stop)
	}()
	defer func() { stop(nil); <-renewed }()

	r := newRunner(m, src, token)
	err = m.poll(pctx, r)
	if cause := context.Cause(pctx); errors.Is(cause, errLeaseLost) {
		// Another holder polls now; it owns the schedule and the state.
		return src.Kind, pollFailed, nil
	}
	if ctx.Err() != nil {
		return src.Kind, pollFailed, ctx.Err()
	}
	next := start.Add(every * 3 / 4)
	if err != nil {
		failures++
		r.disconnected(err)
		if d := m.opts.Backoff.delay(err, failures); time.Now().Add(d).After(next) {
			next = time.Now().Add(d)
		}
		r.log.Info("sources: poll failed", "err", err, "next_poll_after", next)
	} else {
		failures = 0
	}
	if werr := r.writeState(pctx, true); werr != nil {
		r.log.Warn("sources: write state", "err", werr)
	}
	err = c.Do(pctx, c.B().Hset().Key(m.k.cursor(id)).FieldValue().
		FieldValue("not_before", timeStr(next)).FieldValue("failures", strconv.Itoa(failures)).Build()).Error()
	if err != nil {
		return src.Kind, pollFailed, fmt.Errorf("sources: poll: save schedule of source %d: %w", id, err)
	}
	if failures > 0 {
		return src.Kind, pollFailed, nil
	}
	return src.Kind, pollDone, nil
}

// poll loads the runner's cursor and rules, polls once, and saves the
// cursor once the items before it were appended CursorDelay ago (the same
// rule as the runners': whatever Redis may lose, the source sends again).
func (m *Manager) poll(ctx context.Context, r *runner) error {
	cfg, err := ParseConfig(r.src.Config)
	if err != nil {
		return err
	}
	r.cfg = cfg
	if err := r.init(ctx); err != nil {
		return err
	}
	// The last error stays on the dashboard until a newer one replaces it,
	// as it does for runners; the lag is the last item's until a new one.
	prev, _ := ReadStates(ctx, m.redis, m.opts.Namespace, []int64{r.src.ID})
	r.st.LastError, r.st.LagSeconds = prev[r.src.ID].LastError, prev[r.src.ID].LagSeconds
	a, err := newAdapter(r)
	if err != nil {
		return err
	}
	err = a.run(ctx, r)
	if last := r.lastCheckpoint(); !last.IsZero() {
		t := time.NewTimer(time.Until(last.Add(m.opts.CursorDelay)))
		defer t.Stop()
		select {
		case <-ctx.Done():
			// Unsaved: the next poll fetches those items again and the
			// log's dedupe drops them.
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		if ferr := r.flushCursor(ctx); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
	return err
}

// renewPollLease extends the lease while a poll runs and cancels it with
// errLeaseLost when the lease is gone.
func (m *Manager) renewPollLease(ctx context.Context, key, token string, stop context.CancelCauseFunc) {
	t := time.NewTicker(m.opts.RenewEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ok, err := extendLease(ctx, m.redis, key, token, m.opts.LeaseTTL)
			if err != nil {
				m.opts.Logger.Warn("sources: extend poll lease", "key", key, "err", err)
				continue
			}
			if !ok {
				stop(errLeaseLost)
				return
			}
		}
	}
}

// lastCheckpoint is when the newest unsaved checkpoint was taken (zero when
// there is none).
func (r *runner) lastCheckpoint() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.pending); n > 0 {
		return r.pending[n-1].at
	}
	return time.Time{}
}

// defaultEvery is a polled kind's interval when its config has none.
func defaultEvery(kind string) time.Duration {
	if kind == "flickr" {
		return 2 * time.Minute
	}
	return 5 * time.Minute
}

func str(vs []rueidis.RedisMessage, i int) string {
	if i >= len(vs) {
		return ""
	}
	s, _ := vs[i].ToString()
	return s
}
