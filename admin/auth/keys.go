package auth

// Keys signs and seals with keys derived from SECRET_KEY, one per purpose
// (the wiring passes secrets.Keyring). The admin signs its login-form
// tokens, second-factor steps and device cookies with it, so they need no
// stored state, and seals each account's second-factor secret at rest.
type Keys interface {
	Sign(purpose string, msg []byte) []byte
	Verify(purpose string, msg, mac []byte) bool
	Seal(purpose string, plaintext, bound []byte) ([]byte, error)
	Open(purpose string, ciphertext, bound []byte) ([]byte, error)
}

// Purposes of the keys the admin uses; each is a separate derived key.
const (
	purposeLoginForm = "admin/login-form"
	purposePending   = "admin/second-factor-step"
	purposeDevice    = "admin/device-cookie"
	purposeTOTP      = "admin/totp-secret"
	purposeRecovery  = "admin/recovery-code"
)
