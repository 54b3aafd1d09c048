package resources

import (
	"context"
	"errors"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/crud"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Roles declares who organizes and who moderates one event (organizers).
func Roles() *crud.Resource {
	return &crud.Resource{
		Key: "roles", Singular: "role", Plural: "People", ObjectType: "event_role",
		Table: "event_roles", KeyColumn: "user_id", Kind: crud.InEvent,
		Title: "(SELECT email FROM users u WHERE u.id = t.user_id) || ' (' || t.role || ')'",
		Columns: []crud.Column{
			{Key: "email", Label: "Email", SQL: "(SELECT email FROM users u WHERE u.id = t.user_id)", Sortable: true, Link: true},
			{Key: "role", Label: "Role", SQL: "t.role", Sortable: true},
			{Key: "since", Label: "Since", SQL: "to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')", Sortable: true},
		},
		Filters:     []crud.Filter{{Key: "role", Label: "role", SQL: "t.role", Choices: crud.Choices(models.RoleOrganizer, models.RoleModerator)}},
		Search:      []string{"(SELECT email FROM users u WHERE u.id = t.user_id)"},
		DefaultSort: "email",
		ViewPerm:    auth.PermEventManage, EditPerm: auth.PermEventManage, CreatePerm: auth.PermEventManage, DeletePerm: auth.PermEventManage,
		DeleteLabel: "Remove selected people from this event",
		Fields: []crud.Field{
			{Name: "email", Label: "Email of an existing account", Type: "email", Required: true, CreateOnly: true},
			{Name: "role", Label: "Role", Type: "select", Required: true, Choices: []crud.Choice{
				{Value: models.RoleModerator, Label: "moderator: moderation only"},
				{Value: models.RoleOrganizer, Label: "organizer: sessions, sources, people and moderation"}}},
		},
		// The email is the account's, not a column of the role.
		Load: func(ctx context.Context, st *store.Store, sc crud.Scope, id int64) (crud.Values, error) {
			r, err := st.RoleOf(ctx, sc.EventID(), id)
			if err != nil {
				return nil, err
			}
			return crud.Values{"email": r.Email, "role": r.Role}, nil
		},
		Clean: cleanRole,
	}
}

// cleanRole gives an existing account a role in the event, or changes it.
func cleanRole(ctx context.Context, st *store.Store, sc crud.Scope, id int64, v crud.Values) (crud.Columns, *models.ValidationError, error) {
	role := v["role"]
	if role != models.RoleOrganizer && role != models.RoleModerator {
		return nil, crud.FieldError("role", "must be organizer or moderator"), nil
	}
	if id != 0 {
		return crud.Columns{"role": role}, nil, nil
	}
	u, err := st.UserByEmail(ctx, v["email"])
	if errors.Is(err, models.ErrNotFound) {
		return nil, crud.FieldError("email", "belongs to no account; a superuser creates accounts under Users first"), nil
	}
	if err != nil {
		return nil, nil, err
	}
	switch _, err := st.RoleOf(ctx, sc.EventID(), u.ID); {
	case err == nil:
		return nil, crud.FieldError("email", "already has a role in this event; change it instead"), nil
	case !errors.Is(err, models.ErrNotFound):
		return nil, nil, err
	}
	return crud.Columns{"user_id": u.ID, "role": role}, nil, nil
}

// Users declares the accounts (superusers).
func Users() *crud.Resource {
	yesNo := []crud.Choice{{Value: "true", Label: "yes"}, {Value: "false", Label: "no"}}
	return &crud.Resource{
		Key: "users", Singular: "user", Plural: "Users", ObjectType: "user",
		Table: "users", Kind: crud.Global, UpdatedAt: true, Title: "t.email",
		Columns: []crud.Column{
			{Key: "email", Label: "Email", SQL: "t.email", Sortable: true, Link: true},
			{Key: "superuser", Label: "Superuser", SQL: "CASE WHEN t.is_superuser THEN 'yes' ELSE 'no' END", Sortable: true},
			{Key: "active", Label: "Active", SQL: "CASE WHEN t.is_active THEN 'yes' ELSE 'no' END", Sortable: true},
			{Key: "roles", Label: "Events", SQL: "(SELECT string_agg(e.slug || ' (' || r.role || ')', ', ' ORDER BY e.slug) FROM event_roles r JOIN events e ON e.id = r.event_id WHERE r.user_id = t.id)"},
			{Key: "login", Label: "Last sign-in", SQL: "to_char(t.last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')", Sortable: true},
		},
		Filters: []crud.Filter{
			{Key: "superuser", Label: "superuser", SQL: "t.is_superuser", Choices: yesNo},
			{Key: "active", Label: "active", SQL: "t.is_active", Choices: yesNo},
		},
		Search:      []string{"t.email"},
		DefaultSort: "email",
		ViewPerm:    auth.PermSystem, EditPerm: auth.PermSystem, CreatePerm: auth.PermSystem, DeletePerm: auth.PermSystem,
		Fields: []crud.Field{
			{Name: "email", Label: "Email", Type: "email", Required: true},
			{Name: "password", Label: "Password", Type: "password", Help: "At least 12 characters, not a common or breached password. When changing a user, leave empty to keep the current one."},
			{Name: "is_superuser", Label: "Superuser (every permission)", Type: "checkbox"},
			{Name: "is_active", Label: "Active (may sign in)", Type: "checkbox"},
		},
		Cascade: []store.AdminCountQuery{
			{Label: "event roles", SQL: "SELECT count(*) FROM event_roles WHERE user_id IN ?"},
			{Label: "bans they added (kept, author forgotten)", SQL: "SELECT count(*) FROM moderation_rules WHERE created_by IN ?"},
		},
		Clean: cleanUser,
		CanDelete: func(sc crud.Scope, ids []int64) error {
			for _, id := range ids {
				if id == sc.Actor.UserID {
					return ui.Forbidden("You cannot delete your own account.")
				}
			}
			return nil
		},
	}
}

// cleanUser checks an account's email and password (argon2id-hashed; an
// empty password keeps the current one) and keeps superusers from locking
// themselves out.
func cleanUser(ctx context.Context, st *store.Store, sc crud.Scope, id int64, v crud.Values) (crud.Columns, *models.ValidationError, error) {
	verr := &models.ValidationError{}
	email, msg := auth.ValidateEmail(v["email"])
	if msg != "" {
		verr.Add("email", "%s", msg)
	}
	if v["password"] != "" || id == 0 {
		if msg := auth.ValidatePassword(v["password"]); msg != "" {
			verr.Add("password", "%s", msg)
		}
	}
	if id == sc.Actor.UserID && (v["is_superuser"] != "on" || v["is_active"] != "on") {
		verr.Add("is_superuser", "You cannot remove your own superuser or active status.")
	}
	if email != "" {
		taken, err := st.EmailTaken(ctx, email, id)
		if err != nil {
			return nil, nil, err
		}
		if taken {
			verr.Add("email", "is already used by another account")
		}
	}
	if verr.Err() != nil {
		return nil, verr, nil
	}
	cols := crud.Columns{"email": email, "is_superuser": v["is_superuser"] == "on", "is_active": v["is_active"] == "on"}
	if v["password"] != "" {
		hash, err := auth.HashPassword(v["password"])
		if err != nil {
			return nil, nil, err
		}
		cols["password_hash"] = hash
	}
	return cols, nil, nil
}
