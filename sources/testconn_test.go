package sources

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/models"
)

func TestTestConnectionSaysInOneSentenceWhatIsWrong(t *testing.T) {
	h := newHarness(t)
	var inst authLog
	srv := inst.server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "Bearer good":
			_, _ = w.Write([]byte("[]"))
		case "":
			http.Error(w, `{"error":"This method requires an authenticated user"}`, http.StatusUnauthorized)
		default:
			http.Error(w, `{"error":"The access token is invalid"}`, http.StatusUnauthorized)
		}
	})
	mastodon := func(tokenEnv string) models.Source {
		cfg, _ := json.Marshal(map[string]string{"instance": srv.URL, "tag": "x", "token_env": tokenEnv})
		return models.Source{ID: 1, EventID: h.eventID, Kind: "mastodon", Config: cfg}
	}
	withToken := func(tok string) *Manager {
		o := h.fastOptions("w")
		o.Getenv = func(string) string { return tok }
		return NewManager(h.db.DB, h.rd.Client, nil, o)
	}
	ctx := context.Background()
	if err := withToken("good").TestConnection(ctx, mastodon("MASTODON_TOKEN")); err != nil {
		t.Errorf("good token: %v", err)
	}
	if err := withToken("bad").TestConnection(ctx, mastodon("MASTODON_TOKEN")); err == nil || err.Error() != "the instance refused the token (it answered 401)" {
		t.Errorf("bad token: %v", err)
	}
	if err := withToken("good").TestConnection(ctx, mastodon("DATABASE_URL")); err == nil || !strings.Contains(err.Error(), "has none") {
		t.Errorf("token_env not a source secret: %v", err)
	}
	strict := h.fastOptions("w")
	strict.HTTPClient = nil // the default: the outbound client, no private host allowed
	err := NewManager(h.db.DB, h.rd.Client, nil, strict).TestConnection(ctx, mastodon("MASTODON_TOKEN"))
	if err == nil || !strings.Contains(err.Error(), "loopback") || strings.Contains(err.Error(), "good") {
		t.Errorf("loopback instance: %v", err)
	}
	feed := models.Source{Kind: "feed", Config: []byte(`{"url":"` + srv.URL + `/feed"}`)}
	if err := withToken("").TestConnection(ctx, feed); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("feed: %v", err)
	}
}
