package app

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// adminKeys derives the admin's per-purpose keys from SECRET_KEY the way
// the secrets package's Keyring does (HKDF-SHA256, salt "backchannel",
// info "backchannel/"+purpose; HMAC-SHA256 to sign, AES-256-GCM to seal),
// until that package is wired here.
type adminKeys struct{ master []byte }

func (k adminKeys) key(purpose string) []byte {
	b, err := hkdf.Key(sha256.New, k.master, []byte("backchannel"), "backchannel/"+purpose, 32)
	if err != nil {
		panic("app: hkdf: " + err.Error())
	}
	return b
}

func (k adminKeys) Sign(purpose string, msg []byte) []byte {
	m := hmac.New(sha256.New, k.key("sign/"+purpose))
	m.Write(msg)
	return m.Sum(nil)
}

func (k adminKeys) Verify(purpose string, msg, mac []byte) bool {
	return hmac.Equal(k.Sign(purpose, msg), mac)
}

func (k adminKeys) aead(purpose string) (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.key("seal/" + purpose))
	if err != nil {
		return nil, fmt.Errorf("app: cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

func (k adminKeys) Seal(purpose string, plaintext, bound []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = 1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("app: nonce: %w", err)
	}
	return aead.Seal(out, out[1:1+aead.NonceSize()], plaintext, bound), nil
}

func (k adminKeys) Open(purpose string, ciphertext, bound []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	n := aead.NonceSize()
	if len(ciphertext) < 1+n+aead.Overhead() || ciphertext[0] != 1 {
		return nil, errors.New("app: the sealed secret does not open with this SECRET_KEY")
	}
	return aead.Open(nil, ciphertext[1:1+n], ciphertext[1+n:], bound)
}
