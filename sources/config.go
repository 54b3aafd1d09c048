package sources

import (
	"encoding/json"
	"fmt"
	"time"
)

// Config is a source's config JSON (the fields of its entry in the event
// file, docs/API.md). Secrets are never here: TokenEnv names the environment
// variable that holds one.
type Config struct {
	Instance string   `json:"instance"`
	Tag      string   `json:"tag"`
	TokenEnv string   `json:"token_env"`
	Endpoint string   `json:"endpoint"`
	Keywords []string `json:"keywords"`
	// ProfileBase is the Bluesky AppView that resolves authors' profiles
	// (default DefaultProfileBase).
	ProfileBase string `json:"profile_base"`
	BaseURL     string `json:"base_url"`
	Rule        string `json:"rule"`
	Tags        string `json:"tags"`
	URL         string `json:"url"`
	Every       string `json:"every"`
	// LateWindow overrides ManagerOptions.MastodonLateWindow for one source.
	LateWindow string `json:"late_window"`
	// Access is the X API access level of the app ("enterprise" allows
	// backfill_minutes; anything else, or nothing, does not).
	Access string `json:"access"`
}

// ParseConfig decodes a source's config JSON.
func ParseConfig(raw []byte) (Config, error) {
	var c Config
	if len(raw) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("sources: config: %w", err)
	}
	return c, nil
}

// EveryOr returns the poll interval of the config, or def when it has none
// or it does not parse.
func (c Config) EveryOr(def time.Duration) time.Duration {
	if d, err := time.ParseDuration(c.Every); err == nil && d > 0 {
		return d
	}
	return def
}
