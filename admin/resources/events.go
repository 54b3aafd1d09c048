package resources

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/crud"
	"github.com/backchannel/backchannel/eventfile"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Events declares the events: superusers create and delete them,
// organizers edit their own, and every account lists those it works on.
func Events() *crud.Resource {
	r := &crud.Resource{
		Key: "events", Singular: "event", Plural: "Events", ObjectType: "event",
		Table: "events", Kind: crud.Events, UpdatedAt: true, Title: "t.title || ' (' || t.slug || ')'",
		Columns: []crud.Column{
			{Key: "title", Label: "Title", SQL: "t.title", Sortable: true, Link: true},
			{Key: "slug", Label: "Slug", SQL: "t.slug", Sortable: true},
			{Key: "starts", Label: "Starts", SQL: "to_char(t.starts_at AT TIME ZONE t.timezone, 'YYYY-MM-DD HH24:MI')", Sortable: true},
			{Key: "timezone", Label: "Time zone", SQL: "t.timezone"},
			{Key: "posting", Label: "Posting", SQL: "t.posting", Sortable: true},
			{Key: "moderation", Label: "Moderation", SQL: "t.moderation"},
			{Key: "qa", Label: "Questions", SQL: "t.qa"},
			{Key: "sources", Label: "Sources", SQL: "(SELECT count(*) FROM sources x WHERE x.event_id = t.id)"},
			{Key: "pending", Label: "Held", SQL: "(SELECT count(*) FROM items i WHERE i.event_id = t.id AND i.review = 'pending')"},
		},
		Filters: []crud.Filter{
			{Key: "posting", Label: "posting", SQL: "t.posting", Choices: crud.Choices("open", "moderated", "closed")},
			{Key: "moderation", Label: "moderation", SQL: "t.moderation", Choices: crud.Choices("after", "before")},
			{Key: "phase", Label: "phase", SQL: "CASE WHEN now() < t.starts_at THEN 'upcoming' WHEN now() < t.ends_at THEN 'now' ELSE 'past' END",
				Choices: crud.Choices("now", "upcoming", "past")},
		},
		Search:      []string{"t.title", "t.slug", "t.hashtag"},
		DefaultSort: "-starts",
		ViewPerm:    auth.PermAccess, EditPerm: auth.PermEventManage, CreatePerm: auth.PermSystem, DeletePerm: auth.PermSystem,
		Fields: []crud.Field{
			{Name: "slug", Label: "Slug", Type: "text", Required: true, Help: "Used in URLs: a-z, 0-9 and hyphens, e.g. aea-boston-2026."},
			{Name: "title", Label: "Title", Type: "text", Required: true},
			{Name: "description", Label: "Description", Type: "textarea"},
			{Name: "hashtag", Label: "Hashtag", Type: "text", Help: "One word, like #aeaboston."},
			{Name: "timezone", Label: "Time zone", Type: "text", Required: true, Help: "An IANA name such as America/New_York or UTC; the times below are in it."},
			{Name: "starts_at", Label: "Starts at", Type: "datetime", Required: true},
			{Name: "ends_at", Label: "Ends at", Type: "datetime", Required: true},
			{Name: "posting", Label: "Attendee posts", Type: "select", Choices: []crud.Choice{
				{Value: "open", Label: "open: shown at once"}, {Value: "moderated", Label: "moderated: held for approval"}, {Value: "closed", Label: "closed"}}},
			{Name: "moderation", Label: "Source items", Type: "select", Choices: []crud.Choice{
				{Value: "after", Label: "after: shown at once, hidden later if need be"}, {Value: "before", Label: "before: held until approved"}}},
			{Name: "qa", Label: "Audience questions", Type: "select", Choices: []crud.Choice{
				{Value: "open", Label: "open: shown at once"}, {Value: "moderated", Label: "moderated: held until approved"}, {Value: "closed", Label: "closed"}}},
			{Name: "blocklist", Label: "Default blocklist", Type: "checkbox", Help: "Hold posts with slurs or spam phrases of the maintained public list (several languages) for review."},
			{Name: "report_threshold", Label: "Reports that hold a post", Type: "text", Help: "How many attendees' reports hold a post for review (0: reports never hold)."},
			{Name: "sensitive_media", Label: "Sensitive media", Type: "select", Choices: []crud.Choice{
				{Value: models.SensitiveBlur, Label: "blur (the live page reveals on a click; the wall never)"}, {Value: models.SensitiveHold, Label: "hold for review"}}},
			{Name: "filter_replies", Label: "Drop replies", Type: "checkbox"},
			{Name: "filter_reposts", Label: "Drop boosts and reposts", Type: "checkbox"},
			{Name: "filter_bots", Label: "Drop posts of bot accounts", Type: "checkbox"},
			{Name: "filter_sensitive", Label: "Drop posts marked sensitive", Type: "checkbox"},
			{Name: "filter_languages", Label: "Only these languages", Type: "text", Help: "ISO 639-1 codes separated by commas, like en, de (empty: all; a post of unknown language is kept)."},
			{Name: "wall_layout", Label: "Wall layout", Type: "select", Choices: []crud.Choice{
				{Value: models.WallColumns, Label: "columns"}, {Value: models.WallMasonry, Label: "masonry"}}},
			{Name: "wall_content", Label: "Wall shows", Type: "select", Choices: []crud.Choice{
				{Value: models.WallMixed, Label: "posts and photos"}, {Value: models.WallPhotos, Label: "photos and videos only"}, {Value: models.WallText, Label: "text only"}}},
			{Name: "wall_theme", Label: "Wall theme", Type: "select", Choices: []crud.Choice{
				{Value: models.ThemeDark, Label: "dark"}, {Value: models.ThemeLight, Label: "light"}}},
			{Name: "wall_speed", Label: "Wall speed", Type: "text", Help: "At most one new post every this many seconds (0 to 60; 0 shows each at once)."},
			{Name: "wall_logo_url", Label: "Wall logo", Type: "text", Help: "An https URL of the logo image."},
			{Name: "wall_accent", Label: "Wall accent colour", Type: "text", Help: "Like #ff9152 (empty: the default)."},
			{Name: "embed_origins", Label: "Sites that may embed", Type: "textarea", Help: "One origin per line, like https://conference.example.org: their pages may frame the wall, the live page and the overlay (the event's Embed page has the snippet). Empty: no site may."},
		},
		Where: func(sc crud.Scope) (string, []any) {
			if sc.P.User.IsSuperuser {
				return "", nil
			}
			return "t.id IN ?", []any{append(sc.P.EventIDs(), 0)}
		},
		Cascade: []store.AdminCountQuery{
			{Label: "sessions", SQL: "SELECT count(*) FROM sessions WHERE event_id IN ?"},
			{Label: "sources", SQL: "SELECT count(*) FROM sources WHERE event_id IN ?"},
			{Label: "items", SQL: "SELECT count(*) FROM items WHERE event_id IN ?"},
			{Label: "moderation rules", SQL: "SELECT count(*) FROM moderation_rules WHERE event_id IN ?"},
			{Label: "organizer and moderator roles", SQL: "SELECT count(*) FROM event_roles WHERE event_id IN ?"},
		},
		Clean: cleanEvent,
	}
	// A moderator cannot edit the event: its row opens their console.
	r.Link = func(sc crud.Scope, id int64) string {
		if !sc.P.Can(auth.PermEventManage, id) {
			return r.ObjectURL(0, id) + "/moderate"
		}
		return r.ObjectURL(0, id)
	}
	return r
}

// cleanEvent validates an event's form as an event file's event
// (eventfile.ValidateEvent), its times read in its own time zone.
func cleanEvent(ctx context.Context, st *store.Store, _ crud.Scope, id int64, v crud.Values) (crud.Columns, *models.ValidationError, error) {
	ev := models.Event{Slug: v["slug"], Title: v["title"], Description: v["description"], Hashtag: v["hashtag"],
		Timezone: v["timezone"], Posting: v["posting"], Moderation: v["moderation"], QA: v["qa"]}
	loc := time.UTC
	if l, err := time.LoadLocation(ev.Timezone); err == nil && ev.Timezone != "" && ev.Timezone != "Local" {
		loc = l
	}
	parse := &models.ValidationError{}
	crud.ParseTime(v, "starts_at", loc, &ev.StartsAt, parse)
	crud.ParseTime(v, "ends_at", loc, &ev.EndsAt, parse)
	verr := crud.Merge(parse, eventfile.ValidateEvent(&ev))
	wall, wallErr := cleanWall(v)
	verr = crud.Merge(verr, wallErr)
	taken, err := st.RowExists(ctx, "events", store.Where("slug = ? AND id <> ?", ev.Slug, id))
	if err != nil {
		return nil, nil, err
	}
	if taken {
		verr = crud.Merge(verr, crud.FieldError("slug", "is already used by another event"))
	}
	if verr != nil {
		return nil, verr, nil
	}
	cols := crud.Columns{"slug": ev.Slug, "title": ev.Title, "description": ev.Description, "hashtag": ev.Hashtag,
		"timezone": ev.Timezone, "starts_at": ev.StartsAt, "ends_at": ev.EndsAt, "posting": ev.Posting,
		"moderation": ev.Moderation, "qa": ev.QA}
	maps.Copy(cols, wall)
	return cols, nil, nil
}

// cleanWall validates the event's desk and wall settings: filters,
// reports, safe media, layout and brand, embedding.
func cleanWall(v crud.Values) (crud.Columns, *models.ValidationError) {
	verr := &models.ValidationError{}
	bad := func(field, msg string) {
		verr.Fields = append(verr.Fields, models.FieldError{Field: field, Message: msg})
	}
	number := func(field string, lo, hi, def int) int {
		s := strings.TrimSpace(v[field])
		if s == "" {
			return def
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			bad(field, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		}
		return n
	}
	choice := func(field string, allowed ...string) string {
		if v[field] == "" {
			return allowed[0]
		}
		if !slices.Contains(allowed, v[field]) {
			bad(field, "must be one of "+strings.Join(allowed, ", "))
		}
		return v[field]
	}
	cols := crud.Columns{
		"blocklist":        v["blocklist"] != "",
		"report_threshold": number("report_threshold", 0, 1000, 3),
		"sensitive_media":  choice("sensitive_media", models.SensitiveBlur, models.SensitiveHold),
		"filter_replies":   v["filter_replies"] != "",
		"filter_reposts":   v["filter_reposts"] != "",
		"filter_bots":      v["filter_bots"] != "",
		"filter_sensitive": v["filter_sensitive"] != "",
		"wall_layout":      choice("wall_layout", models.WallColumns, models.WallMasonry),
		"wall_content":     choice("wall_content", models.WallMixed, models.WallPhotos, models.WallText),
		"wall_theme":       choice("wall_theme", models.ThemeDark, models.ThemeLight),
		"wall_speed":       number("wall_speed", 0, 60, 0),
	}
	langs, lerr := cleanLanguages(v["filter_languages"])
	if lerr != nil {
		verr.Fields = append(verr.Fields, lerr.Fields...)
	}
	cols["filter_languages"] = langs
	logo := strings.TrimSpace(v["wall_logo_url"])
	if u, err := url.Parse(logo); logo != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
		bad("wall_logo_url", "must be an https URL")
	}
	cols["wall_logo_url"] = logo
	accent := strings.ToLower(strings.TrimSpace(v["wall_accent"]))
	if accent != "" && !accentRe.MatchString(accent) {
		bad("wall_accent", "must be a colour like #ff9152")
	}
	cols["wall_accent"] = accent
	var origins []string
	for _, f := range strings.Fields(strings.ReplaceAll(v["embed_origins"], ",", " ")) {
		o, ok := models.EmbedOrigin(f)
		if !ok {
			bad("embed_origins", fmt.Sprintf("%q is not an origin like https://conference.example.org (no path)", f))
			continue
		}
		origins = append(origins, o)
	}
	cols["embed_origins"] = strings.Join(origins, "\n")
	if len(verr.Fields) > 0 {
		return nil, verr
	}
	return cols, nil
}

var accentRe = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// cleanLanguages reads a list of ISO 639-1 (or 639-2) codes separated by
// commas or spaces, as the ingest filters keep it: "en,de".
func cleanLanguages(s string) (string, *models.ValidationError) {
	var langs []string
	var verr *models.ValidationError
	for _, l := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ',' || r == ' ' }) {
		if len(l) < 2 || len(l) > 3 || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz") != "" {
			verr = crud.Merge(verr, crud.FieldError("filter_languages", "%q is not a language code like en or de", l))
			continue
		}
		langs = append(langs, l)
	}
	return strings.Join(langs, ","), verr
}
