package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/backchannel/backchannel/eventfile"
	"github.com/backchannel/backchannel/outbound"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/timetable"
)

const importUsage = "event import --event SLUG --format pretalx|frab|ics FILE_OR_URL [--dry-run]"

// runEventImport imports a schedule into an event (docs/API.md, "Schedules
// from where organizers keep them"). A file is read and checked before the
// database is touched; a URL is fetched through the outbound client (the
// OUTBOUND_ALLOW_PRIVATE policy). --dry-run prints what would change.
func runEventImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "event import", importUsage)
	slug := fs.String("event", "", "the event's slug (the event must exist)")
	format := fs.String("format", "", "the schedule's format: pretalx (schedule JSON), frab (schedule.xml) or ics (iCalendar)")
	dry := fs.Bool("dry-run", false, "print what would be added, changed and removed, and change nothing")
	// Flags may follow the file: parse what remains after each argument.
	var rest []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case *slug == "":
		return &usageError{"--event SLUG is required"}
	case *format == "":
		return &usageError{"--format is required: pretalx, frab or ics"}
	case !oneOf(*format, timetable.Formats()...):
		return &usageError{fmt.Sprintf("--format %q: want pretalx, frab or ics", *format)}
	case len(rest) != 1:
		return &usageError{"takes one schedule file or URL"}
	}
	source := rest[0]
	isURL := strings.HasPrefix(source, "https://") || strings.HasPrefix(source, "http://")
	var data []byte
	var err error
	if !isURL {
		if data, err = timetable.ReadFile(source); err != nil {
			return err
		}
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if isURL {
		policy := a.Config.Outbound()
		if err := policy.CheckURL(source); err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
		if data, err = timetable.Fetch(ctx, outbound.NewClient(policy), source); err != nil {
			return err
		}
	}
	sch, err := timetable.Parse(*format, source, data)
	if err != nil {
		return err
	}
	actor := store.Actor{Name: "cli:event import"}
	res, err := eventfile.ImportSchedule(ctx, a.DB, *slug, sch, eventfile.ImportOptions{Actor: actor, DryRun: *dry, Source: source})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, res.Summary())
	if !*dry && res.SessionsChanged() {
		// Items already strained follow the new schedule; manual
		// placements stay where moderators put them.
		if err := a.EnqueueReassign(ctx, res.EventID); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "sessions changed: items will be re-assigned to their sessions")
	}
	return nil
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}
