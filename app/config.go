package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/backchannel/backchannel/outbound"
	"github.com/backchannel/backchannel/secrets"
)

// Config is everything the process reads from its environment, parsed and
// validated once at start-up (see docs/API.md for the variables and defaults).
type Config struct {
	Env           string // "production" (default) or "development"
	DatabaseURL   string
	RedisAddrs    []string // one address, or several seeds of a Redis Cluster
	RedisDB       int
	RedisPassword string
	RedisUsername string // an ACL user (REDIS_URL's user part)
	// RedisTLS is set by a rediss:// REDIS_URL: every Redis connection
	// (rueidis and asynq) speaks TLS, verified against the system's roots
	// or REDIS_CA_FILE's.
	RedisTLS        bool
	RedisCAFile     string
	RedisPrefix     string // prefix of every key the app writes (REDIS_PREFIX, default none)
	HTTPAddr        string
	SecretKey       []byte
	BaseURL         *url.URL
	RatePosts       Rate
	RateHistory     Rate
	TrustedProxies  []string
	DataDir         string
	ShutdownTimeout time.Duration
	// SourceSecrets are the variables a source's token_env may name
	// (SOURCE_SECRETS); OutboundAllowPrivate the private hosts sources may
	// reach all the same (OUTBOUND_ALLOW_PRIVATE).
	SourceSecrets        secrets.SourceSecrets
	OutboundAllowPrivate []string
	// WorkerID is this worker's stable identity among the workers
	// (WORKER_ID, default hostname:pid): a worker restarted under the same
	// one reclaims its sources at once.
	WorkerID string
	// LiveLoops serves long polls and streams on event loops
	// (realtime.LoopServer); LIVE_LOOPS=off leaves them to fiber.
	LiveLoops bool
	// Security is what hardens the public side and the admin (config_security.go).
	Security SecurityConfig
}

// Rate is a count of requests allowed per period, written like "6/min".
type Rate struct {
	Count  int
	Period time.Duration
}

func (r Rate) String() string { return fmt.Sprintf("%d/%s", r.Count, r.Period) }

// Development reports whether the process runs with development defaults.
func (c *Config) Development() bool { return c.Env == "development" }

// ConfigError names the variable whose value is wrong.
type ConfigError struct {
	Var    string
	Reason string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("config: %s: %s", e.Var, e.Reason) }

// LoadConfig reads the configuration through getenv (os.Getenv in production,
// a map in tests). The first bad value stops it with an error naming the variable.
func LoadConfig(getenv func(string) string) (*Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := &Config{}
	c.Env = get("BACKCHANNEL_ENV", "production")
	if c.Env != "development" && c.Env != "production" {
		return nil, &ConfigError{"BACKCHANNEL_ENV", fmt.Sprintf("%q is neither development nor production", c.Env)}
	}
	c.DataDir = get("DATA_DIR", ".data")

	c.DatabaseURL = get("DATABASE_URL", "postgres://backchannel:backchannel@127.0.0.1:55432/backchannel?sslmode=disable")
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, &ConfigError{"DATABASE_URL", "want postgres://user:password@host:port/database"}
	}

	if err := c.parseRedis(get("REDIS_URL", "redis://127.0.0.1:56379/0")); err != nil {
		return nil, err
	}

	c.RedisPrefix = get("REDIS_PREFIX", "")
	if strings.ContainsAny(c.RedisPrefix, " {}*?[]") {
		return nil, &ConfigError{"REDIS_PREFIX", "may not contain spaces, braces or glob characters"}
	}

	c.HTTPAddr = get("HTTP_ADDR", "127.0.0.1:3000")
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		return nil, &ConfigError{"HTTP_ADDR", fmt.Sprintf("%q is not host:port", c.HTTPAddr)}
	}

	base := get("BASE_URL", "http://127.0.0.1:3000")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &ConfigError{"BASE_URL", fmt.Sprintf("%q is not an absolute http(s) URL", base)}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c.BaseURL = u

	if c.RatePosts, err = ParseRate(get("RATE_LIMIT_POSTS", "6/min")); err != nil {
		return nil, &ConfigError{"RATE_LIMIT_POSTS", err.Error()}
	}
	if c.RateHistory, err = ParseRate(get("RATE_LIMIT_HISTORY", "60/min")); err != nil {
		return nil, &ConfigError{"RATE_LIMIT_HISTORY", err.Error()}
	}

	for _, p := range strings.Split(get("TRUSTED_PROXIES", ""), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return nil, &ConfigError{"TRUSTED_PROXIES", fmt.Sprintf("%q is neither an IP address nor a CIDR range", p)}
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}

	c.ShutdownTimeout, err = time.ParseDuration(get("SHUTDOWN_TIMEOUT", "10s"))
	if err != nil || c.ShutdownTimeout <= 0 {
		return nil, &ConfigError{"SHUTDOWN_TIMEOUT", "want a positive duration like 10s"}
	}

	switch v := get("LIVE_LOOPS", "on"); v {
	case "on":
		c.LiveLoops = true
	case "off":
	default:
		return nil, &ConfigError{"LIVE_LOOPS", fmt.Sprintf("%q is neither on nor off", v)}
	}
	if c.Security, err = loadSecurity(get); err != nil {
		return nil, err
	}
	c.RedisCAFile = get("REDIS_CA_FILE", "")
	if c.RedisCAFile != "" {
		if !c.RedisTLS {
			return nil, &ConfigError{"REDIS_CA_FILE", "is only used with a rediss:// REDIS_URL"}
		}
		if _, err := readCAFile(c.RedisCAFile); err != nil {
			return nil, &ConfigError{"REDIS_CA_FILE", err.Error()}
		}
	}

	secret := get("SECRET_KEY", "")
	switch {
	case secret != "" && !c.Development():
		if err := secrets.CheckKeyStrength(secret); err != nil {
			return nil, &ConfigError{"SECRET_KEY", err.Error()}
		}
		c.SecretKey = []byte(secret)
	case secret != "" && len(secret) < secrets.MinKeyLength:
		return nil, &ConfigError{"SECRET_KEY", fmt.Sprintf("must be at least %d characters", secrets.MinKeyLength)}
	case secret != "":
		c.SecretKey = []byte(secret)
	case !c.Development():
		return nil, &ConfigError{"SECRET_KEY", "required in production (generate one with: openssl rand -hex 32), or set BACKCHANNEL_ENV=development"}
	default:
		if c.SecretKey, err = devSecret(c.DataDir); err != nil {
			return nil, &ConfigError{"SECRET_KEY", err.Error()}
		}
	}

	if c.SourceSecrets, err = secrets.ParseSourceSecrets(get("SOURCE_SECRETS", "")); err != nil {
		return nil, &ConfigError{"SOURCE_SECRETS", err.Error()}
	}
	if c.OutboundAllowPrivate, err = outbound.ParseAllowList(get("OUTBOUND_ALLOW_PRIVATE", "")); err != nil {
		return nil, &ConfigError{"OUTBOUND_ALLOW_PRIVATE", err.Error()}
	}
	c.WorkerID = get("WORKER_ID", defaultWorkerID())
	if len(c.WorkerID) > 100 || strings.ContainsFunc(c.WorkerID, func(r rune) bool { return r == '#' || r <= ' ' || r == 0x7f }) {
		return nil, &ConfigError{"WORKER_ID", "want up to 100 visible characters without '#' or spaces, e.g. worker-1"}
	}
	return c, nil
}

func (c *Config) parseRedis(raw string) error {
	if !strings.Contains(raw, "://") {
		// A comma-separated list of host:port seeds: a Redis Cluster.
		for _, a := range strings.Split(raw, ",") {
			a = strings.TrimSpace(a)
			if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
				return &ConfigError{"REDIS_URL", fmt.Sprintf("%q is not host:port (want redis://host:port/db or host:port,host:port for a cluster)", a)}
			}
			c.RedisAddrs = append(c.RedisAddrs, a)
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return &ConfigError{"REDIS_URL", "want redis[s]://[user:password@]host:port/db (or host:port,host:port… of a cluster)"}
	}
	c.RedisTLS = u.Scheme == "rediss"
	// rediss://host1:port,host2:port: the seeds of a cluster, over TLS.
	for _, a := range strings.Split(u.Host, ",") {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			return &ConfigError{"REDIS_URL", fmt.Sprintf("%q is not host:port", a)}
		}
		c.RedisAddrs = append(c.RedisAddrs, a)
	}
	if p, ok := u.User.Password(); ok {
		c.RedisPassword = p
	}
	c.RedisUsername = u.User.Username()
	if db := strings.Trim(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 || n > 15 {
			return &ConfigError{"REDIS_URL", fmt.Sprintf("database %q is not a number from 0 to 15", db)}
		}
		c.RedisDB = n
	}
	return nil
}

// Keyring returns the keys derived from SECRET_KEY (package secrets).
func (c *Config) Keyring() *secrets.Keyring {
	k, err := secrets.NewKeyring(c.SecretKey)
	if err != nil {
		panic("app: keyring of a validated config: " + err.Error())
	}
	return k
}

// Outbound is the policy of every outbound request (package outbound).
func (c *Config) Outbound() outbound.Policy {
	return outbound.Policy{AllowPrivate: c.OutboundAllowPrivate}
}

func defaultWorkerID() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "worker"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// ParseRate parses "N/sec", "N/min" or "N/hour".
func ParseRate(s string) (Rate, error) {
	n, unit, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(n)
	if !ok || err != nil || count <= 0 {
		return Rate{}, fmt.Errorf("%q: want a positive count per period, like 6/min", s)
	}
	periods := map[string]time.Duration{"s": time.Second, "sec": time.Second, "second": time.Second,
		"m": time.Minute, "min": time.Minute, "minute": time.Minute, "h": time.Hour, "hour": time.Hour}
	p, ok := periods[unit]
	if !ok {
		return Rate{}, fmt.Errorf("%q: period must be sec, min or hour", s)
	}
	return Rate{Count: count, Period: p}, nil
}

// devSecret keeps one random development secret under the data folder, so
// sessions survive restarts without anyone writing a secret down.
func devSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, "secret_key")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	key := []byte(hex.EncodeToString(raw))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return key, nil
}
