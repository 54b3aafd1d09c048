package realtime

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/backchannel/backchannel/live"
)

// FuzzValidateQuestion: whatever a browser sends, a question is refused with
// one sentence, or accepted as valid UTF-8 plain text of 1–300 characters
// (newlines and tabs its only control characters) with a name of at most 40.
func FuzzValidateQuestion(f *testing.F) {
	f.Add("Is grid ready?", "Ada")
	f.Add("", "")
	f.Add("   \r\n\t ", "x")
	f.Add("\xff", "")
	f.Add("<script>alert(1)</script>", "<b>me</b>")
	f.Add(strings.Repeat("€", 300), strings.Repeat("é", 40))
	f.Add(strings.Repeat("€", 301), "")
	f.Add("line one\r\nline two", " padded ")
	f.Add("bell\a", "")
	f.Add("ok", "tab\tname")
	f.Fuzz(func(t *testing.T, text, name string) {
		tx, n, err := ValidateQuestion(text, name)
		if err != nil {
			var qe *QuestionError
			if !errors.As(err, &qe) || !strings.HasSuffix(qe.Message, ".") || strings.Count(qe.Message, ". ") > 0 {
				t.Fatalf("error %q is not one sentence", err)
			}
			return
		}
		if !utf8.ValidString(tx) || !utf8.ValidString(n) {
			t.Fatal("invalid UTF-8 accepted")
		}
		if c := utf8.RuneCountInString(tx); c < 1 || c > live.MaxQuestionText {
			t.Fatalf("text of %d characters accepted", c)
		}
		if c := utf8.RuneCountInString(n); c > live.MaxQuestionName {
			t.Fatalf("name of %d characters accepted", c)
		}
		for _, r := range tx {
			if unicode.IsControl(r) && r != '\n' && r != '\t' {
				t.Fatalf("control character %U accepted in the text", r)
			}
		}
		for _, r := range n {
			if unicode.IsControl(r) {
				t.Fatalf("control character %U accepted in the name", r)
			}
		}
		if tx != strings.TrimSpace(tx) || n != strings.TrimSpace(n) {
			t.Fatal("accepted text or name is not trimmed")
		}
	})
}
