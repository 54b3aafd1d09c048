package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/backchannel/backchannel/"

// rule forbids packages matching From to import packages matching To. A
// pattern "x" matches package x and everything under x/; "*" matches every
// package of the module.
type rule struct {
	From, To []string
	// Unless lists importing packages the rule does not apply to.
	Unless []string
	// Allow lists imported packages the rule does not forbid.
	Allow []string
	Why   string
}

// rules are the arrows of docs/ARCHITECTURE.md, written as what must never
// happen.
var rules = []rule{
	{From: []string{"models"}, To: []string{"*"},
		Why: "models is the bottom of the graph: row structs and domain errors, importing no package of ours"},
	{From: []string{"live"}, To: []string{"*"}, Allow: []string{"models"},
		Why: "live holds the nouns every package shares, so it imports nothing of ours but models"},
	{From: []string{"schedule"}, To: []string{"*"}, Allow: []string{"models", "live"},
		Why: "schedule is the one session assigner (nouns and rule), used at ingest, by the strainer and by re-assignment alike: it imports nothing of ours but the nouns, and reaches Postgres only through the loaders it is given"},
	{From: []string{"store"}, To: []string{"*"}, Allow: []string{"models", "live"},
		Why: "store runs queries; it knows rows (models) and items (live), never the packages that call it"},
	{From: []string{"moderation"}, To: []string{"realtime", "sources", "jobs", "archive", "admin", "app", "views", "internal/web", "eventfile"},
		Why: "moderation holds the verbs; the console, the posts path and the sources call it, never the reverse, and it appends to the live log through its own small interface"},
	{From: []string{"views"}, To: []string{"realtime", "sources", "jobs", "archive", "admin", "app", "store", "moderation", "eventfile"},
		Why: "views render typed view models; they never reach the live transport, the store or a handler package"},
	{From: []string{"realtime"}, To: []string{"views", "admin", "archive", "app", "sources", "jobs", "eventfile", "moderation"},
		Why: "realtime is the live transport: it knows no template, no CMS and no source"},
	{From: []string{"realtime"}, To: []string{"store"},
		Why: "the live path reads events and history through realtime.EventLookup and realtime.Archive, which the wiring fills from store: it never queries Postgres itself, so an outage cannot reach it unannounced"},
	{From: []string{"sources"}, To: []string{"admin", "app", "archive", "views", "jobs", "internal/web"},
		Why: "sources are libraries the worker runs; they know no page and no CMS"},
	{From: []string{"jobs"}, To: []string{"admin", "app", "views", "sources", "internal/web"},
		Why: "jobs are background tasks over the stores; they know no page and no CMS"},
	{From: []string{"archive", "realtime", "sources", "jobs", "views", "store", "moderation", "eventfile"}, To: []string{"app", "cmd"},
		Why: "app wires the parts together and cmd runs it: nothing they wire imports them"},
	{From: []string{"internal/heartbeat"}, To: []string{"*"},
		Why: "the heartbeat is started by the wiring for every role and read by the dashboard, so it imports no package of ours (the worker must never pull in the CMS for it)"},
	{From: []string{"timetable"}, To: []string{"*"},
		Why: "timetable only reads schedule files (pretalx, frab, iCalendar) into its own nouns; eventfile merges them into an event, and a fetch goes through the client it is given"},
	{From: []string{"outbound", "secrets"}, To: []string{"*"},
		Why: "outbound (the one outbound HTTP client) and secrets (SECRET_KEY's keys, the source-secret allow list) are leaves every package may use, importing no package of ours"},
	{From: []string{"linkcard"}, To: []string{"*"}, Allow: []string{"live", "models", "outbound"},
		Why: "linkcard fetches link previews through the outbound client: it knows the Card noun and nothing else of ours (the wiring appends the card)"},
	{From: []string{"internal/pgcluster"}, To: []string{"*"},
		Why: "a private Postgres cluster for tests and the chaos run is plumbing around pg_ctl: it imports no package of ours"},
	{From: []string{"internal/clientip"}, To: []string{"*"},
		Why: "the client address is one function that fiber's c.IP() (through the wiring) and realtime's fast path both call, so it imports no package of ours"},
	{From: []string{"*"}, To: []string{"admin"}, Unless: []string{"app", "cmd", "admin"},
		Why: "the admin CMS is a leaf that only the wiring mounts; shared code (the heartbeat, the verbs) lives outside it"},
	{From: []string{"admin/ui"}, To: []string{"admin", "store", "moderation", "realtime", "sources", "jobs", "eventfile", "archive", "views"},
		Why: "admin/ui is the admin's look: it knows no account, no query and no other admin part (the chrome arrives computed)"},
	{From: []string{"admin/auth"}, To: []string{"admin"}, Allow: []string{"admin/ui"},
		Why: "admin/auth is the access layer every admin part stands on, so of the admin it imports only admin/ui"},
	{From: []string{"admin/crud"}, To: []string{"admin"}, Allow: []string{"admin/ui", "admin/auth"},
		Why: "the CRUD framework is generic: it knows no resource, no console and no dashboard, and only package admin mounts it"},
	{From: []string{"admin/resources"}, To: []string{"admin"}, Allow: []string{"admin/ui", "admin/auth", "admin/crud"},
		Why: "the resources are declarations for the CRUD framework; they never reach the console, the dashboard or the mount"},
	{From: []string{"admin/console", "admin/dashboard"}, To: []string{"admin"}, Allow: []string{"admin/ui", "admin/auth"},
		Why: "the console and the dashboard stand beside the CRUD framework on auth and ui; only package admin mounts them together"},
	{From: []string{"admin/ui", "admin/auth", "admin/crud", "admin/resources", "admin/console", "admin/dashboard"}, To: []string{"realtime", "jobs"},
		Why: "the admin's parts read the live log through small interfaces of their own; only package admin adapts the live transport"},
	{From: []string{"*"}, To: []string{"internal/apitest", "internal/testenv"}, Unless: []string{"internal/apitest", "internal/testenv", "bench", "tests"},
		Why: "apitest and testenv are for tests: production code never imports them (tests may)"},
	{From: []string{"sources/fakes"}, To: []string{"*"},
		Why: "a fake upstream imports nothing of ours, so it cannot share an adapter's assumptions"},
	{From: []string{"*"}, To: []string{"sources/fakes"}, Unless: []string{"bench", "tests"},
		Why: "the fake upstreams are test infrastructure: only tests and bench/ use them"},
	{From: []string{"*"}, To: []string{"bench", "tests"}, Unless: []string{"bench", "tests"},
		Why: "load tools and browser tests are outside the product"},
}

func matches(pkg string, patterns []string) bool {
	for _, p := range patterns {
		if p == "*" || pkg == p || strings.HasPrefix(pkg, p+"/") {
			return true
		}
	}
	return false
}

// TestImportsFollowTheArrows lists every package's imports with `go list`
// and fails on each import a rule forbids, naming the rule.
func TestImportsFollowTheArrows(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		from, ok := strings.CutPrefix(fields[0], module)
		if !ok {
			continue
		}
		for _, imp := range fields[1:] {
			to, ok := strings.CutPrefix(imp, module)
			if !ok {
				continue
			}
			checked++
			for _, r := range rules {
				if matches(from, r.From) && !matches(from, r.Unless) && matches(to, r.To) && !matches(to, r.Allow) && !matches(to, []string{from}) {
					t.Errorf("%s imports %s, but %s.", from, to, r.Why)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("go list found no imports between our packages: the check would pass vacuously")
	}
}
