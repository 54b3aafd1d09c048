package secrets

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestWeakKeysAreRefusedWithAReason(t *testing.T) {
	cases := map[string]string{
		"tooshort":                           "at least 32",
		strings.Repeat("a", 64):              "distinct",
		strings.Repeat("abc123", 8):          "distinct",
		"generate-with-openssl-rand-hex-32":  "placeholder",
		"CHANGE-ME-CHANGE-ME-please-0123456": "placeholder",
	}
	for key, want := range cases {
		if err := CheckKeyStrength(key); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", key, err, want)
		}
	}
	for _, key := range []string{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "kR3v+Qm9/ZpX2LwT8yHcN4sJfB6gD1aE0uVxIoPq"} {
		if err := CheckKeyStrength(key); err != nil {
			t.Errorf("%q refused: %v", key, err)
		}
	}
}

func TestSealedSecretsOpenOnlyWithTheSameKeyPurposeAndBinding(t *testing.T) {
	k, _ := NewKeyring([]byte("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"))
	other, _ := NewKeyring([]byte("0b822cd15d6c15b0f00a089f86d081884c7d659a2feaa0c55ad015a3bf4f1b2"))
	ct, err := k.Seal("source-token", []byte("tok-123"), []byte("source:1|mastodon.social"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("tok-123")) {
		t.Fatal("plaintext visible in the ciphertext")
	}
	pt, err := k.Open("source-token", ct, []byte("source:1|mastodon.social"))
	if err != nil || string(pt) != "tok-123" {
		t.Fatalf("open: %q %v", pt, err)
	}
	again, _ := k.Seal("source-token", []byte("tok-123"), []byte("source:1|mastodon.social"))
	if bytes.Equal(ct, again) {
		t.Error("two seals of one secret are equal (nonce reused)")
	}
	for name, open := range map[string]func() ([]byte, error){
		"another row":     func() ([]byte, error) { return k.Open("source-token", ct, []byte("source:2|mastodon.social")) },
		"another host":    func() ([]byte, error) { return k.Open("source-token", ct, []byte("source:1|evil.example")) },
		"another purpose": func() ([]byte, error) { return k.Open("session", ct, []byte("source:1|mastodon.social")) },
		"another key":     func() ([]byte, error) { return other.Open("source-token", ct, []byte("source:1|mastodon.social")) },
		"tampered": func() ([]byte, error) {
			bad := append([]byte(nil), ct...)
			bad[len(bad)-1] ^= 1
			return k.Open("source-token", bad, []byte("source:1|mastodon.social"))
		},
		"truncated": func() ([]byte, error) { return k.Open("source-token", ct[:5], nil) },
	} {
		if _, err := open(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: %v, want ErrOpen", name, err)
		}
	}
}

func TestSignaturesAreBoundToTheirPurpose(t *testing.T) {
	k, _ := NewKeyring([]byte("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"))
	mac := k.Sign("login-form", []byte("nonce.1700000000"))
	if !k.Verify("login-form", []byte("nonce.1700000000"), mac) {
		t.Error("own signature refused")
	}
	if k.Verify("login-form", []byte("nonce.1700000001"), mac) || k.Verify("other", []byte("nonce.1700000000"), mac) {
		t.Error("signature accepted for another message or purpose")
	}
}

func TestSourceSecretsAllowOnlyListedVariablesAndTheirHosts(t *testing.T) {
	def, err := ParseSourceSecrets("")
	if err != nil {
		t.Fatal(err)
	}
	if err := def.Allows("MASTODON_TOKEN", "mastodon.social"); err != nil {
		t.Errorf("default list: %v", err)
	}
	err = def.Allows("DATABASE_URL", "evil.example")
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL is not a source secret") || !strings.Contains(err.Error(), "MASTODON_TOKEN") {
		t.Errorf("DATABASE_URL: %v", err)
	}
	pinned, err := ParseSourceSecrets("MASTODON_TOKEN@mastodon.social, MASTODON_TOKEN@fosstodon.org,X_BEARER_TOKEN")
	if err != nil {
		t.Fatal(err)
	}
	if pinned.Allows("MASTODON_TOKEN", "Fosstodon.org") != nil || pinned.Allows("X_BEARER_TOKEN", "api.x.com") != nil {
		t.Error("pinned hosts refused")
	}
	if err := pinned.Allows("MASTODON_TOKEN", "evil.example"); err == nil || !strings.Contains(err.Error(), "only to mastodon.social, fosstodon.org") {
		t.Errorf("pinned to other host: %v", err)
	}
	none, _ := ParseSourceSecrets("-")
	if err := none.Allows("MASTODON_TOKEN", "x"); err == nil {
		t.Error("- allows a variable")
	}
	for _, bad := range []string{"DATABASE_URL", "lower_case", "A@https://x", "SECRET_KEY@x.example"} {
		if _, err := ParseSourceSecrets(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
