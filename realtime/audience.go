package realtime

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/backchannel/backchannel/live"
)

// QuestionError says what is wrong with a question, in one sentence.
type QuestionError struct{ Message string }

func (e *QuestionError) Error() string { return e.Message }

// ValidateQuestion trims a question's text and the asker's name and checks
// them: valid UTF-8, no control characters (the text may hold newlines),
// text 1–300 characters, name at most 40 ("" asks anonymously). The text is
// plain text: pages show it as text, never as markup.
func ValidateQuestion(text, name string) (string, string, error) {
	if !utf8.ValidString(text) || !utf8.ValidString(name) {
		return "", "", &QuestionError{"The question is not valid UTF-8."}
	}
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return "", "", &QuestionError{"The question is empty: write what you would like to ask."}
	case n > live.MaxQuestionText:
		return "", "", &QuestionError{fmt.Sprintf("The question is %d characters long; at most %d are allowed.", n, live.MaxQuestionText)}
	}
	if n := utf8.RuneCountInString(name); n > live.MaxQuestionName {
		return "", "", &QuestionError{fmt.Sprintf("The name can be at most %d characters.", live.MaxQuestionName)}
	}
	for _, r := range text {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", "", &QuestionError{"The question must not contain control characters."}
		}
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", "", &QuestionError{"The name must not contain control characters."}
		}
	}
	return text, name, nil
}

// Reactions batches the reaction totals of this node's events into the live
// log: React counts a reaction in Redis at once and marks its event; Run
// flushes the marked events' totals about every Every. A node that dies
// with marks unflushed loses nothing: the totals and marks are in Redis,
// and the next flush of the event by any process (another node, or the
// strainer before it copies the event) appends them.
type Reactions struct {
	log    *Log
	every  time.Duration
	logger *slog.Logger

	mu    sync.Mutex
	dirty map[int64]struct{}
}

// NewReactions returns a flusher over log; every defaults to 500 ms.
func NewReactions(log *Log, every time.Duration, logger *slog.Logger) *Reactions {
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Reactions{log: log, every: every, logger: logger, dirty: map[int64]struct{}{}}
}

// Mark notes that an event has reactions to flush.
func (r *Reactions) Mark(eventID int64) {
	r.mu.Lock()
	r.dirty[eventID] = struct{}{}
	r.mu.Unlock()
}

// Run flushes the marked events every r.every until ctx ends (then once
// more, so a drained node leaves nothing behind).
func (r *Reactions) Run(ctx context.Context) {
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			r.Flush(fctx)
			cancel()
			return
		case <-t.C:
			r.Flush(ctx)
		}
	}
}

// Flush appends the totals of every marked event now. An event whose flush
// fails stays marked for the next round.
func (r *Reactions) Flush(ctx context.Context) {
	r.mu.Lock()
	ids := make([]int64, 0, len(r.dirty))
	for id := range r.dirty {
		ids = append(ids, id)
	}
	clear(r.dirty)
	r.mu.Unlock()
	for _, id := range ids {
		for {
			n, err := r.log.FlushReactions(ctx, id)
			if err != nil {
				r.logger.Warn("realtime: flush reactions", "event", id, "err", err)
				r.Mark(id)
				break
			}
			if n < flushBatch {
				break
			}
		}
	}
}
