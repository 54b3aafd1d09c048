package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/models"
)

func TestRowWritesStayInsideTheirScopeAndSayWhatIsMissing(t *testing.T) {
	st := New(testenv.NewDatabase(t).DB)
	ctx := context.Background()
	start := time.Date(2026, 5, 24, 9, 0, 0, 0, time.UTC)
	event := func(slug string) int64 {
		id, err := st.InsertRow(ctx, "events", "id", map[string]any{"slug": slug, "title": slug, "timezone": "UTC",
			"starts_at": start, "ends_at": start.Add(48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a, b := event("a"), event("b")
	sess, err := st.InsertRow(ctx, "sessions", "id", map[string]any{"event_id": a, "slug": "s", "title": "S",
		"starts_at": start, "ends_at": start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	inB := Where("event_id = ?", b)
	var nf *models.NotFoundError
	if err := st.UpdateRow(ctx, "sessions", "id", sess, inB, map[string]any{"title": "taken over"}); !errors.As(err, &nf) || nf.Message() != "There is no session "+ID(sess)+"." {
		t.Fatalf("update through another event's scope: %v; want There is no session %d.", err, sess)
	}
	if err := st.DeleteRow(ctx, "sessions", "id", sess, inB); !errors.As(err, &nf) {
		t.Fatalf("delete through another event's scope: %v; want not found", err)
	}
	if err := st.UpdateRow(ctx, "sessions", "id", sess, Where("event_id = ?", a), map[string]any{"title": "Opening"}); err != nil {
		t.Fatal(err)
	}
	snap, err := st.Snapshot(ctx, "sessions", sess, "event_id = ?", a)
	if err != nil || snap["title"] != "Opening" {
		t.Fatalf("snapshot %v, %v", snap, err)
	}
}

func TestRowWritesRefuseNamesThatAreNotPlainIdentifiers(t *testing.T) {
	st := New(testenv.NewDatabase(t).DB)
	ctx := context.Background()
	for _, bad := range []string{"users; DROP TABLE users", "users u", `"users"`, "Users", ""} {
		if _, err := st.InsertRow(ctx, bad, "id", map[string]any{"email": "x"}); err == nil {
			t.Errorf("InsertRow into %q succeeded", bad)
		}
		if _, err := st.InsertRow(ctx, "users", "id", map[string]any{bad: "x"}); err == nil {
			t.Errorf("InsertRow with column %q succeeded", bad)
		}
		if _, err := st.SnapshotBy(ctx, "users", bad, 1, ""); err == nil {
			t.Errorf("SnapshotBy key %q succeeded", bad)
		}
	}
}

func TestSnapshotsNeverHoldSecrets(t *testing.T) {
	st := New(testenv.NewDatabase(t).DB)
	ctx := context.Background()
	id, err := st.InsertRow(ctx, "users", "id", map[string]any{"email": "ana@example.org", "password_hash": "$argon2id$secret"})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := st.Snapshot(ctx, "users", id, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := snap["password_hash"]; ok || snap["email"] != "ana@example.org" {
		t.Fatalf("snapshot %v", snap)
	}
}
