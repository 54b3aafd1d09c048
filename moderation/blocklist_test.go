package moderation

import (
	"strings"
	"testing"

	"github.com/backchannel/backchannel/live"
)

func TestTheDefaultBlocklistMatchesWholeWordsOnly(t *testing.T) {
	b := DefaultBlocklist()
	if b.Len() < 500 {
		t.Fatalf("default blocklist has %d entries; the vendored lists were not read", b.Len())
	}
	cases := []struct {
		text  string
		match bool
	}{
		// Words inside words never match.
		{"a first-class keynote", false},
		{"the class of 2026", false},
		{"Massachusetts", false},
		{"assessment of the passes", false},
		{"Scunthorpe United", false},
		{"cocktail hour", false},
		{"shitake mushrooms", false},
		{"analysis paralysis", false},
		{"therapist", false},
		{"grape juice", false},
		// Whole words do, whatever case and compatibility form.
		{"what an ass", true},
		{"ASS!", true},
		{"ｓｈｉｔ happens", true},
		{"(bullshit)", true},
		{"total shit-show", true},
		// Phrases, and entries with other characters.
		{"two girls one cup", true},
		{"s&m", true},
		// Several languages.
		{"So ein Arschloch", true},
		{"quel connard", true},
		{"hijo de puta", true},
		{"vai tomar no cu", true},
		// Spam phrases of our own.
		{"Buy followers today", true},
		{"comprar seguidores ya", true},
		// Everyday words of one language the lists of another hold are
		// excluded (exclude.txt): Spanish "con", English "queue", German
		// "bitte", Portuguese "comer".
		{"café con leche", false},
		{"the queue for coffee", false},
		{"Danke und bitte", false},
		{"vamos comer", false},
		{"the wifi sucks", false},
		{"how to kill a process", false},
	}
	for _, c := range cases {
		if got := b.Matches(c.text); got != c.match {
			t.Errorf("%q: match=%v, want %v", c.text, got, c.match)
		}
	}
}

func TestTheBlocklistAgreesWithTheWordMatcher(t *testing.T) {
	// The set lookup and containsWord are one rule: for every entry and a
	// mix of texts, Matches equals "some entry is contained as a word".
	entries := []string{"ass", "crypto", "buy now", "s&m", "g-spot", "straße", "日本語"}
	b := NewBlocklist(entries)
	for _, text := range []string{"class", "ass", "my ass.", "CRYPTO", "cryptography", "buy  now", "BUY NOW", "s&m!",
		"g-spot", "xg-spot", "STRASSE", "日本語", "日本語学校", "ass_", "_ass", "ass-hat", "é ass é"} {
		want := false
		for _, e := range entries {
			want = want || containsWord(fold(text), fold(e))
		}
		if got := b.Matches(text); got != want {
			t.Errorf("%q: set says %v, containsWord says %v", text, got, want)
		}
	}
}

func TestTheBlocklistHoldsAndNeverHides(t *testing.T) {
	r := Compile(nil, false).WithSettings(Settings{Blocklist: DefaultBlocklist()}, nil)
	it := live.Item{Text: "what a load of bullshit"}
	r.Apply(&it)
	if !it.Held || it.Hidden {
		t.Fatalf("held=%v hidden=%v; want held for a moderator", it.Held, it.Hidden)
	}
	cw := live.Item{Text: "fine", ContentWarning: "fuck this"}
	r.Apply(&cw)
	if !cw.Held {
		t.Fatal("the content warning is not read")
	}
	off := live.Item{Text: "what a load of bullshit"}
	Compile(nil, false).Apply(&off)
	if off.Held || off.Hidden {
		t.Fatal("turned off, it still holds")
	}
}

func TestTheVendoredListsKeepTheirLicence(t *testing.T) {
	b, err := blocklistFiles.ReadFile("blocklist/LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Shutterstock", "creativecommons.org/licenses/by/4.0", "exclude.txt"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("LICENSE does not say %q", want)
		}
	}
	if langs := DefaultBlocklistLanguages(); len(langs) < 4 {
		t.Errorf("languages %v", langs)
	}
}

func BenchmarkDefaultBlocklist(b *testing.B) {
	bl := DefaultBlocklist()
	text := strings.Repeat("Great keynote about the future of CSS layout and container queries. ", 7)
	b.ReportAllocs()
	for b.Loop() {
		if bl.Matches(text) {
			b.Fatal("matched")
		}
	}
}
