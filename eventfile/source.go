package eventfile

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/outbound"
	"github.com/backchannel/backchannel/secrets"
)

// Source kinds an event file may use.
const (
	KindMastodon = "mastodon"
	KindBluesky  = "bluesky"
	KindX        = "x"
	KindFlickr   = "flickr"
	KindFeed     = "feed"
	KindReplay   = "replay"
)

// SourceKinds returns every known source kind, in the order docs/API.md lists them.
func SourceKinds() []string {
	return []string{KindMastodon, KindBluesky, KindX, KindFlickr, KindFeed, KindReplay}
}

// kindSpec describes the config fields of one source kind.
type kindSpec struct {
	fields   []string // allowed fields besides name, in the order files list them
	required []string
	everyDef time.Duration // default of the optional every field
	everyMin time.Duration
}

func specFor(kind string) (kindSpec, bool) {
	switch kind {
	case KindMastodon:
		// late_window: how far below its newest id each backfill re-reads
		// for statuses that federated late (a duration; default 10m).
		f := []string{"instance", "tag", "token_env"}
		return kindSpec{fields: append(slices.Clone(f), "late_window"), required: f}, true
	case KindBluesky:
		// profile_base is the AppView that resolves authors (default: Bluesky's public one).
		return kindSpec{fields: []string{"endpoint", "keywords", "profile_base"}, required: []string{"endpoint", "keywords"}}, true
	case KindX:
		// access: the app's X API access level; "enterprise" allows
		// backfill_minutes after a reconnect.
		f := []string{"base_url", "rule", "token_env"}
		return kindSpec{fields: append(slices.Clone(f), "access"), required: f}, true
	case KindFlickr:
		return kindSpec{fields: []string{"base_url", "tags", "token_env", "every"},
			required: []string{"base_url", "tags", "token_env"},
			everyDef: 2 * time.Minute, everyMin: 30 * time.Second}, true
	case KindFeed:
		return kindSpec{fields: []string{"url", "every"}, required: []string{"url"},
			everyDef: 5 * time.Minute, everyMin: 30 * time.Second}, true
	case KindReplay:
		return kindSpec{fields: []string{"every"}, everyDef: 5 * time.Second, everyMin: 100 * time.Millisecond}, true
	}
	return kindSpec{}, false
}

// Limits on source fields.
const (
	maxEvery    = 24 * time.Hour
	maxKeywords = 50
	maxKeyword  = 100
	maxRule     = 1024
	maxFlickr   = 20 // tags
	maxURL      = 2048
)

var (
	envNamePattern = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,127}$`)
	tagPattern     = regexp.MustCompile(`^[\p{L}\p{N}_]{1,100}$`)
)

// secretFields are field names someone writes when they paste a secret.
var secretFields = []string{"token", "access_token", "bearer_token", "api_key", "apikey", "key", "secret", "api_secret", "password"}

// ValidateSource checks the config of one source of the given kind (every
// field of its entry in the event file except kind and enabled; name
// included) and returns its stable key within the event and its normalized
// config: trimmed values, URLs with lower-case scheme and host, tags without
// '#', durations like "2m", defaults filled in. Values are strings, and
// keywords a list ([]any or []string). verr is nil when the config is valid.
func ValidateSource(kind string, config map[string]any) (key string, normalized json.RawMessage, verr *models.ValidationError) {
	v := &models.ValidationError{}
	spec, ok := specFor(kind)
	if !ok {
		if kind == "" {
			v.Add("kind", "is required (one of %s)", strings.Join(SourceKinds(), ", "))
		} else {
			v.Add("kind", "%q is not a known source kind (one of %s)", kind, strings.Join(SourceKinds(), ", "))
		}
		return "", nil, v
	}
	out := map[string]any{}
	names := make([]string, 0, len(config))
	for name := range config {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		raw := config[name]
		if raw == nil {
			continue
		}
		if name != "name" && !slices.Contains(spec.fields, name) {
			switch {
			case slices.Contains(secretFields, strings.ToLower(name)):
				v.Add(name, "secrets are never written in an event file: keep it in an environment variable and name that variable with token_env")
			default:
				v.Add(name, "unknown field for a %s source (it takes %s)", kind, strings.Join(append(slices.Clone(spec.fields), "name", "enabled"), ", "))
			}
			continue
		}
		val, err := normalizeField(name, raw, spec)
		if err != nil {
			v.Add(name, "%s", err.Error())
			continue
		}
		if val != nil {
			out[name] = val
		}
	}
	for _, name := range spec.required {
		if _, ok := out[name]; !ok && !hasField(v, name) {
			v.Add(name, "is required for a %s source", kind)
		}
	}
	if spec.everyDef != 0 {
		if _, ok := out["every"]; !ok && !hasField(v, "every") {
			out["every"] = formatDuration(spec.everyDef)
		}
	}
	checkOutbound(v, out)
	if len(v.Fields) > 0 {
		return "", nil, v
	}
	key = sourceKey(kind, out)
	b, err := json.Marshal(out)
	if err != nil { // only strings and string lists: cannot happen
		v.Add("config", "cannot be encoded: %v", err)
		return "", nil, v
	}
	return key, b, nil
}

// urlFields are the fields whose URL the server connects to.
var urlFields = []string{"instance", "base_url", "profile_base", "url", "endpoint"}

// checkOutbound refuses what the worker would refuse (packages outbound and
// secrets, with the same settings the app reads, docs/API.md): a URL at a
// metadata or a literal private address not named in OUTBOUND_ALLOW_PRIVATE,
// and a token_env that SOURCE_SECRETS does not allow for the source's host.
func checkOutbound(v *models.ValidationError, out map[string]any) {
	policy := outbound.Policy{}
	if allow, err := outbound.ParseAllowList(os.Getenv("OUTBOUND_ALLOW_PRIVATE")); err == nil {
		policy.AllowPrivate = allow
	}
	host := ""
	for _, f := range urlFields {
		raw, ok := out[f].(string)
		if !ok {
			continue
		}
		if err := policy.CheckURL(raw); err != nil {
			v.Add(f, "%s", strings.TrimPrefix(err.Error(), "outbound: "))
			continue
		}
		if u, err := url.Parse(raw); err == nil && host == "" && f != "profile_base" {
			host = strings.ToLower(u.Hostname())
		}
	}
	name, ok := out["token_env"].(string)
	if !ok {
		return
	}
	allowed, err := secrets.ParseSourceSecrets(os.Getenv("SOURCE_SECRETS"))
	if err != nil {
		allowed, _ = secrets.ParseSourceSecrets("")
	}
	if err := allowed.Allows(name, host); err != nil {
		v.Add("token_env", "%s", err.Error())
	}
}

// sourceKey names a source within its event: its name, or its kind and
// what it follows.
func sourceKey(kind string, c map[string]any) string {
	if n, ok := c["name"].(string); ok && n != "" {
		return n
	}
	switch kind {
	case KindMastodon:
		return kind + ":" + c["instance"].(string) + "#" + c["tag"].(string)
	case KindBluesky:
		kws := slices.Clone(c["keywords"].([]string))
		for i := range kws {
			kws[i] = strings.ToLower(kws[i])
		}
		sort.Strings(kws)
		return kind + ":" + strings.Join(slices.Compact(kws), ",")
	case KindX:
		return kind + ":" + c["rule"].(string)
	case KindFlickr:
		return kind + ":" + c["tags"].(string)
	case KindFeed:
		return kind + ":" + c["url"].(string)
	}
	return kind
}

func hasField(v *models.ValidationError, field string) bool {
	for _, f := range v.Fields {
		if f.Field == field || strings.HasPrefix(f.Field, field+"[") {
			return true
		}
	}
	return false
}

// normalizeField checks one config value and returns its normal form (a
// string or []string), or nil when the value is empty (absent).
func normalizeField(name string, raw any, spec kindSpec) (any, error) {
	if name == "keywords" {
		return normalizeKeywords(raw)
	}
	s, err := text(raw)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, nil
	}
	switch name {
	case "name":
		if err := ValidateSlug(s); err != nil {
			return nil, err
		}
		return s, nil
	case "instance", "base_url", "profile_base":
		return normalizeURL(s, []string{"http", "https"}, false)
	case "url":
		return normalizeURL(s, []string{"http", "https"}, true)
	case "endpoint":
		return normalizeURL(s, []string{"ws", "wss"}, true)
	case "tag":
		t := strings.ToLower(strings.TrimPrefix(s, "#"))
		if !tagPattern.MatchString(t) {
			return nil, fmt.Errorf("%q must be one hashtag of letters, digits and underscores (e.g. aeaboston)", s)
		}
		return t, nil
	case "tags":
		return normalizeTags(s)
	case "rule":
		if n := utf8.RuneCountInString(s); n > maxRule {
			return nil, fmt.Errorf("is %d characters long; at most %d", n, maxRule)
		}
		if strings.ContainsFunc(s, unicode.IsControl) {
			return nil, fmt.Errorf("must be one line without control characters")
		}
		return s, nil
	case "token_env":
		if !envNamePattern.MatchString(s) {
			return nil, fmt.Errorf("must be the name of an environment variable that holds the secret (A-Z, 0-9 and _, like MASTODON_TOKEN), never the secret itself")
		}
		return s, nil
	case "access":
		a := strings.ToLower(s)
		if a != "basic" && a != "pro" && a != "enterprise" {
			return nil, fmt.Errorf("%q must be basic, pro or enterprise (the X API access level of the app)", s)
		}
		return a, nil
	case "late_window":
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d > 24*time.Hour {
			return nil, fmt.Errorf("%q must be a duration up to 24h (e.g. 10m)", s)
		}
		return formatDuration(d), nil
	case "every":
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration (write e.g. 30s, 2m or 1h)", s)
		}
		if d < spec.everyMin || d > maxEvery {
			return nil, fmt.Errorf("%s must be between %s and %s", s, formatDuration(spec.everyMin), formatDuration(maxEvery))
		}
		return formatDuration(d), nil
	}
	return nil, fmt.Errorf("unknown field")
}

// text returns a config value as trimmed text.
func text(raw any) (string, error) {
	switch x := raw.(type) {
	case string:
		if !utf8.ValidString(x) {
			return "", fmt.Errorf("is not valid UTF-8")
		}
		return strings.TrimSpace(x), nil
	case time.Duration:
		return formatDuration(x), nil
	case []any, []string:
		return "", fmt.Errorf("must be a single value, not a list")
	case map[string]any:
		return "", fmt.Errorf("must be a single value, not a mapping")
	}
	return "", fmt.Errorf("must be text, not %T", raw)
}

func normalizeKeywords(raw any) (any, error) {
	var items []any
	switch x := raw.(type) {
	case []any:
		items = x
	case []string:
		for _, s := range x {
			items = append(items, s)
		}
	default:
		return nil, fmt.Errorf("must be a list of keywords, like [\"#aeaboston\", \"aeaboston\"]")
	}
	var out []string
	for i, it := range items {
		s, err := text(it)
		if err != nil {
			return nil, fmt.Errorf("item %d %s", i, err.Error())
		}
		if s == "" {
			return nil, fmt.Errorf("item %d is empty", i)
		}
		if n := utf8.RuneCountInString(s); n > maxKeyword {
			return nil, fmt.Errorf("item %d is %d characters long; at most %d", i, n, maxKeyword)
		}
		if strings.ContainsFunc(s, unicode.IsControl) {
			return nil, fmt.Errorf("item %d contains a control character", i)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("must list at least one keyword")
	}
	if len(out) > maxKeywords {
		return nil, fmt.Errorf("lists %d keywords; at most %d", len(out), maxKeywords)
	}
	return out, nil
}

func normalizeTags(s string) (any, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "#")))
		if t == "" {
			continue
		}
		if strings.ContainsFunc(t, unicode.IsControl) {
			return nil, fmt.Errorf("contains a control character")
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("must name at least one tag (comma-separated, e.g. aeaboston,aea2026)")
	}
	if len(out) > maxFlickr {
		return nil, fmt.Errorf("names %d tags; at most %d", len(out), maxFlickr)
	}
	return strings.Join(out, ","), nil
}

// normalizeURL accepts an absolute URL of one of the schemes, without
// credentials; query strings only where allowQuery.
func normalizeURL(s string, schemes []string, allowQuery bool) (any, error) {
	want := strings.Join(schemes, " or ")
	example := "https://mastodon.social"
	if schemes[0] == "ws" {
		example = "wss://jetstream2.us-east.bsky.network/subscribe"
	}
	if len(s) > maxURL {
		return nil, fmt.Errorf("is longer than %d characters", maxURL)
	}
	u, err := url.Parse(s)
	if err != nil || !slices.Contains(schemes, strings.ToLower(u.Scheme)) || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%q must be an absolute %s URL, like %s", s, want, example)
	}
	if u.User != nil {
		return nil, fmt.Errorf("must not carry credentials; name the secret with token_env")
	}
	if u.Fragment != "" || u.RawFragment != "" {
		return nil, fmt.Errorf("must not have a #fragment")
	}
	if !allowQuery && (u.RawQuery != "" || u.ForceQuery) {
		return nil, fmt.Errorf("must not have a ?query")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if !allowQuery {
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = ""
	}
	return u.String(), nil
}

// formatDuration writes a duration the way people do: 2m, 30s, 1h30m, 500ms.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
