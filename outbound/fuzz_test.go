package outbound

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// FuzzCheckURL: whatever an organizer types, CheckURL never panics, and a
// URL it accepts never names a literal non-public address outside the allow
// list, nor a metadata one at all.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://mastodon.social", "http://169.254.169.254/latest", "http://[fd00:ec2::254]/", "http://[::ffff:10.0.0.1]:80/",
		"http://2130706433/", "http://0x7f.1/", "ws://localhost:1/", "https://user:pw@127.0.0.1:18081/x?y=1#z",
		"http://[fe80::1%25eth0]/", "http://metadata.google.internal./", "wss://jetstream2.us-east.bsky.network/subscribe",
	} {
		f.Add(s)
	}
	p := Policy{AllowPrivate: []string{"127.0.0.1:18081"}}
	f.Fuzz(func(t *testing.T, raw string) {
		err := p.CheckURL(raw)
		if err != nil {
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil {
			t.Fatalf("accepted an unparsable URL %q", raw)
		}
		host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
		if isMetadataName(host) {
			t.Fatalf("accepted a metadata name %q", raw)
		}
		ip, perr := netip.ParseAddr(host)
		if perr != nil {
			return
		}
		reason, meta := Classify(ip)
		if meta || (reason != "" && !p.allows(host, u.Port())) {
			t.Fatalf("accepted %q: %s", raw, reason)
		}
	})
}
