package dashboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/heartbeat"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// LiveLog is what the dashboard reads of the live log: how much of an
// event's log Redis holds.
type LiveLog interface {
	Held(ctx context.Context, eventID int64) (items, entries int64, err error)
}

// SourceState is what the dashboard shows of a running source.
type SourceState struct {
	State   string // e.g. "connected", "disconnected"
	Detail  string
	Worker  string
	Updated time.Time
}

// Config is what New needs.
type Config struct {
	Store     *store.Store
	Auth      *auth.Auth
	Redis     rueidis.Client
	Namespace string
	Log       LiveLog // nil: the live logs' sizes are omitted
	// Inspector shows asynq's queues. Nil: the section is omitted.
	Inspector *asynq.Inspector
	// SourceStates reports runner states by source id. Nil: RunnerStates.
	SourceStates func(ctx context.Context, ids []int64) (map[int64]SourceState, error)
	// ReconnectSource asks the runner of a source to reconnect now. Optional.
	ReconnectSource func(ctx context.Context, sourceID int64) error
	Logger          *slog.Logger
	Now             func() time.Time
}

// Dashboard serves the operations dashboard.
type Dashboard struct {
	cfg Config
	log *slog.Logger
}

// New returns the dashboard over cfg.
func New(cfg Config) *Dashboard {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SourceStates == nil {
		cfg.SourceStates = RunnerStates(cfg.Redis, cfg.Namespace, cfg.Now)
	}
	return &Dashboard{cfg: cfg, log: cfg.Logger}
}

// Register adds the dashboard's routes (web.Routes), for superusers.
func (d *Dashboard) Register(g fiber.Router) {
	sys := func(h fiber.Handler) fiber.Handler { return d.cfg.Auth.Guard(auth.PermSystem, h) }
	g.Get("/dashboard", sys(d.page))
	g.Post("/dashboard/sources/:id/:action", sys(d.source))
	g.Post("/dashboard/tasks/:queue/:state/:task/:action", sys(d.task))
}

// DashboardView is the dashboard's view model.
type DashboardView struct {
	Processes    []heartbeat.Process
	ProcessError string
	Stores       StoresView
	Sources      []SourceRow
	Queues       []QueueRow
	QueueError   string
	Tasks        []TaskRow
	EventCharts  []Chart
	SourceCharts []Chart
	CanReconnect bool
	Now          time.Time
}

// SourceRow is one source with its runner state.
type SourceRow struct {
	store.AdminSourceRow
	State SourceState
}

// QueueRow is one asynq queue's figures.
type QueueRow struct {
	Name                                              string
	Size, Pending, Active, Scheduled, Retry, Archived int
	Processed, Failed                                 int
	Latency                                           time.Duration
	Paused                                            bool
}

// TaskRow is a failed (retry) or archived task.
type TaskRow struct {
	Queue, State, ID, Type, Error string
	Retried, MaxRetry             int
	LastFailed                    time.Time
}

// maxSources bounds the sources table.
const maxSources = 500

func (d *Dashboard) page(c *fiber.Ctx) error {
	ctx := c.UserContext()
	now := d.cfg.Now()
	v := DashboardView{Now: now, CanReconnect: d.cfg.ReconnectSource != nil}
	var err error
	if v.Processes, err = heartbeat.Read(ctx, d.cfg.Redis, d.cfg.Namespace, now); err != nil {
		d.log.Warn("admin: dashboard processes", "err", err)
		v.ProcessError = "Heartbeats could not be read from Redis."
	}
	sort.Slice(v.Processes, func(i, j int) bool {
		return v.Processes[i].Role+v.Processes[i].ID < v.Processes[j].Role+v.Processes[j].ID
	})
	v.Stores = d.stores(ctx)
	if v.Sources, err = d.sourceRows(ctx); err != nil {
		return err
	}
	if d.cfg.Inspector != nil {
		if v.Queues, v.Tasks, err = queueRows(d.cfg.Inspector); err != nil {
			d.log.Warn("admin: dashboard queues", "err", err)
			v.QueueError = "The task queues could not be read."
		}
	}
	if v.EventCharts, v.SourceCharts, err = d.charts(ctx, now); err != nil {
		return err
	}
	page := ui.Page{Title: "Dashboard", Section: "dashboard", Crumbs: []ui.Crumb{ui.Home, {Label: "Dashboard"}}}
	return web.Render(c, fiber.StatusOK, DashboardPage(d.cfg.Auth.Chrome(c, page), v))
}

func (d *Dashboard) sourceRows(ctx context.Context) ([]SourceRow, error) {
	srcs, err := d.cfg.Store.AdminSourceRows(ctx, maxSources)
	if err != nil || len(srcs) == 0 {
		return nil, err
	}
	ids := make([]int64, len(srcs))
	for i, r := range srcs {
		ids[i] = r.ID
	}
	states, err := d.cfg.SourceStates(ctx, ids)
	if err != nil {
		d.log.Warn("admin: source states", "err", err)
	}
	rows := make([]SourceRow, len(srcs))
	for i, r := range srcs {
		rows[i] = SourceRow{AdminSourceRow: r, State: states[r.ID]}
	}
	return rows, nil
}

func queueRows(in *asynq.Inspector) ([]QueueRow, []TaskRow, error) {
	names, err := in.Queues()
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(names)
	var qs []QueueRow
	var ts []TaskRow
	for _, n := range names {
		qi, err := in.GetQueueInfo(n)
		if err != nil {
			return qs, ts, err
		}
		qs = append(qs, QueueRow{Name: n, Size: qi.Size, Pending: qi.Pending, Active: qi.Active, Scheduled: qi.Scheduled,
			Retry: qi.Retry, Archived: qi.Archived, Processed: qi.Processed, Failed: qi.Failed, Latency: qi.Latency, Paused: qi.Paused})
		for _, state := range []string{"retry", "archived"} {
			list := in.ListRetryTasks
			if state == "archived" {
				list = in.ListArchivedTasks
			}
			tasks, err := list(n, asynq.PageSize(20))
			if err != nil {
				return qs, ts, err
			}
			for _, t := range tasks {
				ts = append(ts, TaskRow{Queue: n, State: state, ID: t.ID, Type: t.Type, Error: t.LastErr,
					Retried: t.Retried, MaxRetry: t.MaxRetry, LastFailed: t.LastFailedAt})
			}
		}
	}
	return qs, ts, nil
}

// source starts (enables), stops (disables) or reconnects a source.
func (d *Dashboard) source(c *fiber.Ctx) error {
	id, err := ui.IDParam(c, "id", "source")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	src, err := d.cfg.Store.AdminSource(ctx, id)
	if err != nil {
		return err
	}
	switch action := c.Params("action"); action {
	case "start", "stop":
		if _, err := d.cfg.Store.AdminSetSourcesEnabled(ctx, auth.ActorOf(c), src.EventID, []int64{id}, action == "start"); err != nil {
			return err
		}
		d.cfg.Auth.Flash(c, fmt.Sprintf("Source %s: %s requested.", src.Key, action))
	case "reconnect":
		if d.cfg.ReconnectSource == nil {
			return fiber.NewError(fiber.StatusNotImplemented, "Reconnecting is not available in this process.")
		}
		if err := d.cfg.ReconnectSource(ctx, id); err != nil {
			return err
		}
		d.cfg.Auth.Flash(c, fmt.Sprintf("Source %s: reconnect requested.", src.Key))
	default:
		return models.NotFound("action", action)
	}
	return ui.Redirect(c, "/admin/dashboard#sources")
}

// task retries or deletes a failed or archived task.
func (d *Dashboard) task(c *fiber.Ctx) error {
	if d.cfg.Inspector == nil {
		return fiber.NewError(fiber.StatusNotImplemented, "The task queues are not available in this process.")
	}
	queue, state, task, action := c.Params("queue"), c.Params("state"), c.Params("task"), c.Params("action")
	if state != "retry" && state != "archived" {
		return models.NotFound("task list", state)
	}
	var err error
	switch action {
	case "retry":
		err = d.cfg.Inspector.RunTask(queue, task)
	case "delete":
		err = d.cfg.Inspector.DeleteTask(queue, task)
	default:
		return models.NotFound("action", action)
	}
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		return models.NotFound("task", task)
	}
	if err != nil {
		return fmt.Errorf("dashboard: task %s %s: %w", action, task, err)
	}
	d.cfg.Auth.Flash(c, fmt.Sprintf("Task %s: %s done.", task, action))
	return ui.Redirect(c, "/admin/dashboard#queues")
}
