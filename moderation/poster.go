package moderation

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/backchannel/backchannel/live"
)

// Keyring seals and opens small secrets with keys derived from SECRET_KEY,
// one per purpose, bound to a context (AES-GCM with associated data): the
// shape of the project's keyring, which the wiring passes.
type Keyring interface {
	Seal(purpose string, plaintext, bound []byte) ([]byte, error)
	Open(purpose string, ciphertext, bound []byte) ([]byte, error)
}

// posterPurpose separates the key of room posters from every other use.
const posterPurpose = "room-poster"

// SealedPoster is what a room post's Poster token holds: the hash of the
// client id the server issued the browser (ClientHash), the address it
// posted from, and when.
type SealedPoster struct {
	ClientHash string    `json:"c"`
	Address    string    `json:"a,omitempty"`
	At         time.Time `json:"t"`
}

// ClientHash is how bans and reports name a browser: a hash of the client
// id, so the rows never hold the cookie itself.
func ClientHash(clientID string) string {
	if clientID == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("backchannel client\x00" + clientID))
	return hex.EncodeToString(sum[:16])
}

// posterBound binds a token to its event: copied into another event's item
// it does not open.
func posterBound(eventID int64) []byte { return []byte("event:" + strconv.FormatInt(eventID, 10)) }

// sealPoster returns the Poster token of a room post by p at t (""
// without a keyring: bans then follow names only).
func sealPoster(k Keyring, eventID int64, p live.Poster, t time.Time) string {
	if k == nil || p.Client == "" && p.Address == "" {
		return ""
	}
	b, err := json.Marshal(SealedPoster{ClientHash: ClientHash(p.Client), Address: p.Address, At: t.UTC().Truncate(time.Second)})
	if err != nil {
		return ""
	}
	ct, err := k.Seal(posterPurpose, b, posterBound(eventID))
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(ct)
}

// openPoster opens a Poster token of eventID.
func openPoster(k Keyring, eventID int64, token string) (SealedPoster, bool) {
	if k == nil || token == "" {
		return SealedPoster{}, false
	}
	ct, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return SealedPoster{}, false
	}
	b, err := k.Open(posterPurpose, ct, posterBound(eventID))
	if err != nil {
		return SealedPoster{}, false
	}
	var p SealedPoster
	if json.Unmarshal(b, &p) != nil || p.ClientHash == "" && p.Address == "" {
		return SealedPoster{}, false
	}
	return p, true
}
