package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/backchannel/backchannel/admin"
	"github.com/backchannel/backchannel/archive"
	"github.com/backchannel/backchannel/internal/heartbeat"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/jobs"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/outbound"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/schedule"
	"github.com/backchannel/backchannel/sources"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/views"
)

// strainOnVolume is how many appends to one event trigger a strain sooner than
// the schedule (the strainer also runs every couple of seconds regardless).
const strainOnVolume = 1000

// Web is the web role: the fiber app and the per-node hub it answers from.
type Web struct {
	Fiber *fiber.App
	Hub   *realtime.Hub
	Log   *realtime.Log
	Live  *realtime.Handler
	// Reactions batches the node's reaction totals into the live log.
	Reactions *realtime.Reactions
	// Events is the node's one cached event-by-slug lookup, shared by every
	// handler (store.Events).
	Events *store.Events
	// Schedules places attendee posts at ingest (schedule.Cache).
	Schedules *schedule.Cache
	// Loops answers long polls and streams on event loops (nil: fiber does).
	Loops *realtime.LoopServer
	app   *App
	queue *asynq.Client
	insp  *asynq.Inspector
}

// NewWeb builds every route of the web role. Run starts it.
func (a *App) NewWeb() (*Web, error) {
	metrics := realtime.NewMetrics(a.Metrics)
	log := realtime.NewLog(a.Redis, a.Namespace)
	log.SetMetrics(metrics)
	// History older than Redis comes from Postgres (store.EntriesAfter).
	hub := realtime.NewHub(a.Redis, log, a.Store, realtime.HubOptions{Metrics: metrics, Logger: a.Logger})
	events := store.NewEvents(a.Store, store.EventsOptions{Logger: a.Logger, Now: a.Now})
	var w *Web
	schedules := a.newSchedules()
	verbs := a.newModeration(log, func(ctx context.Context, eventID int64) { w.eventChanged(ctx, eventID, "items") })
	reactions := realtime.NewReactions(log, 0, a.Logger)
	roomCards := a.newCards(log, verbs.Item)
	live := realtime.NewHandler(realtime.HandlerDeps{
		Hub: hub, Log: log, Events: realtime.EventsOf(events),
		Limiter: realtime.NewLimiter(a.Redis, a.Namespace), Metrics: metrics, Logger: a.Logger, Now: a.Now,
		PostRate:           realtime.RateLimit{Count: a.Config.RatePosts.Count, Period: a.Config.RatePosts.Period},
		HistoryRate:        realtime.RateLimit{Count: a.Config.RateHistory.Count, Period: a.Config.RateHistory.Period},
		SecureCookie:       !a.Config.Development(),
		ClientAddr:         a.ClientIP.String,
		ClientAddrOf:       func(peer netip.Addr, xff [][]byte) string { return a.ClientIP.Resolve(peer, xff).String() },
		MaxWaitsPerAddress: a.Config.Security.waitsPerAddress(),
		// POSTING_GRACE=0 closes posting at the end itself (0 here is the default).
		PostingGrace: max(a.Config.Security.PostingGrace, time.Nanosecond),
		QuestionRate: realtime.RateLimit{Count: a.Config.RateQuestions.Count, Period: a.Config.RateQuestions.Period},
		VoteRate:     realtime.RateLimit{Count: a.Config.RateVotes.Count, Period: a.Config.RateVotes.Period},
		Reactions:    reactions,
		Moderate:     screenPost(verbs),
		Report:       reportPost(verbs),
		Appended: func(_ context.Context, eventID int64, it live.Item) {
			roomCards.appended(eventID, it)
		},
		Place: schedules.ApplyFrom,
	})
	w = &Web{Hub: hub, Log: log, Live: live, Reactions: reactions, Events: events, Schedules: schedules, app: a,
		queue: asynq.NewClient(AsynqRedis(a.Config)), insp: asynq.NewInspector(AsynqRedis(a.Config))}
	arch := archive.NewHandler(a.Store, events, archive.Options{Redis: a.Redis, Namespace: a.Namespace,
		BaseURL: a.Config.BaseURL.String(), Logger: a.Logger, Now: a.Now,
		Limit: a.readLimit(realtime.NewLimiter(a.Redis, a.Namespace))})
	w.Fiber = a.NewFiber(ServerOptions{
		ErrorPage: views.RenderError,
		Live:      []web.Routes{live.LiveRoutes()},
		Routes: []web.Routes{health{a}, eventsAPI{app: a, events: events}, views.Assets(),
			live.PostRoutes(), live.AudienceRoutes(), &pages{app: a, hub: hub, log: log, events: events}, arch},
		Mounts: []func(*fiber.App) error{func(f *fiber.App) error {
			return admin.Mount(f, admin.Deps{DB: a.DB, Redis: a.Redis, Namespace: a.Namespace, Log: log, Moderation: verbs,
				Inspector: w.insp, Dev: a.Config.Development(), Logger: a.Logger, Keys: adminKeys{a.Config.SecretKey},
				SessionIdle: a.Config.Security.AdminSessionIdle, SessionMax: a.Config.Security.AdminSessionMax,
				ReconnectSource: func(ctx context.Context, id int64) error {
					return sources.RequestReconnect(ctx, a.Redis, a.Namespace, id)
				},
				SourceKeys: a.Config.Keyring(),
				TestSource: sources.NewManager(a.DB, a.Redis, nil, a.SourceOptions()).TestConnection,
				OnChange:   w.eventChanged, Fetch: outbound.NewClient(a.Config.Outbound())})
		}},
	})
	if w.Fiber == nil {
		return nil, errors.New("app: web: routes failed to mount")
	}
	// Long polls at the head skip fiber's router and context (realtime.FastLive).
	w.Fiber.Server().Handler = live.FastLive(w.Fiber.Server().Handler)
	if a.Config.LiveLoops {
		// Long polls and streams on event loops, without a goroutine per
		// waiting client; a live request on a fiber connection moves to them.
		w.Loops = realtime.NewLoopServer(live, realtime.LoopOptions{Logger: a.Logger})
		a.Metrics.MustRegister(w.Loops.FallbacksCounter())
		w.Fiber.Server().Handler = w.Loops.Hijack(w.Fiber.Server().Handler)
	}
	return w, nil
}

// eventChanged runs after the admin committed a change to an event: the
// node's copy of the event is dropped, archive pages of the event are
// re-rendered at once, and items follow edited sessions.
func (w *Web) eventChanged(ctx context.Context, eventID int64, what string) {
	w.Events.Invalidate(eventID)
	w.Schedules.Invalidate(eventID)
	if err := archive.BumpVersion(ctx, w.app.Redis, w.app.Namespace, eventID); err != nil {
		w.app.Logger.Warn("archive stamp", "event", eventID, "err", err)
	}
	if what == "sessions" || what == "events" || what == "rooms" {
		if _, err := w.queue.EnqueueContext(ctx, jobs.NewReassignTask(eventID)); err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
			w.app.Logger.Warn("enqueue session re-assignment", "event", eventID, "err", err)
		}
	}
}

// Run serves until ctx ends, then drains waiting polls and shuts down.
func (w *Web) Run(ctx context.Context) error {
	defer w.queue.Close()
	defer w.insp.Close()
	hubCtx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHub()
	hubDone := make(chan error, 1)
	go func() { hubDone <- w.Hub.Run(hubCtx) }()
	reactionsDone := make(chan struct{})
	go func() { defer close(reactionsDone); w.Reactions.Run(hubCtx) }()
	go w.sampleReaders(hubCtx)
	heartbeat.Start(ctx, w.app.Redis, w.app.Namespace, "web", heartbeat.WithVersion(Version),
		heartbeat.WithLogger(w.app.Logger), heartbeat.WithClients(w.Hub.Waiting))
	err := w.app.ListenAndServe(ctx, w.Fiber, w.Loops, w.Live.Drain)
	stopHub()
	<-hubDone
	<-reactionsDone
	return err
}

// RunWeb runs the web role until ctx ends.
func (a *App) RunWeb(ctx context.Context) error {
	w, err := a.NewWeb()
	if err != nil {
		return err
	}
	return w.Run(ctx)
}

// RunWorker runs the worker role until ctx ends: the source runners under
// their leases, the asynq server (strainer tasks) and the scheduler.
func (a *App) RunWorker(ctx context.Context) error {
	redisOpt := AsynqRedis(a.Config)
	log := realtime.NewLog(a.Redis, a.Namespace)
	queue := asynq.NewClient(redisOpt)
	defer queue.Close()

	strainer := jobs.NewStrainer(a.Store, log, jobs.StrainerOptions{Redis: a.Redis, Namespace: a.Namespace, Logger: a.Logger})
	srcOpts := a.SourceOptions()
	srcOpts.Place = a.newSchedules().Apply
	verbs := a.newModeration(log, nil)
	mgr := sources.NewManager(a.DB, a.Redis, volumeAppender{log: log, queue: queue, logger: a.Logger,
		cards: a.newCards(log, verbs.Item)}, srcOpts)
	mux := asynq.NewServeMux()
	jobs.RegisterHandlers(mux, strainer)
	sources.RegisterPollHandlers(mux, mgr)
	srv := asynq.NewServer(redisOpt, asynq.Config{
		Concurrency: 4,
		// The strainer's latency matters to archives; poll the queue often.
		TaskCheckInterval: 200 * time.Millisecond,
		ShutdownTimeout:   20 * time.Second,
		Logger:            asynqLogger{a.Logger},
		LogLevel:          asynq.WarnLevel,
	})
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("app: worker: start asynq server: %w", err)
	}
	sch, err := jobs.NewScheduler(redisOpt, &asynq.SchedulerOpts{Logger: asynqLogger{a.Logger}, LogLevel: asynq.WarnLevel})
	if err != nil {
		srv.Shutdown()
		return err
	}
	if err := sch.Start(); err != nil {
		srv.Shutdown()
		return fmt.Errorf("app: worker: start scheduler: %w", err)
	}
	// Flickr and feed polls: one periodic task per enabled polled source.
	polls, err := sources.NewPollManager(redisOpt, a.DB, sources.PollManagerOptions{
		Scheduler: &asynq.SchedulerOpts{Logger: asynqLogger{a.Logger}, LogLevel: asynq.WarnLevel}, Logger: a.Logger})
	if err == nil {
		err = polls.Start()
	}
	if err != nil {
		sch.Shutdown()
		srv.Shutdown()
		return fmt.Errorf("app: worker: start source polls: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := mgr.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.Logger.Error("source manager stopped", "err", err)
		}
	}()
	heartbeat.Start(ctx, a.Redis, a.Namespace, "worker", heartbeat.WithVersion(Version), heartbeat.WithLogger(a.Logger))
	a.Logger.Info("worker running")
	<-ctx.Done()
	a.Logger.Info("worker shutting down: releasing leases, finishing tasks")
	wg.Wait()
	sch.Shutdown()
	polls.Shutdown()
	srv.Shutdown()
	return nil
}

// SourceOptions are the sources' settings from the configuration: the
// worker's identity, the one outbound client (OUTBOUND_ALLOW_PRIVATE), the
// variables token_env may name (SOURCE_SECRETS) and the keyring that opens
// tokens entered in the admin. Everything that reaches a source's upstream
// (the runners, the polls, the admin's test connection through
// sources.Manager.TestConnection) uses them, so nothing outbound bypasses
// the outbound checks.
func (a *App) SourceOptions() sources.ManagerOptions {
	ss := a.Config.SourceSecrets
	o := sources.ManagerOptions{
		Namespace:     a.Namespace,
		Holder:        a.Config.WorkerID,
		HTTPClient:    outbound.NewClient(a.Config.Outbound()),
		SourceSecrets: &ss,
		Logger:        a.Logger,
		Metrics:       a.Metrics,
	}
	if len(a.Config.SecretKey) > 0 {
		o.Keyring = a.Config.Keyring()
	}
	return o
}

// RunAll runs the web and worker roles in one process.
func (a *App) RunAll(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- a.RunWorker(ctx) }()
	go func() { errs <- a.RunWeb(ctx) }()
	first := <-errs
	cancel()
	second := <-errs
	return errors.Join(first, second)
}

// volumeAppender appends through the live log and asks for a strain sooner
// when an event's log grows fast.
type volumeAppender struct {
	log    *realtime.Log
	queue  *asynq.Client
	logger *slog.Logger
	cards  *cards // nil: items get no link card
}

func (v volumeAppender) AppendItem(ctx context.Context, eventID int64, it live.Item) (realtime.AppendResult, error) {
	res, err := v.log.AppendItem(ctx, eventID, it)
	if err == nil && !res.Duplicate {
		if _, terr := jobs.TriggerOnVolume(ctx, v.queue, eventID, res.Seq, strainOnVolume); terr != nil {
			v.logger.Warn("strain trigger", "event", eventID, "err", terr)
		}
		it.Seq = res.Seq
		v.cards.appended(eventID, it)
	}
	return res, err
}

func (v volumeAppender) AppendOp(ctx context.Context, eventID int64, op string, target int64, it *live.Item) (realtime.AppendResult, error) {
	return v.log.AppendOp(ctx, eventID, op, target, it)
}

// asynqLogger sends asynq's logs to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
}
