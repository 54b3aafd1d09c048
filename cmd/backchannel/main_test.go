package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/jobs"
	"github.com/backchannel/backchannel/models"
)

// cli runs one command line in-process against the test's own stores.
type cli struct {
	t   *testing.T
	env map[string]string
	db  *testenv.Database
}

func newCLI(t *testing.T) *cli {
	db := testenv.NewDatabase(t)
	r := testenv.NewRedis(t)
	return &cli{t: t, db: db, env: map[string]string{
		// Production is the default; tests run as development.
		"BACKCHANNEL_ENV": "development",
		"DATABASE_URL":    db.URL,
		"REDIS_URL":       fmt.Sprintf("redis://%s/%d", r.Addrs[0], r.DB),
		"REDIS_PREFIX":    r.Namespace,
		"DATA_DIR":        t.TempDir(),
	}}
}

func (c *cli) run(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return c.env[k] }}
	code = run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func TestEveryCommandHasHelp(t *testing.T) {
	c := &cli{t: t, env: map[string]string{}}
	for _, cmd := range commands() {
		code, out, errs := c.run("", cmd.name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: backchannel "+cmd.name) {
			t.Errorf("%s --help: code %d, out %q, err %q", cmd.name, code, out, errs)
		}
	}
	if code, out, _ := c.run("", "help"); code != 0 || !strings.Contains(out, "createsuperuser") {
		t.Errorf("help: code %d, %q", code, out)
	}
}

func TestUsageErrorsExitTwoWithOneLine(t *testing.T) {
	c := &cli{t: t, env: map[string]string{}}
	cases := [][]string{
		{"frobnicate"},
		{"migrate", "sideways"},
		{"event"},
		{"event", "apply"},
		{"createsuperuser"},
		{"serve", "extra"},
		{"migrate", "--nope"},
	}
	for _, args := range cases {
		code, _, errs := c.run("", args...)
		if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || errs == "" {
			t.Errorf("%v: code %d, stderr %q", args, code, errs)
		}
	}
}

func TestConfigErrorStopsWithOneLineNamingTheVariable(t *testing.T) {
	c := &cli{t: t, env: map[string]string{"HTTP_ADDR": "nonsense", "DATA_DIR": t.TempDir()}}
	code, _, errs := c.run("", "migrate", "status")
	if code != 1 || !strings.Contains(errs, "HTTP_ADDR") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
}

func TestMigrateDownUpAndStatus(t *testing.T) {
	c := newCLI(t)
	if code, out, errs := c.run("", "migrate", "status"); code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("status: %d %q %q", code, out, errs)
	}
	if code, out, errs := c.run("", "migrate", "down"); code != 0 || !strings.Contains(out, "rolled back") {
		t.Fatalf("down: %d %q %q", code, out, errs)
	}
	if code, out, _ := c.run("", "migrate", "status"); code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("status after down: %d %q", code, out)
	}
	if code, out, errs := c.run("", "migrate", "up"); code != 0 || !strings.Contains(out, "applied 1") {
		t.Fatalf("up: %d %q %q", code, out, errs)
	}
	if code, out, _ := c.run("", "migrate", "up"); code != 0 || !strings.Contains(out, "already up to date") {
		t.Fatalf("second up: %d %q", code, out)
	}
}

const goodEvent = `slug: cli-conf
title: CLI Conf
timezone: Europe/Paris
starts_at: 2026-06-01T09:00:00+02:00
ends_at: 2026-06-02T18:00:00+02:00
sessions:
  - slug: opening
    title: Opening
    room: Main
    starts_at: 2026-06-01T09:00:00+02:00
    ends_at: 2026-06-01T10:00:00+02:00
sources:
  - kind: feed
    url: https://example.org/feed.atom
`

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEventApplyIsIdempotent(t *testing.T) {
	c := newCLI(t)
	f := writeFile(t, "conf.yaml", goodEvent)
	code, out, errs := c.run("", "event", "apply", "-f", f)
	if code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("first apply: %d %q %q", code, out, errs)
	}
	code, out, errs = c.run("", "event", "apply", "-f", f)
	if code != 0 || strings.Contains(out, "created") || strings.Contains(out, "updated 1") {
		t.Fatalf("second apply changed something: %d %q %q", code, out, errs)
	}
	code, out, _ = c.run("", "event", "export", "cli-conf")
	if code != 0 || !strings.Contains(out, "slug: cli-conf") {
		t.Fatalf("export: %d %q", code, out)
	}
}

func TestEventApplyOfABadFileNamesFileLineAndFieldAndChangesNothing(t *testing.T) {
	c := newCLI(t)
	bad := strings.Replace(goodEvent, "timezone: Europe/Paris", "timezone: Mars/Olympus", 1)
	f := writeFile(t, "bad.yaml", bad)
	code, _, errs := c.run("", "event", "apply", "-f", f)
	if code != 1 || !strings.Contains(errs, "bad.yaml:3") || !strings.Contains(errs, "timezone") {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	for _, table := range []string{"events", "sessions", "sources", "audit_log"} {
		var n int64
		if err := c.db.DB.Table(table).Count(&n).Error; err != nil || n != 0 {
			t.Errorf("%s: %d rows after a bad file (%v)", table, n, err)
		}
	}
}

// The black-box probes of outbound safety: a token_env that is not a source
// secret (the database's URL) and a feed at a metadata address are refused
// with one line naming the file, line and field.
func TestEventApplyRefusesANonSecretTokenEnvAndAMetadataFeed(t *testing.T) {
	c := newCLI(t)
	for name, tc := range map[string]struct{ source, field, want string }{
		"token_env": {"  - kind: mastodon\n    instance: https://organizer.example\n    tag: conf\n    token_env: DATABASE_URL\n",
			"sources[0].token_env", "DATABASE_URL is not a source secret"},
		"metadata feed": {"  - kind: feed\n    url: http://169.254.169.254/latest/meta-data/iam/\n",
			"sources[0].url", "cloud metadata address"},
	} {
		t.Run(name, func(t *testing.T) {
			body := goodEvent[:strings.Index(goodEvent, "  - kind: feed")] + tc.source
			f := writeFile(t, "probe.yaml", body)
			code, _, errs := c.run("", "event", "apply", "-f", f)
			if code != 1 || !strings.Contains(errs, "probe.yaml:") || !strings.Contains(errs, tc.field) || !strings.Contains(errs, tc.want) {
				t.Fatalf("code %d, stderr %q", code, errs)
			}
			if n := strings.Count(strings.TrimSpace(errs), "\n"); n != 0 {
				t.Errorf("%d lines, want one: %q", n+1, errs)
			}
		})
	}
	var n int64
	c.db.DB.Table("sources").Count(&n)
	if n != 0 {
		t.Errorf("%d sources created", n)
	}
}

func TestSourceTokenIsStoredSealedAndNeverShown(t *testing.T) {
	c := newCLI(t)
	body := goodEvent[:strings.Index(goodEvent, "  - kind: feed")] +
		"  - kind: mastodon\n    name: main\n    instance: https://mastodon.example\n    tag: conf\n    token_env: MASTODON_TOKEN\n"
	if code, _, errs := c.run("", "event", "apply", "-f", writeFile(t, "conf.yaml", body)); code != 0 {
		t.Fatalf("apply: %d %q", code, errs)
	}
	code, out, errs := c.run("tok-very-secret\n", "source", "token", "cli-conf", "main")
	if code != 0 || !strings.Contains(out, "stored for mastodon.example") || strings.Contains(out+errs, "tok-very-secret") {
		t.Fatalf("source token: %d %q %q", code, out, errs)
	}
	var row struct {
		TokenCiphertext []byte
		TokenHost       string
	}
	c.db.DB.Table("sources").Select("token_ciphertext, token_host").Take(&row)
	if len(row.TokenCiphertext) == 0 || strings.Contains(string(row.TokenCiphertext), "tok-very-secret") || row.TokenHost != "mastodon.example" {
		t.Errorf("stored %q for %q", row.TokenCiphertext, row.TokenHost)
	}
	code, out, _ = c.run("", "event", "export", "cli-conf")
	if code != 0 || strings.Contains(out, "tok-") || strings.Contains(out, "token_ciphertext") {
		t.Errorf("export shows the token: %q", out)
	}
	if code, _, errs := c.run("", "source", "token", "cli-conf", "nope"); code != 1 || !strings.Contains(errs, `there is no source "nope" in event "cli-conf"`) {
		t.Errorf("unknown source: %d %q", code, errs)
	}
	if code, out, errs := c.run("", "source", "token", "--clear", "cli-conf", "main"); code != 0 || !strings.Contains(out, "removed") {
		t.Errorf("clear: %d %q %q", code, out, errs)
	}
}

func TestCreateSuperuserReadsThePasswordFromStdin(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("correct horse battery\n", "createsuperuser", "--email", "Admin@Example.org")
	if code != 0 || !strings.Contains(out, "superuser") {
		t.Fatalf("code %d %q %q", code, out, errs)
	}
	if code, _, errs := c.run("", "createsuperuser", "--email", "a@example.org"); code != 2 || !strings.Contains(errs, "password") {
		t.Fatalf("empty stdin: code %d %q", code, errs)
	}
}

func TestDemoCreatesALiveEvent(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("", "demo")
	if code != 0 || !strings.Contains(out, "/events/demo") {
		t.Fatalf("code %d %q %q", code, out, errs)
	}
	if code, _, errs := c.run("", "demo"); code != 0 {
		t.Fatalf("second demo: %d %q", code, errs)
	}
	var ev models.Event
	if err := c.db.DB.Where("slug = 'demo'").Take(&ev).Error; err != nil {
		t.Fatal(err)
	}
	if ev.Phase(time.Now()) != "now" {
		t.Errorf("the demo event is %s, not live now", ev.Phase(time.Now()))
	}
	var sources int64
	c.db.DB.Model(&models.Source{}).Where("event_id = ? AND kind = 'replay' AND enabled", ev.ID).Count(&sources)
	if sources != 1 {
		t.Errorf("demo has %d enabled replay sources", sources)
	}
}

func TestEventApplyQueuesReassignmentWhenSessionTimesChange(t *testing.T) {
	c := newCLI(t)
	f := writeFile(t, "conf.yaml", goodEvent)
	if code, out, errs := c.run("", "event", "apply", "-f", f); code != 0 {
		t.Fatalf("apply: %d %q %q", code, out, errs)
	}
	moved := strings.Replace(goodEvent, "ends_at: 2026-06-01T10:00:00+02:00", "ends_at: 2026-06-01T10:30:00+02:00", 1)
	code, out, errs := c.run("", "event", "apply", "-f", writeFile(t, "conf.yaml", moved))
	if code != 0 || !strings.Contains(out, "re-assigned") {
		t.Fatalf("apply moved session: %d %q %q", code, out, errs)
	}
	var ev models.Event
	if err := c.db.DB.Where("slug = 'cli-conf'").Take(&ev).Error; err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: testenv.RedisAddrs()[0], DB: testenv.RedisDB})
	defer insp.Close()
	tasks, err := insp.ListPendingTasks("default")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"event_id":%d}`, ev.ID)
	found := false
	for _, task := range tasks {
		if task.Type == jobs.TypeStrainReassign && string(task.Payload) == want {
			found = true
			_ = insp.DeleteTask("default", task.ID)
		}
	}
	if !found {
		t.Fatalf("no %s task for event %d among %d pending", jobs.TypeStrainReassign, ev.ID, len(tasks))
	}
}
