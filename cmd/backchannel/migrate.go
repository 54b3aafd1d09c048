package main

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/app"
	"github.com/backchannel/backchannel/migrations"
)

// openApp loads the configuration and connects to the stores.
func openApp(ctx context.Context, e *env) (*app.App, error) {
	cfg, err := app.LoadConfig(e.getenv)
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, cfg, app.NewLogger(e.stderr, cfg))
}

func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "migrate", "migrate [up|down|status]")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	action := "up"
	switch fs.NArg() {
	case 0:
	case 1:
		action = fs.Arg(0)
	default:
		return &usageError{"takes one action: up, down or status"}
	}
	if action != "up" && action != "down" && action != "status" {
		return &usageError{fmt.Sprintf("unknown action %q: want up, down or status", action)}
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	db, err := a.SQL()
	if err != nil {
		return err
	}
	switch action {
	case "up":
		n, err := migrations.Up(ctx, db)
		if err != nil {
			return err
		}
		if n == 0 {
			fmt.Fprintln(e.stdout, "migrations: already up to date")
		} else {
			fmt.Fprintf(e.stdout, "migrations: applied %d\n", n)
		}
	case "down":
		done, err := migrations.Down(ctx, db)
		if err != nil {
			return err
		}
		if done {
			fmt.Fprintln(e.stdout, "migrations: rolled back the newest migration")
		} else {
			fmt.Fprintln(e.stdout, "migrations: nothing to roll back")
		}
	case "status":
		list, err := migrations.List(ctx, db)
		if err != nil {
			return err
		}
		for _, m := range list {
			state := "pending"
			if m.Applied {
				state = "applied"
			}
			fmt.Fprintf(e.stdout, "%05d  %-8s %s\n", m.Version, state, m.Path)
		}
	}
	return nil
}
