package clientip

import (
	"bytes"
	"net/netip"
	"testing"
)

// FuzzResolve: whatever X-Forwarded-For holds, the answer is the peer or an
// address written in the header, and a peer that is no trusted proxy is
// always the answer.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"", "198.51.100.1", "6.6.6.6, 198.51.100.1, 10.0.0.3", "[2001:db8::1]:80, x", ",,,", "10.0.0.1,10.0.0.2", "1.2.3.4:99999"} {
		f.Add("10.0.0.2", s)
		f.Add("203.0.113.1", s)
	}
	r, _ := New([]string{"10.0.0.0/8"})
	f.Fuzz(func(t *testing.T, peerText, xff string) {
		peer, err := netip.ParseAddr(peerText)
		if err != nil {
			return
		}
		got := r.Resolve(peer, [][]byte{[]byte(xff)})
		if !r.Trusted(peer) {
			if got != peer.Unmap() {
				t.Fatalf("untrusted peer %s answered %s", peer, got)
			}
			return
		}
		if got != peer.Unmap() && !bytes.Contains([]byte(xff), []byte(got.String())) && !containsEquivalent(xff, got) {
			t.Fatalf("answer %s is neither the peer nor in %q", got, xff)
		}
	})
}

// containsEquivalent reports whether some entry of xff parses to a.
func containsEquivalent(xff string, a netip.Addr) bool {
	for _, e := range bytes.Split([]byte(xff), []byte(",")) {
		if b, ok := parseEntry(bytes.TrimSpace(e)); ok && b == a {
			return true
		}
	}
	return false
}
