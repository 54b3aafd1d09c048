package sources

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/backchannel/backchannel/live"
)

// checkItemInvariants asserts what every parser promises whatever the input.
func checkItemInvariants(t *testing.T, it live.Item) {
	t.Helper()
	if it.ID == "" || !strings.HasPrefix(it.ID, it.Source+":") {
		t.Errorf("id %q does not start with source %q", it.ID, it.Source)
	}
	if !utf8.ValidString(it.Text) || !utf8.ValidString(it.HTML) {
		t.Errorf("invalid UTF-8")
	}
	low := strings.ToLower(it.HTML)
	for _, bad := range []string{"<script", "<img", "<iframe", "href=\"javascript", "<style", "<details"} {
		if strings.Contains(low, bad) {
			t.Errorf("html contains %q: %s", bad, it.HTML)
		}
	}
	for _, m := range it.Media {
		if SafeURL(m.URL) == "" || (m.ThumbURL != "" && SafeURL(m.ThumbURL) == "") {
			t.Errorf("unsafe media %+v", m)
		}
	}
	if it.URL != "" && SafeURL(it.URL) == "" {
		t.Errorf("unsafe origin %q", it.URL)
	}
	if it.CreatedAt.Location().String() != "UTC" || it.Media == nil {
		t.Errorf("created_at not UTC or media nil")
	}
}
