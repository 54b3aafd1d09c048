package app

import (
	"io"
	"log/slog"
	"os"
	"strings"
)

// NewLogger returns the process logger: text for people in development, JSON
// in production. LOG_LEVEL (debug, info, warn, error) sets the level.
func NewLogger(w io.Writer, cfg *Config) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(os.Getenv("LOG_LEVEL")) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg != nil && !cfg.Development() {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
