package apitest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/rueidis"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
)

// LiveLog is the part of the live log (a *realtime.Log) a scenario reads to
// check what its request appended.
type LiveLog interface {
	Head(ctx context.Context, eventID int64) (epoch string, head int64, err error)
	Range(ctx context.Context, eventID int64, after int64, limit int) ([]live.Entry, error)
}

// Env is what the scenarios run against. App is required; DB, Redis and Log
// only for the scenarios that check rows, keys or log entries.
type Env struct {
	App *fiber.App
	DB  *gorm.DB
	// Redis and Namespace locate the keys ExpectedKeys names (relative to
	// the namespace).
	Redis     rueidis.Client
	Namespace string
	Log       LiveLog
}

// Scenario is one request and everything it must answer and leave behind.
type Scenario struct {
	Name    string
	Method  string // default GET
	Path    string
	Headers map[string]string
	Body    string
	// Timeout bounds the request (default 10 s; long polls need their wait).
	Timeout time.Duration
	// Before runs just before the request (seed rows, append entries).
	Before func(t testing.TB, env *Env)

	ExpectedStatus int
	// ExpectedHeaders must be present with exactly these values ("" means
	// present with any value).
	ExpectedHeaders map[string]string
	// ExpectedContent are fragments the body must contain;
	// NotExpectedContent fragments it must not.
	ExpectedContent    []string
	NotExpectedContent []string
	// ExpectedJSON are top-level members of a JSON body and their values,
	// compared as JSON (so 3 and 3.0 agree).
	ExpectedJSON map[string]any

	// ExpectedRows are counts of Postgres rows after the request.
	ExpectedRows []Rows
	// ExpectedKeys must exist in Redis after the request, NotExpectedKeys
	// must not (both relative to Env.Namespace).
	ExpectedKeys    []string
	NotExpectedKeys []string
	// ExpectedLog says what the request appended to live logs.
	ExpectedLog []Appended

	// After runs last, for checks no field above expresses.
	After func(t testing.TB, env *Env, res *Response)
}

// Rows is a count of rows a query must find: Query is the part after
// "SELECT count(*) FROM ", e.g. "items WHERE event_id = ? AND hidden".
type Rows struct {
	Query string
	Args  []any
	Count int64
}

// Appended is what one request appended to one event's live log.
type Appended struct {
	EventID int64
	// Ops are the appended entries' ops, in order; their number is the
	// number of entries the request must have appended (none for empty).
	Ops []string
	// Contains are fragments the appended entries' JSON must hold.
	Contains []string
}

// Response is the answer as the client saw it.
type Response struct {
	Status int
	Header http.Header
	Body   string
	// JSON is the body decoded when it is a JSON object, else nil.
	JSON map[string]any
}

// Run executes the scenarios in order, each as a subtest of t.
func Run(t *testing.T, env *Env, scenarios ...Scenario) {
	t.Helper()
	for _, s := range scenarios {
		t.Run(s.Name, func(t *testing.T) { s.run(t, env) })
	}
}

// Do sends one request to env.App and returns the answer (the runner's own
// step, for tests that need a request outside a scenario).
func Do(t testing.TB, env *Env, method, path string, headers map[string]string, body string, timeout time.Duration) *Response {
	t.Helper()
	if method == "" {
		method = http.MethodGet
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	req, err := http.NewRequest(method, path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := env.App.Test(req, int(timeout/time.Millisecond))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	r := &Response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
	_ = json.Unmarshal(b, &r.JSON) // not every answer is JSON
	return r
}

func (s Scenario) run(t *testing.T, env *Env) {
	t.Helper()
	ctx := context.Background()
	if s.Before != nil {
		s.Before(t, env)
	}
	heads := make([]int64, len(s.ExpectedLog))
	for i, a := range s.ExpectedLog {
		heads[i] = logHead(t, env, ctx, a.EventID)
	}
	res := Do(t, env, s.Method, s.Path, s.Headers, s.Body, s.Timeout)
	desc := strings.TrimSpace(s.Method + " " + s.Path)
	if s.ExpectedStatus != 0 && res.Status != s.ExpectedStatus {
		t.Fatalf("%s: status %d, want %d; body: %s", desc, res.Status, s.ExpectedStatus, clip(res.Body))
	}
	for k, want := range s.ExpectedHeaders {
		got, ok := res.Header[http.CanonicalHeaderKey(k)]
		switch {
		case !ok:
			t.Errorf("%s: header %s missing", desc, k)
		case want != "" && strings.Join(got, ", ") != want:
			t.Errorf("%s: header %s = %q, want %q", desc, k, strings.Join(got, ", "), want)
		}
	}
	for _, frag := range s.ExpectedContent {
		if !strings.Contains(res.Body, frag) {
			t.Errorf("%s: body lacks %q; body: %s", desc, frag, clip(res.Body))
		}
	}
	for _, frag := range s.NotExpectedContent {
		if strings.Contains(res.Body, frag) {
			t.Errorf("%s: body holds %q, which it must not; body: %s", desc, frag, clip(res.Body))
		}
	}
	for k, want := range s.ExpectedJSON {
		if res.JSON == nil {
			t.Errorf("%s: body is not a JSON object: %s", desc, clip(res.Body))
			break
		}
		got, ok := res.JSON[k]
		if !ok {
			t.Errorf("%s: JSON member %q missing; body: %s", desc, k, clip(res.Body))
			continue
		}
		if !sameJSON(got, want) {
			t.Errorf("%s: JSON %q = %v, want %v", desc, k, got, want)
		}
	}
	for _, r := range s.ExpectedRows {
		var n int64
		if err := env.DB.WithContext(ctx).Raw("SELECT count(*) FROM "+r.Query, r.Args...).Scan(&n).Error; err != nil {
			t.Fatalf("%s: count %s: %v", desc, r.Query, err)
		}
		if n != r.Count {
			t.Errorf("%s: %d rows of %s, want %d", desc, n, r.Query, r.Count)
		}
	}
	for _, k := range s.ExpectedKeys {
		if !keyExists(t, env, ctx, k) {
			t.Errorf("%s: Redis key %s missing", desc, k)
		}
	}
	for _, k := range s.NotExpectedKeys {
		if keyExists(t, env, ctx, k) {
			t.Errorf("%s: Redis key %s exists, which it must not", desc, k)
		}
	}
	for i, a := range s.ExpectedLog {
		s.checkLog(t, env, ctx, desc, a, heads[i])
	}
	if s.After != nil {
		s.After(t, env, res)
	}
}

func (s Scenario) checkLog(t *testing.T, env *Env, ctx context.Context, desc string, a Appended, before int64) {
	t.Helper()
	entries, err := env.Log.Range(ctx, a.EventID, before, len(a.Ops)+10)
	if err != nil {
		t.Fatalf("%s: read live log of event %d: %v", desc, a.EventID, err)
	}
	ops := make([]string, len(entries))
	for i, e := range entries {
		ops[i] = e.Op
	}
	if !reflect.DeepEqual(ops, append([]string{}, a.Ops...)) && !(len(ops) == 0 && len(a.Ops) == 0) {
		t.Errorf("%s: appended %v to the live log of event %d, want %v", desc, ops, a.EventID, a.Ops)
	}
	raw, _ := json.Marshal(entries)
	for _, frag := range a.Contains {
		if !strings.Contains(string(raw), frag) {
			t.Errorf("%s: appended entries lack %q: %s", desc, frag, clip(string(raw)))
		}
	}
}

func logHead(t *testing.T, env *Env, ctx context.Context, eventID int64) int64 {
	t.Helper()
	if env.Log == nil {
		t.Fatal("apitest: ExpectedLog needs Env.Log")
	}
	_, head, err := env.Log.Head(ctx, eventID)
	if err != nil {
		t.Fatalf("apitest: head of event %d: %v", eventID, err)
	}
	return head
}

func keyExists(t *testing.T, env *Env, ctx context.Context, key string) bool {
	t.Helper()
	if env.Redis == nil {
		t.Fatal("apitest: ExpectedKeys needs Env.Redis")
	}
	n, err := env.Redis.Do(ctx, env.Redis.B().Exists().Key(env.Namespace+key).Build()).AsInt64()
	if err != nil {
		t.Fatalf("apitest: EXISTS %s: %v", key, err)
	}
	return n == 1
}

// sameJSON compares a decoded JSON value with an expected Go value by their
// JSON encodings.
func sameJSON(got, want any) bool {
	b, err := json.Marshal(want)
	if err != nil {
		return false
	}
	var w any
	if json.Unmarshal(b, &w) != nil {
		return false
	}
	return reflect.DeepEqual(got, w)
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
