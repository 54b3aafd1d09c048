package jobs

import (
	"context"
	"errors"
	"testing"

	"github.com/hibiken/asynq"
)

// recorder is an Enqueuer that keeps what it was given and answers like
// asynq does for a unique task already queued.
type recorder struct {
	tasks  []*asynq.Task
	queued map[string]bool
}

func (r *recorder) EnqueueContext(_ context.Context, t *asynq.Task, _ ...asynq.Option) (*asynq.TaskInfo, error) {
	key := t.Type() + string(t.Payload())
	if r.queued[key] {
		return nil, asynq.ErrDuplicateTask
	}
	r.queued[key] = true
	r.tasks = append(r.tasks, t)
	return &asynq.TaskInfo{}, nil
}

func TestTriggerOnVolumeEnqueuesOnceEveryNAppends(t *testing.T) {
	r := &recorder{queued: map[string]bool{}}
	for seq := int64(1); seq <= 2500; seq++ {
		if _, err := TriggerOnVolume(context.Background(), r, 7, seq, 1000); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.tasks) != 1 || r.tasks[0].Type() != TypeStrainEvent || string(r.tasks[0].Payload()) != `{"event_id":7}` {
		t.Fatalf("enqueued %d tasks (%v), want one strain:event for event 7 (the second is a duplicate)", len(r.tasks), r.tasks)
	}
}

func TestTaskHandlersStrainReassignAndRejectBadPayloads(t *testing.T) {
	e := newEnv(t)
	e.appendN(10)
	mux := asynq.NewServeMux()
	s := e.strainer(StrainerOptions{})
	RegisterHandlers(mux, s)
	if err := mux.ProcessTask(context.Background(), NewStrainEventTask(e.ev.ID)); err != nil {
		t.Fatal(err)
	}
	if got := len(e.items()); got != 10 {
		t.Fatalf("items after strain:event = %d", got)
	}
	e.appendN(12) // two new, ten duplicates the log drops
	if err := mux.ProcessTask(context.Background(), NewStrainAllTask()); err != nil {
		t.Fatal(err)
	}
	if got := len(e.items()); got != 12 {
		t.Fatalf("items after strain:all = %d", got)
	}
	// Running a task twice is harmless.
	for range 2 {
		if err := mux.ProcessTask(context.Background(), NewReassignTask(e.ev.ID)); err != nil {
			t.Fatal(err)
		}
	}
	err := mux.ProcessTask(context.Background(), asynq.NewTask(TypeStrainEvent, []byte(`{"event_id":"x"}`)))
	if !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("bad payload: err = %v, want SkipRetry", err)
	}
}

func TestNewSchedulerRegistersThePeriodicStrain(t *testing.T) {
	sch, err := NewScheduler(asynq.RedisClientOpt{Addr: "127.0.0.1:1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RegisterSchedule(sch, 0); err != nil {
		t.Fatal(err)
	}
}
