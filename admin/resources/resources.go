package resources

import (
	"log/slog"

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
	// Tokens, when set, gives each source a token page (sealed, write-only
	// tokens and "test connection").
	Tokens SourceTokens
}

// All declares every model the admin manages, each once.
func All(d Deps) []*crud.Resource {
	return []*crud.Resource{
		Events(), Sessions(), Sources(d.Store, d.Tokens.Keys != nil && d.Tokens.Test != nil), Rules(d.Verbs),
		Roles(), Users(), AuditLog(), EventHistory(),
	}
}
