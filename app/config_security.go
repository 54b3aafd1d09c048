package app

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/backchannel/backchannel/realtime"
)

// SecurityConfig is what hardens the public side and the admin (docs/API.md,
// Configuration).
type SecurityConfig struct {
	// MetricsToken, when set, lets /metrics and /readyz answer a request
	// from anywhere that sends "Authorization: Bearer <token>"; without it
	// they answer loopback only (METRICS_TOKEN, default none).
	MetricsToken string
	// MaxWaitsPerAddress bounds parked long polls and streams per client
	// address on one node (MAX_WAITS_PER_ADDRESS, default 2000; 0 turns it
	// off).
	MaxWaitsPerAddress int
	// AdminSessionIdle ends an admin session unused this long
	// (ADMIN_SESSION_IDLE, default 1h); AdminSessionMax ends it this long
	// after sign-in (ADMIN_SESSION_MAX, default 12h).
	AdminSessionIdle, AdminSessionMax time.Duration
	// PostingGrace is how long after an event ends attendees may still post
	// (POSTING_GRACE, default 30m).
	PostingGrace time.Duration
	// RateReads limits expensive public reads (search, exports, deep
	// archive pages) per client (RATE_LIMIT_READS, default 30/min).
	RateReads Rate
}

// loadSecurity reads SecurityConfig through get (the environment with defaults).
func loadSecurity(get func(name, def string) string) (SecurityConfig, error) {
	var s SecurityConfig
	var err error
	s.MetricsToken = get("METRICS_TOKEN", "")
	if s.MetricsToken != "" && len(s.MetricsToken) < 16 {
		return s, &ConfigError{"METRICS_TOKEN", "use at least 16 characters (generate one with: openssl rand -hex 16)"}
	}
	n, err := strconv.Atoi(get("MAX_WAITS_PER_ADDRESS", strconv.Itoa(realtime.DefaultMaxWaitsPerAddress)))
	if err != nil || n < 0 {
		return s, &ConfigError{"MAX_WAITS_PER_ADDRESS", "want a whole number of waiting requests (0 turns the ceiling off)"}
	}
	s.MaxWaitsPerAddress = n
	durations := []struct {
		name, def string
		into      *time.Duration
		min       time.Duration
	}{
		{"ADMIN_SESSION_IDLE", "1h", &s.AdminSessionIdle, time.Minute},
		{"ADMIN_SESSION_MAX", "12h", &s.AdminSessionMax, time.Minute},
		{"POSTING_GRACE", "30m", &s.PostingGrace, 0},
	}
	for _, d := range durations {
		v, err := time.ParseDuration(get(d.name, d.def))
		if err != nil || v < d.min {
			return s, &ConfigError{d.name, fmt.Sprintf("want a duration of at least %s, like %s", d.min, d.def)}
		}
		*d.into = v
	}
	if s.AdminSessionIdle > s.AdminSessionMax {
		return s, &ConfigError{"ADMIN_SESSION_IDLE", "may not be longer than ADMIN_SESSION_MAX"}
	}
	if s.RateReads, err = ParseRate(get("RATE_LIMIT_READS", "30/min")); err != nil {
		return s, &ConfigError{"RATE_LIMIT_READS", err.Error()}
	}
	return s, nil
}

// waitsPerAddress is MaxWaitsPerAddress as realtime takes it (negative: off).
func (s SecurityConfig) waitsPerAddress() int {
	if s.MaxWaitsPerAddress == 0 {
		return -1
	}
	return s.MaxWaitsPerAddress
}

// readCAFile reads REDIS_CA_FILE's PEM bundle.
func readCAFile(path string) ([]byte, error) {
	b, err := os.ReadFile(strings.TrimSpace(path))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}
