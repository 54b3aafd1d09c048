package sources

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/backchannel/backchannel/store"
	"github.com/hibiken/asynq"
	"gorm.io/gorm"
)

// PollSyncInterval is how often the periodic task manager re-reads the
// polled sources, so sources enabled, disabled or edited in the admin are
// scheduled or dropped within seconds.
const PollSyncInterval = 10 * time.Second

// PollProvider gives asynq one periodic poll task per enabled polled source
// (an asynq.PeriodicTaskConfigProvider).
type PollProvider struct {
	db *gorm.DB
}

// NewPollProvider returns a provider reading sources from db.
func NewPollProvider(db *gorm.DB) *PollProvider { return &PollProvider{db: db} }

var _ asynq.PeriodicTaskConfigProvider = (*PollProvider)(nil)

// GetConfigs returns, for each enabled flickr and feed source, a TypePoll
// task every `every` of its config. The task is unique for one interval
// (several workers' schedulers enqueue it once) and bounded by a timeout.
func (p *PollProvider) GetConfigs() ([]*asynq.PeriodicTaskConfig, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := store.New(p.db).EnabledSources(ctx, store.SourceKinds{Kinds: polledKinds})
	if err != nil {
		return nil, fmt.Errorf("sources: polled sources: %w", err)
	}
	out := make([]*asynq.PeriodicTaskConfig, 0, len(list))
	for _, s := range list {
		// A config that does not parse is still scheduled: the poll reports
		// its error on the dashboard.
		cfg, _ := ParseConfig(s.Config)
		every := max(cfg.EveryOr(defaultEvery(s.Kind)).Truncate(time.Second), time.Second)
		out = append(out, &asynq.PeriodicTaskConfig{
			Cronspec: "@every " + every.String(),
			Task:     NewPollTask(s.ID),
			Opts:     []asynq.Option{asynq.Unique(every), asynq.Timeout(pollTaskTimeout), asynq.MaxRetry(1)},
		})
	}
	return out, nil
}

// PollManagerOptions tune NewPollManager.
type PollManagerOptions struct {
	// Scheduler is passed to asynq (logger, log level, location).
	Scheduler *asynq.SchedulerOpts
	// SyncInterval overrides PollSyncInterval.
	SyncInterval time.Duration
	Logger       *slog.Logger
}

// NewPollManager returns the asynq periodic task manager that schedules the
// polls of every enabled polled source; the worker Starts it and Shuts it
// down next to its scheduler. Every worker may run one: the tasks are unique
// per interval and each poll holds the source's lease.
func NewPollManager(redisOpt asynq.RedisConnOpt, db *gorm.DB, opts PollManagerOptions) (*asynq.PeriodicTaskManager, error) {
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = PollSyncInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	so := asynq.SchedulerOpts{}
	if opts.Scheduler != nil {
		so = *opts.Scheduler
	}
	logger := opts.Logger
	so.PostEnqueueFunc = func(_ *asynq.TaskInfo, err error) {
		// ErrDuplicateTask: another worker's scheduler enqueued this
		// period's poll already.
		if err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
			logger.Warn("sources: enqueue poll", "err", err)
		}
	}
	mgr, err := asynq.NewPeriodicTaskManager(asynq.PeriodicTaskManagerOpts{
		PeriodicTaskConfigProvider: NewPollProvider(db),
		RedisConnOpt:               redisOpt,
		SchedulerOpts:              &so,
		SyncInterval:               opts.SyncInterval,
	})
	if err != nil {
		return nil, fmt.Errorf("sources: poll manager: %w", err)
	}
	return mgr, nil
}
