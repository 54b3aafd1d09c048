package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/outbound"
	"github.com/backchannel/backchannel/secrets"
	"github.com/backchannel/backchannel/sources"
	"github.com/backchannel/backchannel/sources/fakes"
)

// An organizer enters a Mastodon token in the admin: it is stored sealed,
// never shown again, audited without itself, used by "test connection",
// and removable. The instance is the fake built from Mastodon's own
// behaviour (a timeline that needs a user token, 401 without one).
func TestASourceTokenIsWriteOnlyAuditedAndTestedAgainstTheInstance(t *testing.T) {
	const token = "mst-9f2c81d0a4-user-token"
	inst := fakes.NewMastodon(fakes.MastodonOptions{Tag: "gophercon", Token: token, TimelineRequiresToken: true})
	srv := httptest.NewServer(inst)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	keys, err := secrets.NewKeyring([]byte("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(d *Deps) {
		d.SourceKeys = keys
		mgr := sources.NewManager(d.DB, d.Redis, nil, sources.ManagerOptions{Namespace: d.Namespace, Keyring: keys,
			HTTPClient: outbound.NewClient(outbound.Policy{AllowPrivate: []string{u.Host}})})
		d.TestSource = mgr.TestConnection
	})
	cfg, _ := json.Marshal(map[string]string{"instance": srv.URL, "tag": "gophercon"})
	src := models.Source{EventID: e.evA.ID, Kind: "mastodon", Key: "mastodon:main", Config: cfg, Enabled: true}
	if err := e.db.Create(&src).Error; err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.login(e.super.Email)
	page := "/admin/events/" + id(e.evA.ID) + "/sources/" + id(src.ID) + "/token"

	_, form := c.get("/admin/events/" + id(e.evA.ID) + "/sources/" + id(src.ID))
	if !strings.Contains(form, `href="`+page+`"`) {
		t.Fatal("the source's form does not link its token page")
	}
	_, body := c.post(page+"/test", nil)
	if !strings.Contains(body, "The connection failed") || !strings.Contains(body, "401") {
		t.Fatalf("test without a token: %s", testid(body, "token-test"))
	}

	resp, body := c.post(page, url.Values{"token": {"two words"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "one word") {
		t.Fatalf("a token with a space: %d %s", resp.StatusCode, testid(body, "token-error"))
	}
	resp, body = c.post(page, url.Values{"token": {token}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "The token was stored") {
		t.Fatalf("store: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, token) {
		t.Fatal("the page shows the token it stored")
	}
	if st := testid(body, "token-status"); !strings.Contains(st, "for "+u.Hostname()) {
		t.Errorf("status %q: want the host it is bound to", st)
	}
	var row struct{ TokenCiphertext []byte }
	e.db.Table("sources").Select("token_ciphertext").Where("id = ?", src.ID).Take(&row)
	if len(row.TokenCiphertext) == 0 || strings.Contains(string(row.TokenCiphertext), token) {
		t.Fatalf("stored %q: want it sealed", row.TokenCiphertext)
	}
	if n := e.auditCount("set-token", "source", id(src.ID)); n != 1 {
		t.Errorf("%d set-token audit rows", n)
	}
	var audit []string
	if err := e.db.Model(&models.AuditEntry{}).Where("object_type = 'source'").
		Pluck("concat_ws(' ', before::text, after::text, message)", &audit).Error; err != nil || len(audit) == 0 {
		t.Fatalf("audit rows %v: %v", audit, err)
	}
	for _, a := range audit {
		if strings.Contains(a, token) {
			t.Fatal("the audit log holds the token")
		}
	}

	_, body = c.post(page+"/test", nil)
	if !strings.Contains(body, "answered and accepted") {
		t.Fatalf("test with the stored token: %s", testid(body, "token-test"))
	}

	_, body = c.post(page, url.Values{"remove": {"1"}})
	if !strings.Contains(body, "removed") || !strings.Contains(testid(body, "token-status"), "none") {
		t.Fatalf("remove: %s", testid(body, "token-status"))
	}
	if n := e.auditCount("clear-token", "source", id(src.ID)); n != 1 {
		t.Errorf("%d clear-token audit rows", n)
	}

	// Another event's source is not reachable through this event's path.
	other := "/admin/events/" + id(e.evB.ID) + "/sources/" + id(src.ID) + "/token"
	if resp, _ := c.get(other); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a source through another event's path: %d", resp.StatusCode)
	}
}

// testid returns the element marked data-testid=name (and what follows),
// for failure messages and checks.
func testid(body, name string) string {
	i := strings.Index(body, `data-testid="`+name+`"`)
	if i < 0 {
		return "(no " + name + ")"
	}
	end := min(len(body), i+400)
	return body[i:end]
}
