package eventfile

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

func TestExportedFileAppliesAsANoOp(t *testing.T) {
	for _, name := range []string{"aea-boston.yaml", "full.yaml", "minimal.yaml"} {
		t.Run(name, func(t *testing.T) {
			db := testenv.NewDatabase(t).DB
			res := mustApply(t, db, name, readTestdata(t, name))
			out, err := ExportFile(context.Background(), db, res.Slug)
			if err != nil {
				t.Fatal(err)
			}
			before := rowCounts(t, db)
			again, err := ApplyFile(context.Background(), db, "exported.yaml", out, store.Actor{Name: "cli:test"})
			if err != nil {
				t.Fatalf("apply exported file: %v\n%s", err, out)
			}
			if again.Changed() {
				t.Errorf("exported file changed things:\n%s\n%s", again.Summary(), out)
			}
			if after := rowCounts(t, db); !equalCounts(before, after) {
				t.Errorf("rows %v → %v", before, after)
			}
			// Exporting again gives the same bytes.
			out2, err := ExportFile(context.Background(), db, res.Slug)
			if err != nil || string(out2) != string(out) {
				t.Errorf("second export differs (%v):\n%s\n---\n%s", err, out, out2)
			}
		})
	}
}

func TestExportWritesFieldsInFileOrderWithLocalTimes(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	mustApply(t, db, "full.yaml", readTestdata(t, "full.yaml"))
	out, err := ExportFile(context.Background(), db, "full-conf")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		"slug: full-conf\ntitle: Full Conference\ndescription: |-\n  Two days of talks.\n  Bring a laptop.\nhashtag: '#fullconf'\ntimezone: Europe/Paris\nstarts_at: 2026-06-01T08:00:00+02:00\n",
		"  - slug: party\n    title: 'Party: 2026'\n    starts_at: 2026-06-01T19:00:00+02:00\n",
		"  - kind: mastodon\n    name: mastodon-main\n    instance: https://mastodon.social\n    tag: fullconf\n    token_env: MASTODON_TOKEN\n",
		"  - kind: feed\n    url: https://example.org/feed.atom?lang=en\n    every: 5m\n    enabled: false\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("export lacks\n%s\nin\n%s", want, s)
		}
	}
}

func TestExportOfAnUnknownEventIsNotFound(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	if _, err := ExportFile(context.Background(), db, "nope"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}
