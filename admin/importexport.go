package admin

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/eventfile"
	"github.com/backchannel/backchannel/models"
)

// maxEventFile bounds an uploaded event file.
const maxEventFile = 1 << 20

// ImportView is the import page's view model.
type ImportView struct {
	Errors  []string
	Summary []string
}

func (s *server) importForm(c *fiber.Ctx) error {
	ch := s.chrome(c, "Import an event file", Crumb{Label: "Admin", Href: "/admin/"}, Crumb{Label: "Import"})
	ch.Section = "import"
	return render(c, fiber.StatusOK, ImportPage(ch, ImportView{}))
}

// importFile applies an uploaded event file exactly as `event apply` does;
// eventfile writes the audit entries in its own transaction.
func (s *server) importFile(c *fiber.Ctx) error {
	ch := s.chrome(c, "Import an event file", Crumb{Label: "Admin", Href: "/admin/"}, Crumb{Label: "Import"})
	ch.Section = "import"
	fail := func(msgs ...string) error {
		return render(c, fiber.StatusUnprocessableEntity, ImportPage(ch, ImportView{Errors: msgs}))
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
	summary, err := s.d.EventFiles.Import(c.UserContext(), s.d.DB, fh.Filename, data, actor(c).Name)
	if err != nil {
		var es eventfile.Errors
		var ve *models.ValidationError
		switch {
		case errors.As(err, &es):
			msgs := make([]string, len(es))
			for i, e := range es {
				msgs[i] = e.Error()
			}
			return fail(msgs...)
		case errors.As(err, &ve):
			return fail(strings.Split(ve.Error(), "; ")...)
		}
		var fe *eventfile.Error
		if errors.As(err, &fe) {
			return fail(fe.Error())
		}
		return err
	}
	s.log.Info("admin: event file imported", "file", fh.Filename, "by", actor(c).Name)
	return render(c, fiber.StatusOK, ImportPage(ch, ImportView{Summary: strings.Split(summary, "\n")}))
}

// exportFile downloads the event as an event file.
func (s *server) exportFile(c *fiber.Ctx) error {
	sc, err := s.scope(c, &Resource{EventScoped: true})
	if err != nil {
		return err
	}
	data, err := s.d.EventFiles.Export(c.UserContext(), s.d.DB, sc.Event.Slug)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.yaml"`, sc.Event.Slug))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(data)
}
