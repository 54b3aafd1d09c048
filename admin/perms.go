package admin

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

// Permissions, checked by one wrapper (guard) on every /admin route. Those
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

func loadPrincipal(ctx context.Context, db *gorm.DB, userID int64) (*Principal, error) {
	var u models.User
	if err := db.WithContext(ctx).Where("id = ? AND is_active", userID).Take(&u).Error; err != nil {
		if err == gorm.ErrRecordNotFound {
			return nil, nil
		}
		return nil, fmt.Errorf("admin: load user: %w", err)
	}
	var roles []models.EventRole
	if err := db.WithContext(ctx).Where("user_id = ?", userID).Find(&roles).Error; err != nil {
		return nil, fmt.Errorf("admin: load roles: %w", err)
	}
	p := &Principal{User: u, Roles: make(map[int64]string, len(roles))}
	for _, r := range roles {
		p.Roles[r.EventID] = r.Role
	}
	return p, nil
}
