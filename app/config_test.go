package app

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// devEnv is a development environment (production is the default) plus m.
func devEnv(t *testing.T, m map[string]string) func(string) string {
	env := map[string]string{"BACKCHANNEL_ENV": "development", "DATA_DIR": t.TempDir()}
	for k, v := range m {
		env[k] = v
	}
	return envMap(env)
}

func TestLoadConfigUsesDevelopmentDefaults(t *testing.T) {
	cfg, err := LoadConfig(devEnv(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:3000" || cfg.RedisAddrs[0] != "127.0.0.1:56379" || cfg.BaseURL.String() != "http://127.0.0.1:3000" {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.RatePosts != (Rate{6, time.Minute}) || cfg.RateHistory != (Rate{60, time.Minute}) {
		t.Errorf("rates: %v %v", cfg.RatePosts, cfg.RateHistory)
	}
	if len(cfg.SecretKey) < 32 {
		t.Errorf("development secret too short: %d", len(cfg.SecretKey))
	}
}

func TestLoadConfigKeepsTheDevelopmentSecretAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadConfig(envMap(map[string]string{"BACKCHANNEL_ENV": "development", "DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadConfig(envMap(map[string]string{"BACKCHANNEL_ENV": "development", "DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if string(a.SecretKey) != string(b.SecretKey) {
		t.Error("a second start generated a new secret")
	}
}

func TestLoadConfigReadsARedisCluster(t *testing.T) {
	cfg, err := LoadConfig(devEnv(t, map[string]string{"REDIS_URL": "127.0.0.1:7001, 127.0.0.1:7002"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.RedisAddrs) != 2 || cfg.RedisAddrs[1] != "127.0.0.1:7002" {
		t.Errorf("cluster seeds: %v", cfg.RedisAddrs)
	}
}

func TestLoadConfigNamesTheBadVariable(t *testing.T) {
	cases := []struct {
		name, variable, value string
	}{
		{"database URL with another scheme", "DATABASE_URL", "mysql://x@y/z"},
		{"Redis URL with a bad database", "REDIS_URL", "redis://127.0.0.1:6379/99"},
		{"Redis seed without a port", "REDIS_URL", "127.0.0.1"},
		{"address without a port", "HTTP_ADDR", "localhost"},
		{"relative base URL", "BASE_URL", "/events"},
		{"rate without a period", "RATE_LIMIT_POSTS", "6"},
		{"rate with an unknown period", "RATE_LIMIT_HISTORY", "60/fortnight"},
		{"zero rate", "RATE_LIMIT_POSTS", "0/min"},
		{"proxy that is not an address", "TRUSTED_PROXIES", "10.0.0.1,proxy.local"},
		{"short secret", "SECRET_KEY", "tooshort"},
		{"unknown environment", "BACKCHANNEL_ENV", "staging"},
		{"negative shutdown timeout", "SHUTDOWN_TIMEOUT", "-1s"},
		{"the database as a source secret", "SOURCE_SECRETS", "MASTODON_TOKEN,DATABASE_URL"},
		{"a source secret that is not a variable name", "SOURCE_SECRETS", "mastodon-token"},
		{"a metadata address allowed", "OUTBOUND_ALLOW_PRIVATE", "169.254.169.254:80"},
		{"an allowed host with a bad port", "OUTBOUND_ALLOW_PRIVATE", "127.0.0.1:http"},
		{"a worker id with a hash", "WORKER_ID", "worker#1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(devEnv(t, map[string]string{tc.variable: tc.value}))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want a ConfigError, got %v", err)
			}
			if ce.Var != tc.variable {
				t.Errorf("error names %s, want %s: %v", ce.Var, tc.variable, err)
			}
		})
	}
}

func TestLoadConfigRequiresASecretInProduction(t *testing.T) {
	_, err := LoadConfig(envMap(map[string]string{"BACKCHANNEL_ENV": "production", "DATA_DIR": t.TempDir()}))
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Var != "SECRET_KEY" {
		t.Fatalf("want SECRET_KEY error, got %v", err)
	}
}

func TestProductionIsTheDefaultAndNeedsASecretKey(t *testing.T) {
	_, err := LoadConfig(envMap(map[string]string{"DATA_DIR": t.TempDir()}))
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Var != "SECRET_KEY" {
		t.Fatalf("an unset BACKCHANNEL_ENV must mean production and ask for SECRET_KEY, got %v", err)
	}
	cfg, err := LoadConfig(envMap(map[string]string{"DATA_DIR": t.TempDir(), "SECRET_KEY": strongKey}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Development() || cfg.Env != "production" {
		t.Errorf("env %q", cfg.Env)
	}
}

const strongKey = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestProductionRefusesAWeakSecretKeyWithOneLineNamingIt(t *testing.T) {
	for _, key := range []string{
		"tooshort",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"abababababababababababababababababab",
		"generate-with-openssl-rand-hex-32",
	} {
		_, err := LoadConfig(envMap(map[string]string{"BACKCHANNEL_ENV": "production", "DATA_DIR": t.TempDir(), "SECRET_KEY": key}))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Var != "SECRET_KEY" || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), key) {
			t.Errorf("%q: %v", key, err)
		}
	}
}

func TestTheSecretKeyDerivesTheKeyring(t *testing.T) {
	cfg, err := LoadConfig(envMap(map[string]string{"DATA_DIR": t.TempDir(), "SECRET_KEY": strongKey}))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := cfg.Keyring().Seal("test", []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := LoadConfig(envMap(map[string]string{"DATA_DIR": t.TempDir(), "SECRET_KEY": strongKey[1:] + "7"}))
	if _, err := other.Keyring().Open("test", ct, nil); err == nil {
		t.Error("another SECRET_KEY opened the sealed value")
	}
	if pt, err := cfg.Keyring().Open("test", ct, nil); err != nil || string(pt) != "x" {
		t.Errorf("open: %q %v", pt, err)
	}
}

func TestSourceSettingsAreRead(t *testing.T) {
	cfg, err := LoadConfig(devEnv(t, map[string]string{"SOURCE_SECRETS": "MY_TOKEN@mastodon.example", "OUTBOUND_ALLOW_PRIVATE": "127.0.0.1:18081", "WORKER_ID": "worker-1"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SourceSecrets.Allows("MY_TOKEN", "mastodon.example") != nil || cfg.SourceSecrets.Allows("MASTODON_TOKEN", "mastodon.example") == nil {
		t.Errorf("source secrets %v", cfg.SourceSecrets.Names())
	}
	if p := cfg.Outbound(); len(p.AllowPrivate) != 1 || p.AllowPrivate[0] != "127.0.0.1:18081" {
		t.Errorf("allow list %v", p.AllowPrivate)
	}
	if cfg.WorkerID != "worker-1" {
		t.Errorf("worker id %q", cfg.WorkerID)
	}
}

func TestSecuritySettingsHaveDefaultsAndRefuseBadValues(t *testing.T) {
	cfg, err := LoadConfig(envMap(map[string]string{"BACKCHANNEL_ENV": "development", "DATA_DIR": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Security
	if s.MaxWaitsPerAddress != 2000 || s.AdminSessionIdle != time.Hour || s.AdminSessionMax != 12*time.Hour ||
		s.PostingGrace != 30*time.Minute || s.RateReads != (Rate{30, time.Minute}) || s.MetricsToken != "" {
		t.Fatalf("defaults: %+v", s)
	}
	if cfg.RedisTLS {
		t.Fatal("redis:// turned TLS on")
	}
	for name, val := range map[string]string{
		"METRICS_TOKEN":         "short",
		"MAX_WAITS_PER_ADDRESS": "-1",
		"ADMIN_SESSION_IDLE":    "13h",
		"ADMIN_SESSION_MAX":     "soon",
		"POSTING_GRACE":         "-5m",
		"RATE_LIMIT_READS":      "lots",
		"REDIS_CA_FILE":         "/etc/hosts",
	} {
		_, err := LoadConfig(envMap(map[string]string{"BACKCHANNEL_ENV": "development", "DATA_DIR": t.TempDir(), name: val}))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Var != name {
			t.Errorf("%s=%q: %v; want a ConfigError naming it", name, val, err)
		}
	}
	cfg, err = LoadConfig(envMap(map[string]string{"BACKCHANNEL_ENV": "development", "DATA_DIR": t.TempDir(), "REDIS_URL": "rediss://app:pw@10.0.0.1:6380,10.0.0.2:6380"}))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.RedisTLS || len(cfg.RedisAddrs) != 2 || cfg.RedisUsername != "app" || cfg.RedisPassword != "pw" {
		t.Fatalf("rediss cluster seeds: %+v", cfg)
	}
}
