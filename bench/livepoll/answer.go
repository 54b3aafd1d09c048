package main

import (
	"errors"
	"net/url"
	"strings"
)

// rawAnswer is an HTTP answer as the event loops read it.
type rawAnswer struct {
	status     int
	body       []byte // valid until the next read on the connection
	cookie     string // value of the client cookie, when one was set
	lastMod    string // Last-Modified (nchan)
	etag       string // Etag (nchan)
	closeAfter bool   // Connection: close
}

var errAnswer = errors.New("malformed HTTP answer")

func asciiEqualFold(b []byte, s string) bool {
	return len(b) == len(s) && strings.EqualFold(string(b), s)
}

// hostOf returns the host:port of a base URL.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Host
}
