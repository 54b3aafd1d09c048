package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Permissions, checked by one wrapper (Auth.Guard) on every /admin route. Those
// starting with "event:" apply to the event named in the URL.
const (
	PermAccess        = "admin:access"   // any active account
	PermSystem        = "system:manage"  // superusers: users, dashboard, global audit, creating events
	PermEventView     = "event:view"     // any role on the event
	PermEventManage   = "event:manage"   // organizers: the event, its sessions, sources, roles
	PermEventModerate = "event:moderate" // organizers and moderators: the console, queue, rules
)

// Principal is the signed-in account and its roles, loaded once per request.
type Principal struct {
	User  models.User
	Roles map[int64]string // event id → role
}

// Can reports whether p holds perm; eventID matters for "event:" permissions.
func (p *Principal) Can(perm string, eventID int64) bool {
	if p == nil || !p.User.IsActive {
		return false
	}
	if p.User.IsSuperuser {
		return true
	}
	role := p.Roles[eventID]
	switch perm {
	case PermAccess:
		return true
	case PermEventView:
		return role != ""
	case PermEventManage:
		return role == models.RoleOrganizer
	case PermEventModerate:
		return role == models.RoleOrganizer || role == models.RoleModerator
	default:
		return false
	}
}

// EventIDs returns the events p has a role on (nil for a superuser: all).
func (p *Principal) EventIDs() []int64 {
	if p.User.IsSuperuser {
		return nil
	}
	ids := make([]int64, 0, len(p.Roles))
	for id := range p.Roles {
		ids = append(ids, id)
	}
	return ids
}

// loadPrincipal returns the active account with id and its roles, or nil
// when there is none (deleted or switched off since it signed in).
func loadPrincipal(ctx context.Context, st *store.Store, userID int64) (*Principal, error) {
	u, err := st.ActiveUser(ctx, userID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: load account: %w", err)
	}
	roles, err := st.RolesOf(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("auth: load roles: %w", err)
	}
	return &Principal{User: *u, Roles: roles}, nil
}
