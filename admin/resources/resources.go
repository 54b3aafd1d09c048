package resources

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/crud"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/store"
)

// Deps is what the declarations and pages need.
type Deps struct {
	Store  *store.Store
	Auth   *auth.Auth
	Verbs  *moderation.Verbs
	Logger *slog.Logger
	// Fetch fetches schedules by URL: the outbound client (package
	// outbound). Nil: the schedule page takes uploads only.
	Fetch *http.Client
	// Changed, when set, is told after a page (the schedule import)
	// committed a change to an event's rows, as crud's saves tell it.
	Changed func(ctx context.Context, eventID int64, what string)
	// Tokens, when set, gives each source a token page (sealed, write-only
	// tokens and "test connection").
	Tokens SourceTokens
}

// All declares every model the admin manages, each once.
func All(d Deps) []*crud.Resource {
	return []*crud.Resource{
		Events(), Rooms(), Sessions(), Sources(d.Store, d.Tokens.Keys != nil && d.Tokens.Test != nil), Rules(d.Verbs),
		Roles(), Users(), AuditLog(), EventHistory(),
	}
}
