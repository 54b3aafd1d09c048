// Command backchannel runs every role of Backchannel (web, worker, both) and
// its admin tasks, like Django's manage.py. Run `backchannel help` for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand: its usage line, what it does, and how it runs.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a command sees of the outside world, so tests can run commands
// in-process with their own streams and environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// usageError is a mistake in the command line: exit code 2, one line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func commands() []command {
	return []command{
		{"serve", "run the web role: pages, archives, admin and the live API", runServe},
		{"worker", "run the worker role: source runners, strainer and periodic jobs", runWorker},
		{"all", "run web and worker in one process (the default for one machine)", runAll},
		{"migrate", "apply or inspect database migrations: migrate [up|down|status]", runMigrate},
		{"createsuperuser", "create or update an admin superuser: createsuperuser --email E (password from stdin or prompt)", runCreateSuperuser},
		{"event", "manage events from files: event apply -f FILE.yaml | event import --event SLUG --format pretalx|frab|ics FILE_OR_URL [--dry-run] | event export SLUG", runEvent},
		{"demo", "create or refresh the demo event with its replay source", runDemo},
		{"source", "a source's stored token or its connection: source token EVENT SOURCE | source test EVENT SOURCE", runSource},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		var ue *usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(e.stderr, "backchannel %s: %s (see `backchannel %s --help`)\n", c.name, ue.msg, c.name)
			return 2
		default:
			fmt.Fprintf(e.stderr, "backchannel %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "backchannel: unknown command %q (see `backchannel help`)\n", args[0])
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: backchannel COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nConfiguration comes from the environment (DATABASE_URL, REDIS_URL, HTTP_ADDR, SECRET_KEY, BASE_URL, ...).")
}

// newFlags returns a flag set whose errors and help go to e.stderr/e.stdout.
func newFlags(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fs.SetOutput(e.stdout)
		fmt.Fprintf(e.stdout, "Usage: backchannel %s\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return err
		}
		return &usageError{err.Error()}
	}
	return nil
}
