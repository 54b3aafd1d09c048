package realtime

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Query limits of the Live API (API.md).
const (
	DefaultLimit = 50
	MaxLimit     = 500
	DefaultWait  = 25 * time.Second
	MaxWait      = 55 * time.Second
	maxEpochLen  = 64
	maxSeqDigits = 18 // below 2^63: a since that overflows is junk, not a huge number
)

// LiveQuery is a parsed query of GET /live or /stream.
type LiveQuery struct {
	// HasSince is false for a snapshot request (no since at all).
	HasSince bool
	Since    int64
	Epoch    string
	Limit    int
	Wait     time.Duration
}

// QueryError is a malformed query parameter; its message is one sentence a
// client can act on.
type QueryError struct {
	Param   string
	Message string
}

func (e *QueryError) Error() string { return e.Message }

// ParseLiveQuery parses the raw query string of a live request strictly:
// since is a non-negative integer, epoch a short token, limit 1–500 (default
// 50), wait whole seconds 0–55 (default 25). Repeated parameters are refused;
// unknown ones (cache busters) are ignored.
func ParseLiveQuery(raw string) (LiveQuery, error) {
	q := LiveQuery{Limit: DefaultLimit, Wait: DefaultWait}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return q, &QueryError{"", "The query string is malformed."}
	}
	one := func(name string) (string, bool, error) {
		v, ok := vals[name]
		if !ok {
			return "", false, nil
		}
		if len(v) > 1 {
			return "", false, &QueryError{name, fmt.Sprintf("Give %s only once.", name)}
		}
		return v[0], true, nil
	}
	if s, ok, err := one("since"); err != nil {
		return q, err
	} else if ok {
		n, perr := ParseSeq(s)
		if perr != nil {
			return q, &QueryError{"since", "since must be a non-negative whole number (the last seq you hold)."}
		}
		q.HasSince, q.Since = true, n
	}
	if s, ok, err := one("epoch"); err != nil {
		return q, err
	} else if ok {
		if !validEpoch(s) {
			return q, &QueryError{"epoch", "epoch must be the token a previous answer gave."}
		}
		q.Epoch = s
	}
	if s, ok, err := one("limit"); err != nil {
		return q, err
	} else if ok {
		n, perr := ParseSeq(s)
		if perr != nil || n < 1 || n > MaxLimit {
			return q, &QueryError{"limit", fmt.Sprintf("limit must be a whole number from 1 to %d.", MaxLimit)}
		}
		q.Limit = int(n)
	}
	if s, ok, err := one("wait"); err != nil {
		return q, err
	} else if ok {
		n, perr := ParseSeq(s)
		if perr != nil || n > int64(MaxWait/time.Second) {
			return q, &QueryError{"wait", fmt.Sprintf("wait must be a whole number of seconds from 0 to %d.", int(MaxWait/time.Second))}
		}
		q.Wait = time.Duration(n) * time.Second
	}
	return q, nil
}

// ParseSeq parses a non-negative decimal integer written with digits only
// (no sign, no spaces), as since, limit, wait and Last-Event-ID are.
func ParseSeq(s string) (int64, error) {
	if s == "" || len(s) > maxSeqDigits {
		return 0, fmt.Errorf("realtime: %q is not a sequence number", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("realtime: %q is not a sequence number", s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("realtime: %q is not a sequence number: %w", s, err)
	}
	return n, nil
}

// validEpoch accepts the tokens an epoch can be: short, URL-safe characters.
func validEpoch(s string) bool {
	if s == "" || len(s) > maxEpochLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}
