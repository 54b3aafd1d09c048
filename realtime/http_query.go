package realtime

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query limits of the Live API (docs/API.md).
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
// unknown ones (cache busters) are ignored. It runs on every long poll, so it
// scans the string in place and allocates only to unescape.
func ParseLiveQuery(raw string) (LiveQuery, error) {
	q := LiveQuery{Limit: DefaultLimit, Wait: DefaultWait}
	var params [len(liveParams)]queryParam
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if strings.IndexByte(pair, ';') >= 0 {
			return q, errMalformedQuery
		}
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		key, err := queryUnescape(key)
		if err != nil {
			return q, errMalformedQuery
		}
		value, err = queryUnescape(value)
		if err != nil {
			return q, errMalformedQuery
		}
		for i, name := range liveParams {
			if key == name {
				if params[i].n == 0 {
					params[i].value = value
				}
				params[i].n++
			}
		}
	}
	for i, name := range liveParams {
		if params[i].n > 1 {
			return q, &QueryError{name, fmt.Sprintf("Give %s only once.", name)}
		}
		if params[i].n == 0 {
			continue
		}
		if err := q.set(name, params[i].value); err != nil {
			return q, err
		}
	}
	return q, nil
}

// liveParams are the parameters a live request reads, in the order they are
// checked (the first bad one is blamed).
var liveParams = [...]string{"since", "epoch", "limit", "wait"}

type queryParam struct {
	value string
	n     int
}

var errMalformedQuery = &QueryError{"", "The query string is malformed."}

// queryUnescape decodes a query component, without allocating when there is
// nothing to decode.
func queryUnescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// set checks and stores one parameter of a live request.
func (q *LiveQuery) set(name, s string) error {
	switch name {
	case "since":
		n, err := ParseSeq(s)
		if err != nil {
			return &QueryError{"since", "since must be a non-negative whole number (the last seq you hold)."}
		}
		q.HasSince, q.Since = true, n
	case "epoch":
		if !validEpoch(s) {
			return &QueryError{"epoch", "epoch must be the token a previous answer gave."}
		}
		q.Epoch = s
	case "limit":
		n, err := ParseSeq(s)
		if err != nil || n < 1 || n > MaxLimit {
			return &QueryError{"limit", fmt.Sprintf("limit must be a whole number from 1 to %d.", MaxLimit)}
		}
		q.Limit = int(n)
	case "wait":
		n, err := ParseSeq(s)
		if err != nil || n > int64(MaxWait/time.Second) {
			return &QueryError{"wait", fmt.Sprintf("wait must be a whole number of seconds from 0 to %d.", int(MaxWait/time.Second))}
		}
		q.Wait = time.Duration(n) * time.Second
	}
	return nil
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
