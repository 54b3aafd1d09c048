package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

// rolesResource lists who organizes and who moderates one event.
func (s *server) rolesResource() *Resource {
	r := &Resource{
		Key: "roles", Singular: "role", Plural: "People", ObjectType: "event_role",
		Table: "event_roles", IDColumn: "user_id", EventScoped: true,
		Title: "(SELECT email FROM users u WHERE u.id = t.user_id) || ' (' || t.role || ')'",
		Columns: []Column{
			{Key: "email", Label: "Email", SQL: "(SELECT email FROM users u WHERE u.id = t.user_id)", Sortable: true, Link: true},
			{Key: "role", Label: "Role", SQL: "t.role", Sortable: true},
			{Key: "since", Label: "Since", SQL: "to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')", Sortable: true},
		},
		Filters:     []Filter{{Key: "role", Label: "role", SQL: "t.role", Choices: choices(models.RoleOrganizer, models.RoleModerator)}},
		Search:      []string{"(SELECT email FROM users u WHERE u.id = t.user_id)"},
		DefaultSort: "email",
		ViewPerm:    PermEventManage, EditPerm: PermEventManage, CreatePerm: PermEventManage, DeletePerm: PermEventManage,
		Fields: []Field{
			{Name: "email", Label: "Email of an existing account", Type: "email", Required: true, CreateOnly: true},
			{Name: "role", Label: "Role", Type: "select", Required: true, Choices: []Choice{
				{Value: models.RoleModerator, Label: "moderator: moderation only"},
				{Value: models.RoleOrganizer, Label: "organizer: sessions, sources, people and moderation"}}},
		},
	}
	r.Load = func(ctx context.Context, db *gorm.DB, sc Scope, id int64) (Values, error) {
		var row struct {
			Email string
			Role  string
		}
		err := db.Raw(`SELECT u.email, r.role FROM event_roles r JOIN users u ON u.id = r.user_id
			WHERE r.user_id = ? AND r.event_id = ?`, id, sc.EventID()).Scan(&row).Error
		if err != nil {
			return nil, fmt.Errorf("admin: load role: %w", err)
		}
		if row.Role == "" {
			return nil, models.NotFound("role of user", id)
		}
		return Values{"email": row.Email, "role": row.Role}, nil
	}
	r.Save = func(ctx context.Context, tx *gorm.DB, sc Scope, id int64, v Values) (int64, any, any, *models.ValidationError, error) {
		role := v["role"]
		if role != models.RoleOrganizer && role != models.RoleModerator {
			return 0, nil, nil, fieldErr("role", "must be organizer or moderator"), nil
		}
		if id == 0 {
			var u models.User
			err := tx.Where("lower(email) = lower(?)", v["email"]).Take(&u).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return 0, nil, nil, fieldErr("email", "belongs to no account; a superuser creates accounts under Users first"), nil
			}
			if err != nil {
				return 0, nil, nil, nil, err
			}
			var n int64
			if err := tx.Model(&models.EventRole{}).Where("user_id = ? AND event_id = ?", u.ID, sc.EventID()).Count(&n).Error; err != nil {
				return 0, nil, nil, nil, err
			}
			if n > 0 {
				return 0, nil, nil, fieldErr("email", "already has a role in this event; change it instead"), nil
			}
			er := models.EventRole{UserID: u.ID, EventID: sc.EventID(), Role: role, CreatedAt: time.Now()}
			if err := tx.Create(&er).Error; err != nil {
				return 0, nil, nil, nil, err
			}
			return u.ID, nil, map[string]any{"user_id": u.ID, "email": u.Email, "role": role}, nil, nil
		}
		var old models.EventRole
		if err := tx.Where("user_id = ? AND event_id = ?", id, sc.EventID()).Take(&old).Error; err != nil {
			return 0, nil, nil, nil, notFound(err, "role", id)
		}
		if err := tx.Model(&models.EventRole{}).Where("user_id = ? AND event_id = ?", id, sc.EventID()).Update("role", role).Error; err != nil {
			return 0, nil, nil, nil, err
		}
		return id, map[string]any{"user_id": id, "role": old.Role}, map[string]any{"user_id": id, "role": role}, nil, nil
	}
	r.Snapshot = func(ctx context.Context, tx *gorm.DB, sc Scope, id int64) (any, error) {
		return snapshotRow(ctx, tx, "event_roles", "user_id", id, "event_id = ?", sc.EventID())
	}
	del := deleteAction(r)
	del.Label = "Remove selected people from this event"
	r.Actions = []Action{del}
	return r
}

// usersResource is the accounts list (superusers only).
func (s *server) usersResource() *Resource {
	r := &Resource{
		Key: "users", Singular: "user", Plural: "Users", ObjectType: "user",
		Table: "users", IDColumn: "id", Title: "t.email",
		Columns: []Column{
			{Key: "email", Label: "Email", SQL: "t.email", Sortable: true, Link: true},
			{Key: "superuser", Label: "Superuser", SQL: "CASE WHEN t.is_superuser THEN 'yes' ELSE 'no' END", Sortable: true},
			{Key: "active", Label: "Active", SQL: "CASE WHEN t.is_active THEN 'yes' ELSE 'no' END", Sortable: true},
			{Key: "roles", Label: "Events", SQL: "(SELECT string_agg(e.slug || ' (' || r.role || ')', ', ' ORDER BY e.slug) FROM event_roles r JOIN events e ON e.id = r.event_id WHERE r.user_id = t.id)"},
			{Key: "login", Label: "Last sign-in", SQL: "to_char(t.last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')", Sortable: true},
		},
		Filters: []Filter{
			{Key: "superuser", Label: "superuser", SQL: "t.is_superuser", Choices: []Choice{{Value: "true", Label: "yes"}, {Value: "false", Label: "no"}}},
			{Key: "active", Label: "active", SQL: "t.is_active", Choices: []Choice{{Value: "true", Label: "yes"}, {Value: "false", Label: "no"}}},
		},
		Search:      []string{"t.email"},
		DefaultSort: "email",
		ViewPerm:    PermSystem, EditPerm: PermSystem, CreatePerm: PermSystem, DeletePerm: PermSystem,
		Fields: []Field{
			{Name: "email", Label: "Email", Type: "email", Required: true},
			{Name: "password", Label: "Password", Type: "password", Help: "At least 10 characters. When changing a user, leave empty to keep the current one."},
			{Name: "is_superuser", Label: "Superuser (every permission)", Type: "checkbox"},
			{Name: "is_active", Label: "Active (may sign in)", Type: "checkbox"},
		},
	}
	r.Load = func(ctx context.Context, db *gorm.DB, sc Scope, id int64) (Values, error) {
		var u models.User
		if err := db.Where("id = ?", id).Take(&u).Error; err != nil {
			return nil, notFound(err, "user", id)
		}
		return Values{"email": u.Email, "is_superuser": checkbox(u.IsSuperuser), "is_active": checkbox(u.IsActive)}, nil
	}
	r.Save = func(ctx context.Context, tx *gorm.DB, sc Scope, id int64, v Values) (int64, any, any, *models.ValidationError, error) {
		verr := &models.ValidationError{}
		email, msg := validateEmail(v["email"])
		if msg != "" {
			verr.Add("email", "%s", msg)
		}
		if v["password"] != "" || id == 0 {
			if msg := validatePassword(v["password"]); msg != "" {
				verr.Add("password", "%s", msg)
			}
		}
		if id == sc.Actor.UserID && (v["is_superuser"] != "on" || v["is_active"] != "on") {
			verr.Add("is_superuser", "You cannot remove your own superuser or active status.")
		}
		if email != "" {
			var n int64
			if err := tx.Model(&models.User{}).Where("lower(email) = lower(?) AND id <> ?", email, id).Count(&n).Error; err != nil {
				return 0, nil, nil, nil, err
			}
			if n > 0 {
				verr.Add("email", "is already used by another account")
			}
		}
		if verr.Err() != nil {
			return 0, nil, nil, verr, nil
		}
		upd := map[string]any{"email": email, "is_superuser": v["is_superuser"] == "on", "is_active": v["is_active"] == "on", "updated_at": time.Now()}
		if v["password"] != "" {
			hash, err := HashPassword(v["password"])
			if err != nil {
				return 0, nil, nil, nil, err
			}
			upd["password_hash"] = hash
		}
		if id == 0 {
			u := models.User{Email: email, PasswordHash: upd["password_hash"].(string), IsSuperuser: upd["is_superuser"].(bool), IsActive: upd["is_active"].(bool)}
			if err := tx.Create(&u).Error; err != nil {
				return 0, nil, nil, nil, err
			}
			return u.ID, nil, userSnapshot(&u), nil, nil
		}
		var old models.User
		if err := tx.Where("id = ?", id).Take(&old).Error; err != nil {
			return 0, nil, nil, nil, notFound(err, "user", id)
		}
		if err := tx.Model(&models.User{}).Where("id = ?", id).Updates(upd).Error; err != nil {
			return 0, nil, nil, nil, err
		}
		var now models.User
		if err := tx.Where("id = ?", id).Take(&now).Error; err != nil {
			return 0, nil, nil, nil, err
		}
		after := userSnapshot(&now)
		if v["password"] != "" {
			after["password"] = "changed"
		}
		return id, userSnapshot(&old), after, nil, nil
	}
	r.Snapshot = func(ctx context.Context, tx *gorm.DB, sc Scope, id int64) (any, error) {
		return snapshotRow(ctx, tx, "users", "id", id, "")
	}
	r.Cascade = func(ctx context.Context, db *gorm.DB, ids []int64) ([]Consequence, error) {
		return countAll(db, []countQuery{
			{"event roles", "SELECT count(*) FROM event_roles WHERE user_id IN ?"},
			{"bans they added (kept, author forgotten)", "SELECT count(*) FROM moderation_rules WHERE created_by IN ?"},
		}, ids)
	}
	del := deleteAction(r)
	inner := del.Run
	del.Run = func(ctx context.Context, tx *gorm.DB, sc Scope, ids []int64) (string, func(context.Context) error, error) {
		for _, id := range ids {
			if id == sc.Actor.UserID {
				return "", nil, fmtForbidden("You cannot delete your own account.")
			}
		}
		return inner(ctx, tx, sc, ids)
	}
	r.Actions = []Action{del}
	return r
}
