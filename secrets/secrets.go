// Package secrets owns what SECRET_KEY protects and which secrets sources
// may use:
//
//   - Keyring derives one independent key per purpose from SECRET_KEY
//     (HKDF-SHA256, RFC 5869), so a key leaked from one use says nothing
//     about another: Seal and Open encrypt small secrets at rest (AES-256-GCM
//     with the row's identity as associated data, so a ciphertext copied to
//     another row does not open), Sign and Verify make and check MACs
//     (HMAC-SHA256) for tokens that need no stored state.
//   - CheckKeyStrength refuses a SECRET_KEY that is short or has few
//     distinct characters (a placeholder, a word repeated).
//   - SourceSecrets is the operator's list of environment variables a
//     source's token_env may name (SOURCE_SECRETS, docs/API.md), each
//     optionally bound to the one host it may be sent to.
//
// This package imports no package of ours and holds no state; it never logs
// a secret and its errors never contain one.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
)

// MinKeyLength and MinDistinct are what CheckKeyStrength asks of SECRET_KEY.
const (
	MinKeyLength = 32
	MinDistinct  = 10
)

// CheckKeyStrength returns nil for a key fit for production, else one
// sentence saying why it is not. 32 random hex digits have 16 distinct
// characters but for a chance of about one in ten thousand; a word, a
// placeholder or a repeated pattern has far fewer, or names itself.
func CheckKeyStrength(key string) error {
	if len(key) < MinKeyLength {
		return fmt.Errorf("must be at least %d characters (generate one with: openssl rand -hex 32)", MinKeyLength)
	}
	distinct := map[rune]bool{}
	for _, r := range key {
		distinct[r] = true
	}
	if len(distinct) < MinDistinct {
		return fmt.Errorf("has only %d distinct characters, which is not random (generate one with: openssl rand -hex 32)", len(distinct))
	}
	lower := strings.ToLower(key)
	for _, w := range []string{"changeme", "change-me", "change_me", "generate", "placeholder", "example", "secret_key", "secret-key", "your-secret", "insecure"} {
		if strings.Contains(lower, w) {
			return fmt.Errorf("looks like a placeholder (it contains %q); generate one with: openssl rand -hex 32", w)
		}
	}
	return nil
}

// Keyring holds the keys derived from SECRET_KEY.
type Keyring struct {
	master []byte
}

// NewKeyring returns the keyring of a SECRET_KEY (any length; the
// configuration checks its strength).
func NewKeyring(secretKey []byte) (*Keyring, error) {
	if len(secretKey) == 0 {
		return nil, errors.New("secrets: empty SECRET_KEY")
	}
	return &Keyring{master: append([]byte(nil), secretKey...)}, nil
}

// key derives the 32-byte key of one purpose. The salt is fixed: SECRET_KEY
// is already secret; the purpose (HKDF's info) is what separates keys.
func (k *Keyring) key(purpose string) []byte {
	b, err := hkdf.Key(sha256.New, k.master, []byte("backchannel"), "backchannel/"+purpose, 32)
	if err != nil {
		panic("secrets: hkdf: " + err.Error()) // only for lengths above 255*32
	}
	return b
}

// sealVersion prefixes every ciphertext, so the format can change later
// (a key rotation, another cipher) while old rows still open.
const sealVersion = 1

// ErrOpen is a ciphertext that does not open: another key, another row, or
// tampered with.
var ErrOpen = errors.New("secrets: the stored secret does not open with this SECRET_KEY (was the key changed, or the row copied?)")

// Seal encrypts plaintext for purpose; bound (e.g. "source:12|mastodon.social")
// must be given again to Open.
func (k *Keyring) Seal(purpose string, plaintext, bound []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("secrets: nonce: %w", err)
	}
	return aead.Seal(out, out[1:1+aead.NonceSize()], plaintext, bound), nil
}

// Open decrypts what Seal made for the same purpose and bound.
func (k *Keyring) Open(purpose string, ciphertext, bound []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	n := aead.NonceSize()
	if len(ciphertext) < 1+n+aead.Overhead() || ciphertext[0] != sealVersion {
		return nil, ErrOpen
	}
	pt, err := aead.Open(nil, ciphertext[1:1+n], ciphertext[1+n:], bound)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

func (k *Keyring) aead(purpose string) (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.key("seal/" + purpose))
	if err != nil {
		return nil, fmt.Errorf("secrets: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: gcm: %w", err)
	}
	return aead, nil
}

// Sign returns the MAC of msg for purpose.
func (k *Keyring) Sign(purpose string, msg []byte) []byte {
	m := hmac.New(sha256.New, k.key("sign/"+purpose))
	m.Write(msg)
	return m.Sum(nil)
}

// Verify reports whether mac is msg's MAC for purpose (in constant time).
func (k *Keyring) Verify(purpose string, msg, mac []byte) bool {
	return hmac.Equal(k.Sign(purpose, msg), mac)
}
