package sources

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/secrets"
	"github.com/backchannel/backchannel/store"
)

// tokenPurpose names the key stored tokens are sealed with (package secrets).
const tokenPurpose = "source-token"

// maxToken bounds a stored token (X bearer tokens are about 110 characters).
const maxToken = 4096

// tokenBinding is the associated data a token is sealed with: a ciphertext
// copied to another source, or kept after the source moved to another
// host, does not open.
func tokenBinding(sourceID int64, host string) []byte {
	return []byte("source:" + strconv.FormatInt(sourceID, 10) + "|" + host)
}

// SetToken stores the token an organizer entered for a source: sealed with
// a key derived from SECRET_KEY, bound to the source and to the host it is
// configured for now, and audited without the token. It is write-only: no
// function returns it but the runner's. An empty token removes it. The
// runner prefers it over token_env, and restarts with it at once (the
// source's updated_at changes). The admin's source form calls this.
func SetToken(ctx context.Context, db *gorm.DB, keys *secrets.Keyring, sourceID int64, token string, actor store.Actor) error {
	st := store.New(db)
	token = strings.TrimSpace(token)
	if token == "" {
		return st.Tx(ctx, func(tx *store.Store) error { return tx.SetSourceToken(ctx, sourceID, store.SourceToken{}, actor) })
	}
	v := &models.ValidationError{}
	switch {
	case len(token) > maxToken:
		v.Add("token", "is %d characters long; at most %d", len(token), maxToken)
	case strings.ContainsFunc(token, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }):
		v.Add("token", "must be one word without spaces or line breaks")
	}
	if len(v.Fields) > 0 {
		return v
	}
	src, err := st.Source(ctx, sourceID)
	if err != nil {
		return fmt.Errorf("sources: set token: %w", err)
	}
	host := SourceHost(src.Kind, src.Config)
	if host == "" {
		v.Add("token", "a %s source sends no token", src.Kind)
		return v
	}
	ct, err := keys.Seal(tokenPurpose, []byte(token), tokenBinding(sourceID, host))
	if err != nil {
		return err
	}
	return st.Tx(ctx, func(tx *store.Store) error {
		return tx.SetSourceToken(ctx, sourceID, store.SourceToken{Ciphertext: ct, Host: host, SetAt: time.Now()}, actor)
	})
}

// TokenStatus says whether a source has a stored token and for which host,
// never the token itself (for the admin: "token set for mastodon.social on
// …", or "token entered for another host").
type TokenStatus struct {
	Set   bool
	Host  string
	SetAt time.Time
	// Stale is true when the source now points at another host: the token
	// is not sent until it is entered again.
	Stale bool
}

// StoredTokenStatus reports a source's stored token without opening it.
func StoredTokenStatus(ctx context.Context, db *gorm.DB, src models.Source) (TokenStatus, error) {
	tok, ok, err := store.New(db).SourceToken(ctx, src.ID)
	if err != nil || !ok {
		return TokenStatus{}, err
	}
	return TokenStatus{Set: true, Host: tok.Host, SetAt: tok.SetAt, Stale: tok.Host != SourceHost(src.Kind, src.Config)}, nil
}

// storedToken opens a source's stored token when it was entered for host;
// "" when there is none, it belongs to another host, or no keyring is set.
func (m *Manager) storedToken(ctx context.Context, sourceID int64, host string) (string, error) {
	if m.db == nil {
		return "", nil
	}
	tok, ok, err := store.New(m.db).SourceToken(ctx, sourceID)
	if err != nil || !ok {
		return "", err
	}
	if tok.Host != host {
		return "", fmt.Errorf("the token was entered for %s, but the source now points at %s; enter it again", tok.Host, host)
	}
	if m.opts.Keyring == nil {
		return "", errors.New("no SECRET_KEY keyring configured")
	}
	pt, err := m.opts.Keyring.Open(tokenPurpose, tok.Ciphertext, tokenBinding(sourceID, host))
	if err != nil {
		return "", err
	}
	return string(pt), nil
}
