package admin

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/internal/heartbeat"
	"github.com/backchannel/backchannel/models"
)

// DashboardView is the operations dashboard's view model.
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
	ID      int64
	EventID int64
	Event   string
	Kind    string
	Key     string
	Enabled bool
	State   SourceState `gorm:"-"`
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

func (s *server) dashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	now := s.d.Now()
	v := DashboardView{Now: now, CanReconnect: s.d.ReconnectSource != nil}
	var err error
	if v.Processes, err = heartbeat.Read(ctx, s.d.Redis, s.d.Namespace, now); err != nil {
		s.log.Warn("admin: dashboard processes", "err", err)
		v.ProcessError = "Heartbeats could not be read from Redis."
	}
	sort.Slice(v.Processes, func(i, j int) bool {
		return v.Processes[i].Role+v.Processes[i].ID < v.Processes[j].Role+v.Processes[j].ID
	})
	v.Stores = s.stores(ctx)
	if v.Sources, err = s.sourceRows(ctx); err != nil {
		return err
	}
	if s.d.Inspector != nil {
		v.Queues, v.Tasks, err = queueRows(s.d.Inspector)
		if err != nil {
			s.log.Warn("admin: dashboard queues", "err", err)
			v.QueueError = "The task queues could not be read."
		}
	}
	if v.EventCharts, v.SourceCharts, err = s.charts(ctx, now); err != nil {
		return err
	}
	ch := s.chrome(c, "Dashboard", Crumb{Label: "Admin", Href: "/admin/"}, Crumb{Label: "Dashboard"})
	ch.Section = "dashboard"
	return render(c, fiber.StatusOK, DashboardPage(ch, v))
}

func (s *server) sourceRows(ctx context.Context) ([]SourceRow, error) {
	var rows []SourceRow
	err := s.d.DB.WithContext(ctx).Raw(`SELECT s.id, s.event_id, e.slug AS event, s.kind, s.key, s.enabled
		FROM sources s JOIN events e ON e.id = s.event_id ORDER BY e.starts_at DESC, s.key LIMIT 500`).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("admin: dashboard sources: %w", err)
	}
	if s.d.SourceStates != nil && len(rows) > 0 {
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		states, err := s.d.SourceStates(ctx, ids)
		if err != nil {
			s.log.Warn("admin: source states", "err", err)
		}
		for i := range rows {
			rows[i].State = states[rows[i].ID]
		}
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

// dashboardSource starts (enables), stops (disables) or reconnects a source.
func (s *server) dashboardSource(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	var src models.Source
	if err := s.d.DB.WithContext(ctx).Where("id = ?", id).Take(&src).Error; err != nil {
		return notFound(err, "source", id)
	}
	var ev models.Event
	if err := s.d.DB.WithContext(ctx).Where("id = ?", src.EventID).Take(&ev).Error; err != nil {
		return notFound(err, "event", src.EventID)
	}
	sc := Scope{Event: &ev, P: mustPrincipal(c), Actor: actor(c)}
	switch action := c.Params("action"); action {
	case "start", "stop":
		err := s.d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			_, err := setSourcesEnabled(ctx, tx, sc, []int64{id}, action == "start")
			return err
		})
		if err != nil {
			return err
		}
		s.flash(c, fmt.Sprintf("Source %s: %s requested.", src.Key, action))
	case "reconnect":
		if s.d.ReconnectSource == nil {
			return fiber.NewError(fiber.StatusNotImplemented, "Reconnecting is not available in this process.")
		}
		if err := s.d.ReconnectSource(ctx, id); err != nil {
			return err
		}
		s.flash(c, fmt.Sprintf("Source %s: reconnect requested.", src.Key))
	default:
		return fiber.NewError(fiber.StatusNotFound, "There is no such action.")
	}
	return redirect(c, "/admin/dashboard#sources")
}

// dashboardTask retries or deletes a failed or archived task.
func (s *server) dashboardTask(c *fiber.Ctx) error {
	if s.d.Inspector == nil {
		return fiber.NewError(fiber.StatusNotImplemented, "The task queues are not available in this process.")
	}
	queue, state, task := c.Params("queue"), c.Params("state"), c.Params("task")
	if state != "retry" && state != "archived" {
		return fiber.NewError(fiber.StatusNotFound, "There is no such task list.")
	}
	var err error
	switch c.Params("action") {
	case "retry":
		err = s.d.Inspector.RunTask(queue, task)
	case "delete":
		err = s.d.Inspector.DeleteTask(queue, task)
	default:
		return fiber.NewError(fiber.StatusNotFound, "There is no such action.")
	}
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return fiber.NewError(fiber.StatusNotFound, "There is no such task (it may have run already).")
		}
		return fmt.Errorf("admin: task %s %s: %w", c.Params("action"), task, err)
	}
	s.flash(c, fmt.Sprintf("Task %s: %s done.", task, c.Params("action")))
	return redirect(c, "/admin/dashboard#queues")
}
