package auth

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// The security page (superusers): the security log, filtered by kind or
// account and paged by id, and the site setting that requires two-factor
// sign-in for every account (audited).

func (a *Auth) registerSecurity(g fiber.Router) {
	g.Get("/security", a.Guard(PermSystem, a.securityPage))
	g.Post("/security/two-factor", a.Guard(PermSystem, a.setRequireTOTP))
}

// SecurityView is what the security page shows.
type SecurityView struct {
	Kind       string
	UserID     int64
	Events     []models.SecurityEvent
	Older      int64 // the id to page from, 0 when there is no more
	RequireTFA bool
	Without    int64 // active accounts without a second factor
}

func (a *Auth) securityPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f := store.SecurityLogFilter{Kind: c.Query("kind"), Limit: 100}
	f.UserID, _ = strconv.ParseInt(c.Query("user"), 10, 64)
	f.Before, _ = strconv.ParseInt(c.Query("before"), 10, 64)
	known := false
	for _, k := range SecurityKinds {
		known = known || k == f.Kind
	}
	if !known {
		f.Kind = ""
	}
	v := SecurityView{Kind: f.Kind, UserID: f.UserID}
	var err error
	if v.Events, err = a.cfg.Store.SecurityLog(ctx, f); err != nil {
		return err
	}
	if len(v.Events) == f.Limit {
		v.Older = v.Events[len(v.Events)-1].ID
	}
	v.RequireTFA = a.totpRequired(ctx)
	if v.Without, err = a.cfg.Store.UsersWithoutTOTP(ctx); err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, SecurityPage(a.Chrome(c, ui.Page{Title: "Security", Section: "security",
		Crumbs: []ui.Crumb{ui.Home, {Label: "Security"}}}), v))
}

// setRequireTOTP turns the requirement of a second factor on or off for
// every account; accounts without one set it up at their next request.
func (a *Auth) setRequireTOTP(c *fiber.Ctx) error {
	ctx := c.UserContext()
	on := c.FormValue("require") == "on"
	before := a.totpRequired(ctx)
	value := ""
	if on {
		value = "on"
	}
	err := a.cfg.Store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SetSetting(ctx, settingRequireTOTP, value); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Change{Actor: ActorOf(c), Action: "update", ObjectType: "setting", ObjectID: settingRequireTOTP,
			Before: map[string]bool{"required": before}, After: map[string]bool{"required": on},
			Message: "two-factor sign-in " + map[bool]string{true: "required for every account", false: "optional"}[on]})
	})
	if err != nil {
		return err
	}
	a.requireMu.Lock()
	a.requireTOTP, a.requireUntil = on, a.cfg.Now().Add(settingCacheFor)
	a.requireMu.Unlock()
	a.Flash(c, "Two-factor sign-in is "+map[bool]string{true: "now required for every account.", false: "now optional."}[on])
	return ui.Redirect(c, "/admin/security")
}

// whenOr formats t, or def when it is nil.
func whenOr(t *time.Time, def string) string {
	if t == nil {
		return def
	}
	return ui.When(*t)
}

// DeviceName names a browser from its User-Agent the way people say it
// ("Firefox on Linux"); "Unknown device" when it says nothing known.
func DeviceName(ua string) string {
	browser, system := "", ""
	for _, b := range []struct{ token, name string }{{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"},
		{"Chromium/", "Chromium"}, {"HeadlessChrome/", "Headless Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
		{"curl/", "curl"}} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	for _, s := range []struct{ token, name string }{{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"},
		{"Mac OS X", "macOS"}, {"Windows", "Windows"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}} {
		if strings.Contains(ua, s.token) {
			system = s.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return system
	}
	return "Unknown device"
}
