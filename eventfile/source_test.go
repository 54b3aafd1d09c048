package eventfile

import (
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/models"
)

func TestValidateSourceGivesKeyAndNormalizedConfig(t *testing.T) {
	// The loopback fakes below are reached only because the operator allows them.
	t.Setenv("OUTBOUND_ALLOW_PRIVATE", "127.0.0.1:8080,127.0.0.1:9999")
	for _, c := range []struct {
		kind   string
		config map[string]any
		key    string
		json   string
	}{
		{"mastodon", map[string]any{"instance": " HTTPS://Mastodon.Social/ ", "tag": "#AEABoston", "token_env": "MASTODON_TOKEN"},
			"mastodon:https://mastodon.social#aeaboston",
			`{"instance":"https://mastodon.social","tag":"aeaboston","token_env":"MASTODON_TOKEN"}`},
		{"bluesky", map[string]any{"endpoint": "wss://jetstream.example/subscribe?x=1", "keywords": []string{"B", "a", "B"}},
			"bluesky:a,b", `{"endpoint":"wss://jetstream.example/subscribe?x=1","keywords":["B","a"]}`},
		{"bluesky", map[string]any{"endpoint": "wss://j.example", "keywords": []string{"a"}, "profile_base": "HTTP://127.0.0.1:8080/"},
			"bluesky:a", `{"endpoint":"wss://j.example","keywords":["a"],"profile_base":"http://127.0.0.1:8080"}`},
		{"x", map[string]any{"base_url": "http://127.0.0.1:9999", "rule": "#aea -is:retweet", "token_env": "X_BEARER_TOKEN"},
			"x:#aea -is:retweet", `{"base_url":"http://127.0.0.1:9999","rule":"#aea -is:retweet","token_env":"X_BEARER_TOKEN"}`},
		{"flickr", map[string]any{"base_url": "https://api.flickr.com/services/rest/", "tags": "AEA, #boston,aea", "token_env": "FLICKR_API_KEY", "every": "90s"},
			"flickr:aea,boston", `{"base_url":"https://api.flickr.com/services/rest","every":"1m30s","tags":"aea,boston","token_env":"FLICKR_API_KEY"}`},
		{"feed", map[string]any{"url": "https://example.org/feed.atom", "every": time.Hour},
			"feed:https://example.org/feed.atom", `{"every":"1h","url":"https://example.org/feed.atom"}`},
		{"replay", map[string]any{}, "replay", `{"every":"5s"}`},
		{"replay", map[string]any{"name": "replay-fast", "every": "500ms"}, "replay-fast", `{"every":"500ms","name":"replay-fast"}`},
	} {
		key, cfg, verr := ValidateSource(c.kind, c.config)
		if verr != nil {
			t.Errorf("%s %v: %v", c.kind, c.config, verr)
			continue
		}
		if key != c.key || string(cfg) != c.json {
			t.Errorf("%s: key %q config %s, want %q %s", c.kind, key, cfg, c.key, c.json)
		}
	}
}

func TestValidateSourceRejectsBadConfigs(t *testing.T) {
	for _, c := range []struct {
		kind   string
		config map[string]any
		field  string
		msg    string
	}{
		{"", nil, "kind", "is required"},
		{"myspace", nil, "kind", "not a known source kind"},
		{"mastodon", map[string]any{"instance": "https://user:pw@mastodon.social", "tag": "a", "token_env": "T"}, "instance", "credentials"},
		{"mastodon", map[string]any{"instance": "https://m.example?x=1", "tag": "a", "token_env": "T"}, "instance", "?query"},
		{"mastodon", map[string]any{"instance": "https://m.example", "tag": "two words", "token_env": "T"}, "tag", "one hashtag"},
		{"mastodon", map[string]any{"instance": "https://m.example", "tag": "a", "token_env": "T", "token": "s3cret"}, "token", "secrets are never written"},
		{"mastodon", map[string]any{"instance": "https://m.example", "tag": "a", "token_env": "abcdef0123456789abcdef"}, "token_env", "never the secret itself"},
		{"bluesky", map[string]any{"endpoint": "wss://j.example", "keywords": []any{"ok", ""}}, "keywords", "item 1 is empty"},
		{"bluesky", map[string]any{"endpoint": "wss://j.example", "keywords": "aea"}, "keywords", "must be a list"},
		{"bluesky", map[string]any{"endpoint": "wss://j.example"}, "keywords", "is required"},
		{"x", map[string]any{"base_url": "https://api.x.com", "rule": "a\nb", "token_env": "X"}, "rule", "one line"},
		{"x", map[string]any{"base_url": "https://api.x.com", "rule": "a", "token_env": "X", "access": "gold"}, "access", "basic, pro or enterprise"},
		{"mastodon", map[string]any{"instance": "https://m.example", "tag": "a", "token_env": "T", "late_window": "forever"}, "late_window", "a duration"},
		{"flickr", map[string]any{"base_url": "https://f.example", "tags": "a", "token_env": "F", "every": "10s"}, "every", "between 30s and 24h"},
		{"flickr", map[string]any{"base_url": "https://f.example", "tags": " , ", "token_env": "F"}, "tags", "at least one tag"},
		{"feed", map[string]any{"url": "https://f.example", "every": "often"}, "every", "not a duration"},
		{"feed", map[string]any{"url": []any{"https://f.example"}}, "url", "not a list"},
		{"feed", map[string]any{"url": "https://f.example", "every": "5m", "tag": "x"}, "tag", "unknown field for a feed source"},
		{"replay", map[string]any{"name": "Not A Slug"}, "name", "only a-z"},
		{"mastodon", map[string]any{"instance": "https://organizer.example", "tag": "a", "token_env": "DATABASE_URL"}, "token_env", "DATABASE_URL is not a source secret"},
		{"feed", map[string]any{"url": "http://169.254.169.254/latest/meta-data/"}, "url", "cloud metadata address"},
		{"feed", map[string]any{"url": "http://[fd00:ec2::254]/latest"}, "url", "cloud metadata address"},
		{"x", map[string]any{"base_url": "http://10.0.0.8:9999", "rule": "a", "token_env": "X_BEARER_TOKEN"}, "base_url", "private address"},
		{"bluesky", map[string]any{"endpoint": "ws://localhost:6008/subscribe", "keywords": []any{"a"}}, "endpoint", "loopback"},
	} {
		_, _, verr := ValidateSource(c.kind, c.config)
		if verr == nil {
			t.Errorf("%s %v: valid", c.kind, c.config)
			continue
		}
		if !hasFieldError(verr, c.field, c.msg) {
			t.Errorf("%s %v: %v, want %s: …%s…", c.kind, c.config, verr, c.field, c.msg)
		}
	}
}

func hasFieldError(v *models.ValidationError, field, msg string) bool {
	for _, f := range v.Fields {
		if f.Field == field && strings.Contains(f.Message, msg) {
			return true
		}
	}
	return false
}
