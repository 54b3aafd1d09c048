package sources

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/outbound"
	"github.com/backchannel/backchannel/secrets"
	"github.com/backchannel/backchannel/store"
)

// authLog records what credentials a fake server received.
type authLog struct {
	mu    sync.Mutex
	auths []string
	keys  []string
}

func (a *authLog) server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.auths = append(a.auths, r.Header.Get("Authorization"))
		a.keys = append(a.keys, r.URL.Query().Get("api_key"))
		a.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (a *authLog) seen() (auths, keys []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.auths...), append([]string(nil), a.keys...)
}

func testClient() *http.Client {
	return guardClient(outbound.NewClient(outbound.Policy{AllowPrivate: []string{"127.0.0.1"}}))
}

func TestASourcesSecretGoesToItsOwnHostAndNowhereElseEvenAfterARedirect(t *testing.T) {
	var elsewhere authLog
	other := elsewhere.server(t, nil)
	var home authLog
	own := home.server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, other.URL+"/collect?from=own", http.StatusFound)
			return
		}
		_, _ = w.Write([]byte("[]"))
	})
	c := testClient()
	cred := credential{kind: "mastodon", host: strings.TrimPrefix(own.URL, "http://"), secret: "s3cret-token"}
	ctx := context.WithValue(context.Background(), credentialKey{}, cred)

	// To its own host, the transport attaches it.
	if _, _, err := get(ctx, c, own.URL+"/api/v1/timelines/tag/x", nil); err != nil {
		t.Fatal(err)
	}
	// The adapter's own header, redirected away: stripped on the other host.
	h := http.Header{"Authorization": {"Bearer s3cret-token"}}
	if _, _, err := get(ctx, c, own.URL+"/away", h); err != nil {
		t.Fatal(err)
	}
	// Sent straight to another host: stripped too.
	if _, _, err := get(ctx, c, other.URL+"/x", h); err != nil {
		t.Fatal(err)
	}
	auths, _ := home.seen()
	if len(auths) != 2 || auths[0] != "Bearer s3cret-token" || auths[1] != "Bearer s3cret-token" {
		t.Errorf("own host saw %q", auths)
	}
	if got, _ := elsewhere.seen(); len(got) != 2 || got[0] != "" || got[1] != "" {
		t.Errorf("another host saw %q", got)
	}
	// In a URL to another host (an API key in the query), it is refused.
	_, _, err := get(ctx, c, other.URL+"/?api_key=s3cret-token", nil)
	if !errors.Is(err, errSecretElsewhere) {
		t.Errorf("secret in another host's URL: %v", err)
	}
	if strings.Contains(err.Error(), "s3cret-token") {
		t.Errorf("the error shows the secret: %v", err)
	}
	// Without a credential, no Authorization header leaves at all.
	if _, _, err := get(context.Background(), c, other.URL+"/y", h); err != nil {
		t.Fatal(err)
	}
	if got, _ := elsewhere.seen(); got[len(got)-1] != "" {
		t.Errorf("unbound request carried %q", got[len(got)-1])
	}
}

func TestFlickrsKeyIsAttachedOnlyForFlickrsHost(t *testing.T) {
	var flickr authLog
	srv := flickr.server(t, nil)
	c := testClient()
	cred := credential{kind: "flickr", host: strings.TrimPrefix(srv.URL, "http://"), secret: "k3y"}
	ctx := context.WithValue(context.Background(), credentialKey{}, cred)
	if _, _, err := get(ctx, c, srv.URL+"/services/rest/?method=flickr.photos.search", nil); err != nil {
		t.Fatal(err)
	}
	if _, keys := flickr.seen(); len(keys) != 1 || keys[0] != "k3y" {
		t.Errorf("flickr saw api_key %q", keys)
	}
}

func TestATokenEnvThatIsNotASourceSecretIsNeverSent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var inst authLog
	srv := inst.server(t, nil)
	src := h.addSource("mastodon", "mastodon:evil", map[string]any{"instance": srv.URL, "tag": "x", "token_env": "DATABASE_URL"})
	opts := h.fastOptions("w")
	opts.Getenv = func(name string) string {
		if name == "DATABASE_URL" {
			return "postgres://backchannel:hunter2@db/backchannel"
		}
		return ""
	}
	m := NewManager(h.db.DB, h.rd.Client, h.log, opts)
	r := newRunner(m, src, "t")
	r.cfg, _ = ParseConfig(src.Config)
	if err := r.init(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.secret() != "" {
		t.Fatal("DATABASE_URL resolved as the source's token")
	}
	h.start(m)
	eventually(t, "the instance is asked", func() bool { a, _ := inst.seen(); return len(a) > 0 })
	for _, a := range func() []string { a, _ := inst.seen(); return a }() {
		if a != "" {
			t.Fatalf("the instance received Authorization %q", a)
		}
	}
}

func TestAPinnedSourceSecretIsNotSentToAnotherHost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pinned, err := secrets.ParseSourceSecrets("MASTODON_TOKEN@mastodon.social")
	if err != nil {
		t.Fatal(err)
	}
	opts := h.fastOptions("w")
	opts.SourceSecrets = &pinned
	m := NewManager(h.db.DB, h.rd.Client, h.log, opts)
	src := h.addSource("mastodon", "m", map[string]any{"instance": "https://organizer.example", "tag": "x", "token_env": "MASTODON_TOKEN"})
	r := newRunner(m, src, "t")
	r.cfg, _ = ParseConfig(src.Config)
	if err := r.init(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.secret() != "" {
		t.Error("a token pinned to mastodon.social resolved for organizer.example")
	}
}

func TestAStoredTokenIsPreferredSealedWriteOnlyAndBoundToItsHost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	keys, _ := secrets.NewKeyring([]byte("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"))
	var inst authLog
	srv := inst.server(t, nil)
	src := h.addSource("mastodon", "m", map[string]any{"instance": srv.URL, "tag": "x", "token_env": "MASTODON_TOKEN"})
	if err := SetToken(ctx, h.db.DB, keys, src.ID, "organizer-token-123", store.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	var raw struct {
		TokenCiphertext []byte
		TokenHost       string
	}
	if err := h.db.DB.Table("sources").Select("token_ciphertext, token_host").Where("id = ?", src.ID).Take(&raw).Error; err != nil {
		t.Fatal(err)
	}
	if len(raw.TokenCiphertext) == 0 || strings.Contains(string(raw.TokenCiphertext), "organizer-token-123") || raw.TokenHost != strings.TrimPrefix(srv.URL, "http://") {
		t.Fatalf("stored %q for host %q", raw.TokenCiphertext, raw.TokenHost)
	}
	var audits []models.AuditEntry
	h.db.DB.Where("object_type = 'source'").Find(&audits)
	for _, a := range audits {
		if strings.Contains(string(a.After)+string(a.Before)+a.Message, "organizer-token-123") {
			t.Errorf("the audit log holds the token: %+v", a)
		}
	}
	if len(audits) != 1 || audits[0].Action != "set-token" {
		t.Errorf("audit %+v", audits)
	}

	opts := h.fastOptions("w")
	opts.Keyring = keys
	m := NewManager(h.db.DB, h.rd.Client, h.log, opts)
	src.Config = mustLoad(t, h, src.ID).Config
	r := newRunner(m, src, "t")
	r.cfg, _ = ParseConfig(src.Config)
	if err := r.init(ctx); err != nil {
		t.Fatal(err)
	}
	if r.secret() != "organizer-token-123" || r.cred.from != "admin" {
		t.Errorf("runner uses %q from %q, want the stored token over token_env", r.secret(), r.cred.from)
	}
	st, err := StoredTokenStatus(ctx, h.db.DB, src)
	if err != nil || !st.Set || st.Stale {
		t.Errorf("status %+v %v", st, err)
	}

	// The organizer points the source at another host: the token stays home.
	moved := src
	moved.Config = []byte(`{"instance":"https://elsewhere.example","tag":"x"}`)
	r2 := newRunner(m, moved, "t")
	r2.cfg, _ = ParseConfig(moved.Config)
	if err := r2.init(ctx); err != nil {
		t.Fatal(err)
	}
	if r2.secret() != "" {
		t.Error("the stored token followed the source to another host")
	}
	if st, _ := StoredTokenStatus(ctx, h.db.DB, moved); !st.Stale {
		t.Error("status does not say the token is for another host")
	}

	// Clearing it removes it.
	if err := SetToken(ctx, h.db.DB, keys, src.ID, "", store.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := StoredTokenStatus(ctx, h.db.DB, src); st.Set {
		t.Error("token still set after clearing")
	}
	var ve *models.ValidationError
	if err := SetToken(ctx, h.db.DB, keys, src.ID, "two words", store.Actor{}); !errors.As(err, &ve) {
		t.Errorf("a token with a space: %v", err)
	}
}

func mustLoad(t *testing.T, h *harness, id int64) models.Source {
	t.Helper()
	var s models.Source
	if err := h.db.DB.Take(&s, id).Error; err != nil {
		t.Fatal(err)
	}
	return s
}
