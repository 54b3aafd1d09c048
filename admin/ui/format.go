package ui

import (
	"strconv"
	"time"
)

// Itoa formats an id.
func Itoa(n int64) string { return strconv.FormatInt(n, 10) }

// When formats a time for tables, in UTC, to the minute.
func When(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// MiB formats a byte count in mebibytes; "?" when unknown (negative).
func MiB(b int64) string {
	if b < 0 {
		return "?"
	}
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB"
}

// Ago is a short duration like "3s" or "2m10s".
func Ago(now, t time.Time) string {
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String()
}

// Plural picks the word for n things.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// StatusTitle is the heading of an error page.
func StatusTitle(status int) string {
	switch status {
	case 400:
		return "Bad request"
	case 401:
		return "Not signed in"
	case 403:
		return "Forbidden"
	case 404:
		return "Not found"
	case 422:
		return "Invalid input"
	case 429:
		return "Too many requests"
	case 501:
		return "Not available"
	default:
		if status >= 500 {
			return "Server error"
		}
		return "Error"
	}
}
