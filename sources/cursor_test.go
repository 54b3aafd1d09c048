package sources

import (
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/models"
)

func TestCursorIsSavedOnlyPastItemsAppendedCursorDelayAgo(t *testing.T) {
	rd := testenv.NewRedis(t)
	ctx := context.Background()
	m := NewManager(nil, rd.Client, nil, ManagerOptions{Namespace: rd.Namespace, CursorDelay: time.Hour})
	if ok, err := acquireLease(ctx, rd.Client, m.k.lease(7), "token", time.Minute); err != nil || !ok {
		t.Fatalf("take the lease: %v %v", ok, err)
	}
	r := newRunner(m, models.Source{ID: 7, EventID: 1}, "token")
	saved := func() string {
		s, err := rd.Client.Do(ctx, rd.Client.B().Hget().Key(m.k.cursor(7)).Field("cursor").Build()).ToString()
		if err != nil && !rueidis.IsRedisNil(err) {
			t.Fatal(err)
		}
		return s
	}
	r.checkpoint("41")
	r.checkpoint("42")
	if err := r.flushCursor(ctx); err != nil {
		t.Fatal(err)
	}
	if got := saved(); got != "" {
		t.Errorf("cursor %q saved right after its items were appended", got)
	}
	if r.savedCursor() != "42" {
		t.Errorf("the runner itself must continue from 42, got %q", r.savedCursor())
	}
	m.opts.CursorDelay = 0
	if err := r.flushCursor(ctx); err != nil {
		t.Fatal(err)
	}
	if got := saved(); got != "42" {
		t.Errorf("cursor %q, want 42 once the delay passed", got)
	}
}
