package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/sources"
	"github.com/backchannel/backchannel/store"
)

const sourceUsage = "source token [--clear] EVENT SOURCE   (the token from stdin, or prompted on a terminal) | source test EVENT SOURCE"

// runSource sets a source's stored token (sealed with SECRET_KEY, bound to
// the source's host, never shown again) or tests its connection. SOURCE is
// the source's name or key within the event (as event export shows it).
func runSource(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || (args[0] != "token" && args[0] != "test") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(e.stdout, "Usage: backchannel "+sourceUsage)
			return nil
		}
		return &usageError{"want a subcommand: " + sourceUsage}
	}
	sub := args[0]
	fs := newFlags(e, "source "+sub, sourceUsage)
	clear := fs.Bool("clear", false, "remove the stored token")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return &usageError{"want EVENT and SOURCE: " + sourceUsage}
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	src, err := findSource(ctx, a.DB, fs.Arg(0), fs.Arg(1))
	if err != nil {
		return err
	}
	if sub == "test" {
		if err := sources.NewManager(a.DB, a.Redis, nil, a.SourceOptions()).TestConnection(ctx, src); err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(1), err)
		}
		fmt.Fprintf(e.stdout, "%s answered and accepted its settings\n", fs.Arg(1))
		return nil
	}
	token := ""
	if !*clear {
		if token, err = readToken(e); err != nil {
			return err
		}
	}
	if err := sources.SetToken(ctx, a.DB, a.Config.Keyring(), src.ID, token, store.Actor{Name: "cli:source token"}); err != nil {
		return err
	}
	if *clear {
		fmt.Fprintf(e.stdout, "token of %s removed\n", fs.Arg(1))
	} else {
		fmt.Fprintf(e.stdout, "token of %s stored for %s; it is sent only there and never shown again\n", fs.Arg(1), sources.SourceHost(src.Kind, src.Config))
	}
	return nil
}

func findSource(ctx context.Context, db *gorm.DB, eventSlug, key string) (models.Source, error) {
	var src models.Source
	err := db.WithContext(ctx).Joins("JOIN events ON events.id = sources.event_id").
		Where("events.slug = ? AND (sources.key = ? OR sources.config->>'name' = ?)", eventSlug, key, key).
		Take(&src).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return src, fmt.Errorf("there is no source %q in event %q (name or key, as event export shows it)", key, eventSlug)
	}
	if err != nil {
		return src, fmt.Errorf("find source: %w", err)
	}
	return src, nil
}

// readToken reads a token without echo on a terminal, or one line of stdin.
func readToken(e *env) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "Token: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read token: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	line, _ := bufio.NewReader(e.stdin).ReadString('\n')
	if line = strings.TrimSpace(line); line == "" {
		return "", &usageError{"no token on stdin (use --clear to remove one)"}
	}
	return line, nil
}
