package apitest_test

import (
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/apitest"
	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

// TestScenarioChecksAnswerRowsKeysAndLog runs one scenario whose handler
// leaves a row, a key and a log entry, and checks them all.
func TestScenarioChecksAnswerRowsKeysAndLog(t *testing.T) {
	db := testenv.NewDatabase(t)
	rds := testenv.NewRedis(t)
	log := realtime.NewLog(rds.Client, rds.Namespace)
	app := fiber.New()
	app.Post("/things/:slug", func(c *fiber.Ctx) error {
		ev := models.Event{Slug: c.Params("slug"), Title: "T", Timezone: "UTC", StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour),
			Posting: models.PostingOpen, Moderation: models.ModerationAfter}
		if err := db.DB.Create(&ev).Error; err != nil {
			return err
		}
		ctx := c.UserContext()
		if err := rds.Client.Do(ctx, rds.Client.B().Set().Key(rds.Namespace+"made:"+ev.Slug).Value("1").Build()).Error(); err != nil {
			return err
		}
		if _, err := log.AppendItem(ctx, 1, live.Item{ID: "room:" + ev.Slug, Source: live.SourceRoom, Kind: live.KindPost, Text: "hello " + ev.Slug}); err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"slug": ev.Slug, "n": 3})
	})
	env := &apitest.Env{App: app, DB: db.DB, Redis: rds.Client, Namespace: rds.Namespace, Log: log}
	apitest.Run(t, env, apitest.Scenario{
		Name: "creates", Method: "POST", Path: "/things/abc",
		ExpectedStatus:  fiber.StatusCreated,
		ExpectedHeaders: map[string]string{"Content-Type": "application/json"},
		ExpectedContent: []string{`"slug":"abc"`}, NotExpectedContent: []string{"error"},
		ExpectedJSON: map[string]any{"slug": "abc", "n": 3},
		ExpectedRows: []apitest.Rows{{Query: "events WHERE slug = ?", Args: []any{"abc"}, Count: 1}},
		ExpectedKeys: []string{"made:abc"}, NotExpectedKeys: []string{"made:other"},
		ExpectedLog: []apitest.Appended{{EventID: 1, Ops: []string{live.OpAdd}, Contains: []string{"hello abc"}}},
	}, apitest.Scenario{
		Name: "unknown route", Path: "/nothing", ExpectedStatus: fiber.StatusNotFound,
		ExpectedLog: []apitest.Appended{{EventID: 1}},
	})
}
