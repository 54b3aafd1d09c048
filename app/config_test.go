package app

import (
	"errors"
	"testing"
	"time"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigUsesDevelopmentDefaults(t *testing.T) {
	cfg, err := LoadConfig(envMap(map[string]string{"DATA_DIR": t.TempDir()}))
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
	a, err := LoadConfig(envMap(map[string]string{"DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadConfig(envMap(map[string]string{"DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if string(a.SecretKey) != string(b.SecretKey) {
		t.Error("a second start generated a new secret")
	}
}

func TestLoadConfigReadsARedisCluster(t *testing.T) {
	cfg, err := LoadConfig(envMap(map[string]string{"DATA_DIR": t.TempDir(), "REDIS_URL": "127.0.0.1:7001, 127.0.0.1:7002"}))
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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(envMap(map[string]string{"DATA_DIR": t.TempDir(), tc.variable: tc.value}))
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

func TestSecuritySettingsHaveDefaultsAndRefuseBadValues(t *testing.T) {
	cfg, err := LoadConfig(envMap(map[string]string{"DATA_DIR": t.TempDir()}))
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
		_, err := LoadConfig(envMap(map[string]string{"DATA_DIR": t.TempDir(), name: val}))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Var != name {
			t.Errorf("%s=%q: %v; want a ConfigError naming it", name, val, err)
		}
	}
	cfg, err = LoadConfig(envMap(map[string]string{"DATA_DIR": t.TempDir(), "REDIS_URL": "rediss://app:pw@10.0.0.1:6380,10.0.0.2:6380"}))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.RedisTLS || len(cfg.RedisAddrs) != 2 || cfg.RedisUsername != "app" || cfg.RedisPassword != "pw" {
		t.Fatalf("rediss cluster seeds: %+v", cfg)
	}
}
