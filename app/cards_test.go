package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/live"
)

func TestARoomPostWithALinkGetsItsCardAsAnUpdate(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<head><meta property="og:title" content="Our slides"><meta property="og:image" content="/cover.png"></head>`)
	}))
	defer site.Close()
	host := strings.TrimPrefix(site.URL, "http://")
	cfg, err := LoadConfig(envMap(map[string]string{"BACKCHANNEL_ENV": "development", "DATA_DIR": t.TempDir(),
		"OUTBOUND_ALLOW_PRIVATE": host}))
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.NewDatabase(t)
	r := testenv.NewRedis(t)
	a := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), db.DB, r.Client, r.Namespace)
	w, err := a.NewWeb()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ev := seedEvent(t, a, "cards", now.Add(-time.Hour), now.Add(time.Hour))
	req := httptest.NewRequest(http.MethodPost, "/api/events/cards/posts",
		strings.NewReader(`{"name": "Ana", "text": "slides at `+site.URL+`/slides."}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.Fiber.Test(req, 10_000)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("post: %v %v", resp.StatusCode, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		es, err := w.Log.Range(context.Background(), ev.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Op == live.OpUpdate && e.Target == 1 && e.Item != nil && e.Item.Card != nil {
				if c := e.Item.Card; c.Title != "Our slides" || c.ImageURL != site.URL+"/cover.png" || e.Item.Author.Name != "Ana" {
					t.Fatalf("card update: %+v", e.Item)
				}
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no card update in the live log")
}
