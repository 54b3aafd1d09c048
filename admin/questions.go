package admin

import (
	"context"
	"log/slog"

	"github.com/backchannel/backchannel/admin/console"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
)

// AudienceLog is the part of *realtime.Log the questions console uses:
// questions as the log holds them and the scripts that change them.
type AudienceLog interface {
	moderation.QuestionLog
	Questions(ctx context.Context, eventID int64, session string) (realtime.QuestionList, error)
}

// questionsOf builds the question verbs over the store and, when Deps.Log
// is the realtime log, the live log (else they change Postgres only), and
// the console's reader of a session's questions.
func questionsOf(d Deps, st *store.Store, logger *slog.Logger, changed func(ctx context.Context, eventID int64, what string)) (*moderation.Questions, console.QuestionLister) {
	var ql moderation.QuestionLog
	var lister console.QuestionLister
	if al, ok := d.Log.(AudienceLog); ok {
		ql = moderation.QuestionLogOf(al, realtime.ErrNoQuestion)
		lister = console.QuestionListerFunc(func(ctx context.Context, eventID int64, session string) ([]live.Question, error) {
			l, err := al.Questions(ctx, eventID, session)
			return l.Questions, err
		})
	}
	return moderation.NewQuestions(st, ql, func(ctx context.Context, eventID int64) { changed(ctx, eventID, "questions") }, logger), lister
}
