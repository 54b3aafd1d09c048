package admin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/internal/apitest"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// api is the env as apitest's scenarios see it.
func (e *env) api() *apitest.Env {
	return &apitest.Env{App: e.app, DB: e.db, Redis: e.rdb.Client, Namespace: e.rdb.Namespace, Log: e.log}
}

// headers are the client's cookies and address for a scenario's request
// (a form body when form is set).
func (c *client) headers(form bool) map[string]string {
	h := map[string]string{"X-Forwarded-For": c.ip}
	var parts []string
	for k, v := range c.cookies {
		parts = append(parts, k+"="+v)
	}
	if len(parts) > 0 {
		h["Cookie"] = strings.Join(parts, "; ")
	}
	if form {
		h["Content-Type"] = "application/x-www-form-urlencoded"
	}
	return h
}

// The console's item verbs as the HTTP contract sees them: status, the row
// and its audit entry in Postgres, and the op in the live log; refused
// requests leave all three untouched.
func TestTheConsoleVerbsScenarios(t *testing.T) {
	e := newEnv(t)
	seq := e.item(e.evA, "1", "ana", "a first-class talk", models.ReviewApproved)
	other := e.item(e.evB, "2", "bob", "elsewhere", models.ReviewApproved)
	c := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID)
	csrf := url.Values{"_csrf": {c.token()}}.Encode()
	post := func(name, path string, status int, rows []apitest.Rows, ops []string, contains ...string) apitest.Scenario {
		return apitest.Scenario{Name: name, Method: http.MethodPost, Path: path, Headers: c.headers(true), Body: csrf,
			ExpectedStatus: status, ExpectedRows: rows,
			ExpectedLog: []apitest.Appended{{EventID: e.evA.ID, Ops: ops, Contains: contains}, {EventID: e.evB.ID}}}
	}
	item := base + "/items/" + id(seq)
	hidden := func(n int64) apitest.Rows {
		return apitest.Rows{Query: "items WHERE event_id = ? AND seq = ? AND hidden", Args: []any{e.evA.ID, seq}, Count: n}
	}
	audited := func(action string, n int64) apitest.Rows {
		return apitest.Rows{Query: "audit_log WHERE action = ? AND object_type = 'item' AND object_id = ?", Args: []any{action, id(seq)}, Count: n}
	}
	apitest.Run(t, e.api(),
		post("hide", item+"/hide", http.StatusSeeOther, []apitest.Rows{hidden(1), audited("hide", 1)}, []string{live.OpHide}),
		post("hide again changes nothing", item+"/hide", http.StatusSeeOther, []apitest.Rows{hidden(1), audited("hide", 1)}, nil),
		post("unhide", item+"/unhide", http.StatusSeeOther, []apitest.Rows{hidden(0), audited("unhide", 1)}, []string{live.OpUnhide}),
		post("pin carries the item", item+"/pin", http.StatusSeeOther, []apitest.Rows{audited("pin", 1)}, []string{live.OpPin}, `"pinned":true`, `"mastodon:1"`),
		post("unpin", item+"/unpin", http.StatusSeeOther, []apitest.Rows{audited("unpin", 1)}, []string{live.OpUnpin}),
		apitest.Scenario{Name: "spotlight on one room's walls", Method: http.MethodPost, Path: item + "/spotlight", Headers: c.headers(true),
			Body: csrf + "&seconds=15&room=room-b", ExpectedStatus: http.StatusSeeOther,
			ExpectedLog: []apitest.Appended{{EventID: e.evA.ID, Ops: []string{live.OpSpotlight}, Contains: []string{`"room":"room-b"`, `"seconds":15`}}}},
		post("an item that is not there", base+"/items/99999/hide", http.StatusNotFound, nil, nil),
		post("another event's item", "/admin/events/"+id(e.evB.ID)+"/items/"+id(other)+"/hide", http.StatusForbidden,
			[]apitest.Rows{{Query: "items WHERE event_id = ? AND hidden", Args: []any{e.evB.ID}, Count: 0}}, nil),
		apitest.Scenario{Name: "without the CSRF token", Method: http.MethodPost, Path: item + "/hide", Headers: c.headers(true),
			ExpectedStatus: http.StatusForbidden, ExpectedRows: []apitest.Rows{hidden(0)},
			ExpectedLog: []apitest.Appended{{EventID: e.evA.ID}}},
	)
}

// The same missing thing reads the same sentence everywhere (internal/web's
// one mapping), here in the admin's chrome.
func TestMissingThingsReadTheSameAsEverywhere(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login(e.super.Email)
	ev := "/admin/events/" + id(e.evA.ID)
	var scenarios []apitest.Scenario
	for path, want := range map[string]string{
		"/admin/no-such-page":                        "There is no such page.",
		"/admin/events/99999":                        "There is no event 99999.",
		"/admin/events/99999/moderate":               "There is no event 99999.",
		ev + "/sessions/99999":                       "There is no session 99999.",
		ev + "/roles/99999":                          "There is no role of account 99999.",
		"/admin/users/99999":                         "There is no user 99999.",
		"/admin/audit/99999":                         "There is no audit entry 99999.",
		ev + "/sessions/abc":                         "There is no such session.",
		"/admin/events/" + id(e.evB.ID) + "/audit/1": "There is no audit entry 1.",
	} {
		scenarios = append(scenarios, apitest.Scenario{Name: path, Path: path, Headers: c.headers(false),
			ExpectedStatus: http.StatusNotFound, ExpectedContent: []string{`data-testid="error-message">` + want + "<"}})
	}
	apitest.Run(t, e.api(), scenarios...)
}
