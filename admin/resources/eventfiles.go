package resources

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/eventfile"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
)

// maxEventFile bounds an uploaded event file.
const maxEventFile = 1 << 20

// ImportView is the import page's view model.
type ImportView struct {
	Errors  []string
	Summary []string
}

func (p *Pages) importChrome(c *fiber.Ctx) ui.Chrome {
	return p.d.Auth.Chrome(c, ui.Page{Title: "Import an event file", Section: "import",
		Crumbs: []ui.Crumb{ui.Home, {Label: "Import"}}})
}

func (p *Pages) importForm(c *fiber.Ctx) error {
	return web.Render(c, fiber.StatusOK, ImportPage(p.importChrome(c), ImportView{}))
}

// importFile applies an uploaded event file exactly as `event apply` does,
// audited in the name of the signed-in account.
func (p *Pages) importFile(c *fiber.Ctx) error {
	fail := func(msgs ...string) error {
		return web.Render(c, fiber.StatusUnprocessableEntity, ImportPage(p.importChrome(c), ImportView{Errors: msgs}))
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return fail("Choose an event file (YAML) to upload.")
	}
	if fh.Size > maxEventFile {
		return fail(fmt.Sprintf("The file is %d bytes; at most %d.", fh.Size, maxEventFile))
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEventFile+1))
	if err != nil {
		return err
	}
	by := auth.ActorOf(c)
	res, err := eventfile.ApplyFile(c.UserContext(), p.d.Store.DB(), fh.Filename, data, by)
	if err != nil {
		var es eventfile.Errors
		var ve *models.ValidationError
		var fe *eventfile.Error
		switch {
		case errors.As(err, &es):
			msgs := make([]string, len(es))
			for i, e := range es {
				msgs[i] = e.Error()
			}
			return fail(msgs...)
		case errors.As(err, &ve):
			return fail(strings.Split(ve.Error(), "; ")...)
		case errors.As(err, &fe):
			return fail(fe.Error())
		}
		return err
	}
	p.d.Logger.Info("admin: event file imported", "file", fh.Filename, "by", by.Name)
	return web.Render(c, fiber.StatusOK, ImportPage(p.importChrome(c), ImportView{Summary: strings.Split(res.Summary(), "\n")}))
}

// exportFile downloads the event as an event file.
func (p *Pages) exportFile(c *fiber.Ctx) error {
	ev, err := p.d.Auth.Event(c)
	if err != nil {
		return err
	}
	data, err := eventfile.ExportFile(c.UserContext(), p.d.Store.DB(), ev.Slug)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.yaml"`, ev.Slug))
	return c.Send(data)
}
