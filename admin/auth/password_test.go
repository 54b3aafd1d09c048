package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/models"
)

func TestHashPasswordProducesArgon2idPHCThatChecks(t *testing.T) {
	h, err := HashPassword("s3cret-password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Count(h, "$") != 5 {
		t.Fatalf("not a PHC argon2id string: %s", h)
	}
	if ok, err := CheckPassword(h, "s3cret-password"); !ok || err != nil {
		t.Fatalf("right password: ok=%v err=%v", ok, err)
	}
	if ok, err := CheckPassword(h, "s3cret-passwore"); ok || err != nil {
		t.Fatalf("wrong password: ok=%v err=%v", ok, err)
	}
	h2, _ := HashPassword("s3cret-password")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestCheckPasswordRejectsMalformedHashes(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=18$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=0,t=2,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaA", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdA$aGFzaA"} {
		if ok, err := CheckPassword(h, "x"); ok || !errors.Is(err, ErrBadHash) {
			t.Errorf("CheckPassword(%q) = %v, %v; want false, ErrBadHash", h, ok, err)
		}
	}
}

func FuzzCheckPassword(f *testing.F) {
	h, _ := HashPassword("pw")
	f.Add(h, "pw")
	f.Add("$argon2id$v=19$m=16,t=1,p=1$c2FsdA$aGFzaA", "x")
	f.Add("$$$$$", "")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		if len(hash) > 300 {
			return
		}
		ok, err := CheckPassword(hash, pw)
		if err != nil && ok {
			t.Fatal("ok with an error")
		}
	})
}

func TestCreateSuperuserIsIdempotentOnEmail(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	ctx := context.Background()
	if err := CreateSuperuser(ctx, db, "Ana@Example.org", "first-password"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("UPDATE users SET is_superuser = false, is_active = false").Error; err != nil {
		t.Fatal(err)
	}
	if err := CreateSuperuser(ctx, db, "ana@example.org", "second-password"); err != nil {
		t.Fatal(err)
	}
	var us []models.User
	if err := db.Find(&us).Error; err != nil {
		t.Fatal(err)
	}
	if len(us) != 1 {
		t.Fatalf("%d users, want 1", len(us))
	}
	if !us[0].IsSuperuser || !us[0].IsActive {
		t.Fatalf("user not an active superuser: %+v", us[0])
	}
	if ok, _ := CheckPassword(us[0].PasswordHash, "second-password"); !ok {
		t.Fatal("password not updated")
	}
	var n int64
	db.Model(&models.AuditEntry{}).Where("object_type = 'user' AND actor = 'cli'").Count(&n)
	if n != 2 {
		t.Fatalf("%d audit entries, want 2 (create, update)", n)
	}
}

func TestCreateSuperuserValidatesEmailAndPasswordLength(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	for _, tc := range []struct{ email, pw, field string }{
		{"not-an-email", "long-enough-pw", "email"},
		{"ana@example.org", "short", "password"},
	} {
		err := CreateSuperuser(context.Background(), db, tc.email, tc.pw)
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Fields[0].Field != tc.field {
			t.Errorf("CreateSuperuser(%q, %q) = %v; want a %s error", tc.email, tc.pw, err, tc.field)
		}
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPasswordsNeedTwelveCharactersAndMayNotBeCommon(t *testing.T) {
	for _, tc := range []struct {
		pw   string
		want string // part of the message; "" for accepted
	}{
		{"elevenchars", "at least 12"},          // 11 characters: the black-box probe's case
		{"ünïcödé-pw!", "at least 12"},          // 11 runes, more bytes: runes count
		{"qwerty123456", "common and breached"}, // on the list
		{"QWERTY123456", "common and breached"}, // compared case-insensitively
		{"1qaz2wsx3edc", "common and breached"}, // a keyboard walk from the list
		{"a long test password", ""},            // the browser tests' password
		{"correct horse battery", ""},           // the admin tests' password
		{"twelve chars", ""},                    // exactly 12, spaces allowed, no rule of classes
		{strings.Repeat("x", MaxPasswordBytes+1), "at most"},
	} {
		got := ValidatePassword(tc.pw)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("ValidatePassword(%q) = %q; want a message with %q", tc.pw, got, tc.want)
		}
	}
	if n := CommonPasswordCount(); n < 40000 {
		t.Fatalf("the embedded list holds %d passwords; want the ~44,000 of the vendored file", n)
	}
}
