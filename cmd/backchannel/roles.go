package main

import (
	"context"

	"github.com/backchannel/backchannel/app"
)

func runRole(name, usage string, run func(a *app.App, ctx context.Context) error) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(e, name, usage)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return &usageError{"takes no arguments"}
		}
		a, err := openApp(ctx, e)
		if err != nil {
			return err
		}
		defer a.Close()
		return run(a, ctx)
	}
}

var (
	runServe  = runRole("serve", "serve   (HTTP_ADDR, DATABASE_URL, REDIS_URL, ... from the environment)", (*app.App).RunWeb)
	runWorker = runRole("worker", "worker   (DATABASE_URL, REDIS_URL, ... from the environment)", (*app.App).RunWorker)
	runAll    = runRole("all", "all   (web and worker in one process)", (*app.App).RunAll)
)
