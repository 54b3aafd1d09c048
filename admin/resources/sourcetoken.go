package resources

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/secrets"
	"github.com/backchannel/backchannel/sources"
)

// SourceTokens is what the token page of a source needs from the wiring:
// the keyring that seals tokens (SECRET_KEY's) and the one-request
// connection test the workers' manager makes (sources.Manager.TestConnection).
type SourceTokens struct {
	Keys *secrets.Keyring
	Test func(ctx context.Context, src models.Source) error
}

// TokenView is the token page's view model.
type TokenView struct {
	Source   models.Source
	Host     string
	Status   sources.TokenStatus
	TokenEnv string
	// Saved, Failed and Tested report what the last submission did.
	Saved  string
	Failed string
	Tested string
	// TestOK says whether Tested is a success.
	TestOK bool
}

// tokenPage shows whether a source has a stored token (never the token),
// the form that replaces or removes it, and "test connection".
func (p *Pages) tokenPage(c *fiber.Ctx) error {
	return p.renderToken(c, fiber.StatusOK, func(*TokenView) {})
}

// setToken stores the token typed (sealed, bound to the source's host,
// audited without it), or removes it with "remove".
func (p *Pages) setToken(c *fiber.Ctx) error {
	src, _, err := p.tokenSource(c)
	if err != nil {
		return err
	}
	token := c.FormValue("token")
	remove := c.FormValue("remove") != ""
	switch {
	case !remove && strings.TrimSpace(token) == "":
		return p.renderToken(c, fiber.StatusUnprocessableEntity, func(v *TokenView) { v.Failed = "Paste the token to store, or choose Remove." })
	}
	if remove {
		token = ""
	}
	err = sources.SetToken(c.UserContext(), p.d.Store.DB(), p.d.Tokens.Keys, src.ID, token, auth.ActorOf(c))
	if verr := (*models.ValidationError)(nil); errors.As(err, &verr) {
		msgs := make([]string, len(verr.Fields))
		for i, f := range verr.Fields {
			msgs[i] = "The " + f.Field + " " + f.Message + "."
		}
		return p.renderToken(c, fiber.StatusUnprocessableEntity, func(v *TokenView) { v.Failed = strings.Join(msgs, " ") })
	}
	if err != nil {
		return err
	}
	return p.renderToken(c, fiber.StatusOK, func(v *TokenView) {
		if remove {
			v.Saved = "The stored token was removed."
		} else {
			v.Saved = "The token was stored. It is never shown again; the source's runner restarts with it."
		}
	})
}

// testToken makes one request of the source with the secret its runner
// would use and says what happened.
func (p *Pages) testToken(c *fiber.Ctx) error {
	src, _, err := p.tokenSource(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 20*time.Second)
	defer cancel()
	terr := p.d.Tokens.Test(ctx, *src)
	return p.renderToken(c, fiber.StatusOK, func(v *TokenView) {
		if terr != nil {
			v.Tested = "The connection failed: " + terr.Error()
			return
		}
		v.Tested, v.TestOK = "The source answered and accepted its settings.", true
	})
}

// tokenSource loads the source of the path, within the path's event.
func (p *Pages) tokenSource(c *fiber.Ctx) (*models.Source, *models.Event, error) {
	ev, err := p.d.Auth.Event(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := ui.IDParam(c, "id", "source")
	if err != nil {
		return nil, nil, err
	}
	src, err := p.d.Store.AdminSource(c.UserContext(), id)
	if err != nil {
		return nil, nil, err
	}
	if src.EventID != ev.ID {
		return nil, nil, models.NotFound("source", id)
	}
	return src, ev, nil
}

func (p *Pages) renderToken(c *fiber.Ctx, status int, fill func(*TokenView)) error {
	src, ev, err := p.tokenSource(c)
	if err != nil {
		return err
	}
	st, err := sources.StoredTokenStatus(c.UserContext(), p.d.Store.DB(), *src)
	if err != nil {
		return err
	}
	cfg, _ := sources.ParseConfig(src.Config)
	v := TokenView{Source: *src, Host: sources.SourceHost(src.Kind, src.Config), Status: st, TokenEnv: cfg.TokenEnv}
	fill(&v)
	base := fmt.Sprintf("/admin/events/%d/sources", ev.ID)
	ch := p.d.Auth.Chrome(c, ui.Page{Title: "Token of " + src.Key, Section: "sources", EventID: ev.ID, EventTitle: ev.Title,
		Crumbs: []ui.Crumb{ui.Home, {Label: ev.Title, Href: fmt.Sprintf("/admin/events/%d", ev.ID)}, {Label: "Sources", Href: base},
			{Label: src.Key, Href: fmt.Sprintf("%s/%d", base, src.ID)}, {Label: "Token"}}})
	return web.Render(c, status, TokenPage(ch, v))
}
