package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/models"
)

// The second factor: TOTP (RFC 6238) as authenticator apps speak it (six
// digits, 30-second steps, SHA-1), through github.com/pquerna/otp. A code is
// accepted one step early or late (clock drift) and only once: the last
// step an account used is kept, and a code of that step or an earlier one
// is refused (RFC 6238, section 5.2). The secret is stored sealed with a
// key derived from SECRET_KEY and bound to the account. Recovery codes are
// shown once, kept as HMACs, and each works once.

const (
	totpIssuer      = "Backchannel"
	totpPeriod      = 30
	totpSkew        = 1
	recoveryCount   = 10
	recoveryLetters = "abcdefghjkmnpqrstuvwxyz023456789" // 32: no o, 1, l, i
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// totpOffer is a new secret for an account to scan.
type totpOffer struct {
	Secret string // base32, as apps want it typed
	URI    string // otpauth://
	QR     string // data: URL of a PNG of URI
}

// newTOTPOffer makes a fresh secret for email.
func newTOTPOffer(email string) (totpOffer, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: email, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return totpOffer{}, fmt.Errorf("auth: new second factor: %w", err)
	}
	return offerOf(key.Secret(), email)
}

// offerOf describes an existing secret for email.
func offerOf(secret, email string) (totpOffer, error) {
	key, err := otp.NewKeyFromURL("otpauth://totp/" + totpIssuer + ":" + strings.ReplaceAll(email, "?", "") +
		"?secret=" + secret + "&issuer=" + totpIssuer + "&period=30&digits=6&algorithm=SHA1")
	if err != nil {
		return totpOffer{}, fmt.Errorf("auth: second factor key: %w", err)
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return totpOffer{}, fmt.Errorf("auth: second factor QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return totpOffer{}, fmt.Errorf("auth: second factor QR code: %w", err)
	}
	return totpOffer{Secret: secret, URI: key.URL(), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// totpStep returns the step whose code code is, within the allowed drift
// of now, or -1.
func totpStep(secret, code string, now time.Time) int64 {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return -1
	}
	cur := now.Unix() / totpPeriod
	for _, step := range []int64{cur, cur - 1, cur + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step
		}
	}
	return -1
}

// useStep records that uid used step, and reports false when it (or a
// later one) was used already: each code works once.
var useStep = rueidis.NewLuaScript(`
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

func (a *Auth) claimStep(ctx context.Context, uid, step int64) (bool, error) {
	key := a.cfg.Namespace + "admin:2fa-step:" + strconv.FormatInt(uid, 10)
	ok, err := useStep.Exec(ctx, a.cfg.Redis, []string{key},
		[]string{strconv.FormatInt(step, 10), strconv.Itoa((2*totpSkew + 2) * totpPeriod * 1000)}).AsInt64()
	if err != nil {
		return false, fmt.Errorf("auth: second factor replay check: %w", err)
	}
	return ok == 1, nil
}

// sealTOTP and openTOTP keep an account's secret sealed, bound to it.
func (a *Auth) sealTOTP(uid int64, secret string) ([]byte, error) {
	return a.cfg.Keys.Seal(purposeTOTP, []byte(secret), []byte("user:"+strconv.FormatInt(uid, 10)))
}

func (a *Auth) openTOTP(u *models.User) (string, error) {
	b, err := a.cfg.Keys.Open(purposeTOTP, u.TOTPSecret, []byte("user:"+strconv.FormatInt(u.ID, 10)))
	if err != nil {
		return "", fmt.Errorf("auth: open the second factor of user %d: %w", u.ID, err)
	}
	return string(b), nil
}

// newRecoveryCodes returns recoveryCount fresh codes (xxxxx-xxxxx, 50 bits
// each) and their hashes for uid.
func (a *Auth) newRecoveryCodes(uid int64) (codes, hashes []string) {
	for range recoveryCount {
		var b [10]byte
		_, _ = rand.Read(b[:])
		var sb strings.Builder
		for i, x := range b {
			if i == 5 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryLetters[x&31])
		}
		codes = append(codes, sb.String())
		hashes = append(hashes, a.recoveryHash(uid, sb.String()))
	}
	return codes, hashes
}

// recoveryHash is what is stored of a recovery code: its HMAC, bound to
// the account, after dropping spaces, dashes and case.
func (a *Auth) recoveryHash(uid int64, code string) string {
	norm := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	return hex.EncodeToString(a.cfg.Keys.Sign(purposeRecovery, []byte(strconv.FormatInt(uid, 10)+"|"+norm)))
}

// looksLikeRecoveryCode tells a recovery code from a six-digit one.
func looksLikeRecoveryCode(code string) bool {
	return len(strings.TrimSpace(code)) > 6
}
