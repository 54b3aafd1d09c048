package app

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The reference nginx (deploy/nginx.conf) serves the app over HTTPS only:
// its port-80 server redirects every request and proxies none.
func TestTheReferenceNginxRedirectsHTTPToHTTPS(t *testing.T) {
	b, err := os.ReadFile("../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	var plain []string
	for _, block := range strings.Split(string(b), "\nserver {")[1:] {
		if regexp.MustCompile(`(?m)^\s*listen (\[::\]:)?80;`).MatchString(block) {
			plain = append(plain, block)
		}
	}
	if len(plain) != 1 {
		t.Fatalf("%d servers listen on port 80; want one, the redirect", len(plain))
	}
	if !strings.Contains(plain[0], "return 301 https://$host$request_uri;") || strings.Contains(plain[0], "proxy_pass") {
		t.Fatalf("the port-80 server does not only redirect to HTTPS:\n%s", plain[0])
	}
	if !strings.Contains(string(b), "X-Forwarded-For $remote_addr") {
		t.Fatal("the HTTPS server does not set X-Forwarded-For to the client's address")
	}
}
