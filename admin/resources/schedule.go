package resources

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/eventfile"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/timetable"
)

// maxScheduleUpload bounds an uploaded schedule: under the server's body
// limit (4 MB). Larger schedules come by URL (timetable.MaxSize) or the CLI.
const maxScheduleUpload = 3 << 20

// ScheduleView is the schedule import page's view model.
type ScheduleView struct {
	EventID int64
	Formats []string
	Format  string
	URL     string
	Errors  []string
	// Preview is the dry run's summary, one line each; Data and Source are
	// what the Import button applies (exactly what was previewed).
	Preview []string
	Data    string
	Source  string
	// Applied is the import's summary.
	Applied []string
}

func (p *Pages) scheduleChrome(c *fiber.Ctx, ev *models.Event) ui.Chrome {
	return p.d.Auth.Chrome(c, auth.EventPage("Import a schedule", ev, "schedule",
		ui.Home, ui.Crumb{Label: ev.Title, Href: "/admin/events/" + ui.Itoa(ev.ID)}, ui.Crumb{Label: "Schedule"}))
}

func (p *Pages) scheduleForm(c *fiber.Ctx) error {
	ev, err := p.d.Auth.Event(c)
	if err != nil {
		return err
	}
	v := ScheduleView{EventID: ev.ID, Formats: timetable.Formats(), Format: ev.ScheduleFormat, URL: ev.ScheduleURL}
	return web.Render(c, fiber.StatusOK, SchedulePage(p.scheduleChrome(c, ev), v))
}

// scheduleImport previews a schedule (a dry run of the import, "preview")
// or applies the previewed one ("apply"), audited in the name of the
// signed-in account (docs/API.md, "Schedules from where organizers keep
// them").
func (p *Pages) scheduleImport(c *fiber.Ctx) error {
	ev, err := p.d.Auth.Event(c)
	if err != nil {
		return err
	}
	v := ScheduleView{EventID: ev.ID, Formats: timetable.Formats(), Format: c.FormValue("format"), URL: strings.TrimSpace(c.FormValue("url"))}
	fail := func(msgs ...string) error {
		v.Errors = msgs
		return web.Render(c, fiber.StatusUnprocessableEntity, SchedulePage(p.scheduleChrome(c, ev), v))
	}
	apply := c.FormValue("action") == "apply"
	var data []byte
	var source string
	switch {
	case apply:
		data, source = []byte(c.FormValue("data")), c.FormValue("source")
	case v.URL != "":
		if p.d.Fetch == nil {
			return fail("Fetching schedules by URL is not configured here; upload the file instead.")
		}
		source = v.URL
		if data, err = timetable.Fetch(c.UserContext(), p.d.Fetch, v.URL); err != nil {
			return fail(err.Error())
		}
	default:
		fh, err := c.FormFile("file")
		if err != nil {
			return fail("Choose a schedule file to upload, or give its URL.")
		}
		if fh.Size > maxScheduleUpload {
			return fail(fmt.Sprintf("%s: the file is %.1f MB; an upload may be at most %d MB (give its URL instead, or use backchannel event import).",
				fh.Filename, float64(fh.Size)/(1<<20), maxScheduleUpload>>20))
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		if data, err = io.ReadAll(io.LimitReader(f, maxScheduleUpload+1)); err != nil {
			return err
		}
		source = fh.Filename
	}
	sch, err := timetable.Parse(v.Format, source, data)
	if err != nil {
		return fail(err.Error())
	}
	by := auth.ActorOf(c)
	res, err := eventfile.ImportSchedule(c.UserContext(), p.d.Store.DB(), ev.Slug, sch,
		eventfile.ImportOptions{Actor: by, DryRun: !apply, Source: source})
	if err != nil {
		var ie *eventfile.ImportError
		if errors.As(err, &ie) {
			return fail(ie.Error())
		}
		return err
	}
	lines := strings.Split(res.Summary(), "\n")
	if !apply {
		v.Preview, v.Data, v.Source = lines, string(data), source
		return web.Render(c, fiber.StatusOK, SchedulePage(p.scheduleChrome(c, ev), v))
	}
	p.d.Logger.Info("admin: schedule imported", "event", ev.Slug, "format", sch.Format, "source", source, "by", by.Name)
	if res.Changed() && p.d.Changed != nil {
		// Archive caches drop the old schedule; items follow the new one.
		p.d.Changed(c.UserContext(), ev.ID, "sessions")
	}
	v.Applied = lines
	return web.Render(c, fiber.StatusOK, SchedulePage(p.scheduleChrome(c, ev), v))
}

func formatLabel(f string) string {
	switch f {
	case timetable.FormatPretalx:
		return "pretalx schedule JSON"
	case timetable.FormatFrab:
		return "frab schedule.xml"
	case timetable.FormatICS:
		return "iCalendar (.ics)"
	}
	return f
}
