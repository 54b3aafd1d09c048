package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task types handled by this package.
const (
	// TypeStrainEvent strains one event (payload EventPayload).
	TypeStrainEvent = "strain:event"
	// TypeStrainAll strains every event with a live log; scheduled periodically.
	TypeStrainAll = "strain:all"
	// TypeStrainReassign re-assigns one event's items to sessions (payload EventPayload).
	TypeStrainReassign = "strain:reassign"
)

// DefaultStrainEvery is how often the scheduler enqueues TypeStrainAll.
const DefaultStrainEvery = 2 * time.Second

// EventPayload is the payload of the per-event task types.
type EventPayload struct {
	EventID int64 `json:"event_id"`
}

// NewStrainEventTask returns a task that strains one event. It is unique for
// a few seconds, so a burst of triggers enqueues it once.
func NewStrainEventTask(eventID int64) *asynq.Task {
	return eventTask(TypeStrainEvent, eventID, asynq.Unique(10*time.Second), asynq.Timeout(2*time.Minute))
}

// NewReassignTask returns a task that re-assigns an event's items to
// sessions; enqueue it after editing an event's sessions.
func NewReassignTask(eventID int64) *asynq.Task {
	return eventTask(TypeStrainReassign, eventID, asynq.Unique(10*time.Second), asynq.Timeout(5*time.Minute))
}

// NewStrainAllTask returns the periodic task that strains every live event.
func NewStrainAllTask() *asynq.Task {
	return asynq.NewTask(TypeStrainAll, nil, asynq.Unique(10*time.Second), asynq.Timeout(2*time.Minute), asynq.MaxRetry(0))
}

func eventTask(typ string, eventID int64, opts ...asynq.Option) *asynq.Task {
	b, _ := json.Marshal(EventPayload{EventID: eventID}) // cannot fail
	return asynq.NewTask(typ, b, opts...)
}

// RegisterHandlers mounts the strainer's task handlers on mux.
func RegisterHandlers(mux *asynq.ServeMux, s *Strainer) {
	mux.HandleFunc(TypeStrainAll, func(ctx context.Context, _ *asynq.Task) error {
		// The next run, seconds away, is the retry: a failure is logged, not
		// archived by asynq every two seconds.
		if _, err := s.StrainAll(ctx); err != nil {
			s.opts.Logger.Error("strainer: strain all", "err", err)
		}
		return nil
	})
	mux.HandleFunc(TypeStrainEvent, func(ctx context.Context, t *asynq.Task) error {
		id, err := eventID(t)
		if err != nil {
			return err
		}
		_, err = s.StrainEvent(ctx, id)
		return err
	})
	mux.HandleFunc(TypeCompactEnded, func(ctx context.Context, _ *asynq.Task) error {
		// The next hour's run is the retry.
		if _, _, err := s.CompactEnded(ctx, time.Now(), DefaultCompactAfter, DefaultKeepItemStates); err != nil {
			s.opts.Logger.Error("compact ended events", "err", err)
		}
		return nil
	})
	mux.HandleFunc(TypeStrainReassign, func(ctx context.Context, t *asynq.Task) error {
		id, err := eventID(t)
		if err != nil {
			return err
		}
		_, err = s.Reassign(ctx, id)
		return err
	})
}

func eventID(t *asynq.Task) (int64, error) {
	var p EventPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.EventID <= 0 {
		// A malformed payload never becomes valid: do not retry it.
		return 0, fmt.Errorf("jobs: %s: bad payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p.EventID, nil
}

// RegisterSchedule adds the periodic strain of every live event to sch,
// every `every` (DefaultStrainEvery when zero).
func RegisterSchedule(sch *asynq.Scheduler, every time.Duration) (entryID string, err error) {
	if every <= 0 {
		every = DefaultStrainEvery
	}
	id, err := sch.Register("@every "+every.String(), NewStrainAllTask())
	if err != nil {
		return "", fmt.Errorf("jobs: schedule %s: %w", TypeStrainAll, err)
	}
	return id, nil
}

// NewScheduler returns an asynq Scheduler with this package's periodic tasks
// registered (TypeStrainAll every DefaultStrainEvery, TypeCompactEnded every
// DefaultCompactEvery). The caller runs it
// (Start/Shutdown). opts may be nil.
func NewScheduler(redisOpt asynq.RedisConnOpt, opts *asynq.SchedulerOpts) (*asynq.Scheduler, error) {
	sch := asynq.NewScheduler(redisOpt, opts)
	if _, err := RegisterSchedule(sch, DefaultStrainEvery); err != nil {
		return nil, err
	}
	if _, err := sch.Register("@every "+DefaultCompactEvery.String(), NewCompactTask()); err != nil {
		return nil, fmt.Errorf("jobs: schedule %s: %w", TypeCompactEnded, err)
	}
	return sch, nil
}

// Enqueuer is the part of *asynq.Client that TriggerOnVolume needs.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// TriggerOnVolume lets the appender ask for a strain sooner than the schedule
// when an event's log grows fast: call it with the seq of each append; on
// every `every`-th seq it enqueues a unique TypeStrainEvent (a duplicate
// already queued counts as done). It costs nothing on the other appends.
// enqueued says whether this call enqueued a task.
func TriggerOnVolume(ctx context.Context, q Enqueuer, eventID, seq, every int64) (enqueued bool, err error) {
	if every <= 0 || seq <= 0 || seq%every != 0 {
		return false, nil
	}
	_, err = q.EnqueueContext(ctx, NewStrainEventTask(eventID))
	if errors.Is(err, asynq.ErrDuplicateTask) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("jobs: trigger strain of event %d: %w", eventID, err)
	}
	return true, nil
}
