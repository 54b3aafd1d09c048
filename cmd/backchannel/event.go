package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/backchannel/backchannel/admin"
	"github.com/backchannel/backchannel/eventfile"
	"github.com/backchannel/backchannel/store"
)

func runEvent(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return &usageError{"want a subcommand: apply -f FILE.yaml, import --event SLUG --format F FILE_OR_URL, or export SLUG"}
	}
	switch args[0] {
	case "apply":
		return runEventApply(ctx, e, args[1:])
	case "export":
		return runEventExport(ctx, e, args[1:])
	case "import":
		return runEventImport(ctx, e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, "Usage: backchannel event apply -f FILE.yaml | backchannel "+importUsage+" | backchannel event export SLUG")
		return nil
	}
	return &usageError{fmt.Sprintf("unknown subcommand %q: want apply, import or export", args[0])}
}

func runEventApply(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "event apply", "event apply -f FILE.yaml")
	file := fs.String("f", "", "the event file (YAML) to create or update")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return &usageError{"-f FILE.yaml is required"}
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return fmt.Errorf("read event file: %w", err)
	}
	// Validate before touching the database: a bad file changes nothing.
	f, err := eventfile.Parse(*file, data)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := eventfile.Apply(ctx, a.DB, f, store.Actor{Name: "cli:event apply"})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, res.Summary())
	if res.SessionsChanged() {
		// Items already strained move to the sessions' new windows.
		if err := a.EnqueueReassign(ctx, res.EventID); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "sessions changed: items will be re-assigned to their sessions")
	}
	return nil
}

func runEventExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "event export", "event export SLUG")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &usageError{"takes one event slug"}
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	out, err := eventfile.ExportFile(ctx, a.DB, fs.Arg(0))
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(out)
	return err
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "demo")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := eventfile.ApplyDemo(ctx, a.DB, a.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, res.Summary())
	fmt.Fprintf(e.stdout, "demo: live at %s/events/demo\n", a.Config.BaseURL)
	return nil
}

func runCreateSuperuser(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "createsuperuser", "createsuperuser --email E   (password from stdin, or prompted on a terminal)")
	email := fs.String("email", "", "the superuser's email address")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*email) == "" {
		return &usageError{"--email is required"}
	}
	password, err := readPassword(e)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := admin.CreateSuperuser(ctx, a.DB, strings.TrimSpace(*email), password); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "superuser %s is ready: sign in at %s/admin/\n", strings.TrimSpace(*email), a.Config.BaseURL)
	return nil
}

// readPassword prompts twice on a terminal, or reads one line from stdin.
func readPassword(e *env) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(e.stderr, "Password (again): ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", &usageError{"the two passwords differ"}
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		if err != nil {
			return "", &usageError{"no password on stdin"}
		}
		return "", &usageError{"empty password"}
	}
	return line, nil
}
