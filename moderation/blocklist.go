package moderation

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
)

// The default blocklist: slurs, obscenities and spam phrases in several
// languages, on for every event unless its organizer turns it off. The
// lists are LDNOOBW's (blocklist/ldnoobw, CC BY 4.0, blocklist/LICENSE),
// vendored unmodified so they can be updated by copying the files again;
// blocklist/exclude.txt drops the entries that are everyday words (in their
// own language or in another one this one matcher also reads), and
// blocklist/spam.txt adds spam phrases of our own.
//
// A match holds the item for a moderator instead of hiding it: public
// lists over-match, and a held item a moderator approves in a second costs
// less than a good post nobody ever sees.

//go:embed blocklist/LICENSE blocklist/exclude.txt blocklist/spam.txt blocklist/ldnoobw
var blocklistFiles embed.FS

// Blocklist is a compiled list of words and phrases, matched as whole words
// after folding, exactly as word rules are (containsWord): "class" does not
// match "ass". Entries made only of word characters are looked up in a set
// by each word of the text (see isWord). A phrase is searched with
// containsWord only when the text holds its first word: a phrase occurs as
// whole words only where its leading run of word characters is a whole
// word of the text. Phrases that start with another character are always
// searched.
type Blocklist struct {
	words   map[string]bool
	byFirst map[string][]string
	others  []string
}

// NewBlocklist compiles entries (any case and form: they are folded).
func NewBlocklist(entries []string) *Blocklist {
	b := &Blocklist{words: map[string]bool{}, byFirst: map[string][]string{}}
	for _, e := range entries {
		e = fold(strings.TrimSpace(e))
		switch {
		case e == "":
		case isWord(e):
			b.words[e] = true
		default:
			first := ""
			eachWord(e, func(w string) bool { first = w; return true })
			if first != "" && strings.HasPrefix(e, first) {
				b.byFirst[first] = append(b.byFirst[first], e)
			} else {
				b.others = append(b.others, e)
			}
		}
	}
	return b
}

// Len is the number of entries.
func (b *Blocklist) Len() int {
	n := len(b.words) + len(b.others)
	for _, ps := range b.byFirst {
		n += len(ps)
	}
	return n
}

// Matches reports whether an entry occurs in text as whole words.
func (b *Blocklist) Matches(text string) bool {
	if b == nil || text == "" {
		return false
	}
	s := fold(text)
	if eachWord(s, func(w string) bool {
		if b.words[w] {
			return true
		}
		for _, p := range b.byFirst[w] {
			if containsWord(s, p) {
				return true
			}
		}
		return false
	}) {
		return true
	}
	for _, p := range b.others {
		if containsWord(s, p) {
			return true
		}
	}
	return false
}

var (
	defaultBlocklist     *Blocklist
	defaultBlocklistErr  error
	defaultBlocklistOnce sync.Once
)

// DefaultBlocklist returns the default blocklist (compiled once).
func DefaultBlocklist() *Blocklist {
	defaultBlocklistOnce.Do(func() {
		entries, err := defaultEntries()
		if err != nil {
			defaultBlocklistErr = err
			defaultBlocklist = NewBlocklist(nil)
			return
		}
		defaultBlocklist = NewBlocklist(entries)
	})
	if defaultBlocklistErr != nil {
		panic(defaultBlocklistErr) // the files are embedded: a failure is a build mistake
	}
	return defaultBlocklist
}

// DefaultBlocklistLanguages are the languages of the vendored lists.
func DefaultBlocklistLanguages() []string {
	ents, _ := fs.ReadDir(blocklistFiles, "blocklist/ldnoobw")
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// defaultEntries reads the vendored lists less exclude.txt, plus spam.txt.
func defaultEntries() ([]string, error) {
	exclude := map[string]bool{}
	ex, err := readList("blocklist/exclude.txt")
	if err != nil {
		return nil, err
	}
	for _, e := range ex {
		exclude[fold(e)] = true
	}
	var out []string
	for _, lang := range DefaultBlocklistLanguages() {
		words, err := readList(path.Join("blocklist/ldnoobw", lang))
		if err != nil {
			return nil, err
		}
		for _, w := range words {
			if !exclude[fold(w)] {
				out = append(out, w)
			}
		}
	}
	spam, err := readList("blocklist/spam.txt")
	if err != nil {
		return nil, err
	}
	return append(out, spam...), nil
}

// readList reads one entry per line; blank lines and lines starting with #
// are skipped.
func readList(name string) ([]string, error) {
	f, err := blocklistFiles.Open(name)
	if err != nil {
		return nil, fmt.Errorf("moderation: blocklist %s: %w", name, err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("moderation: blocklist %s: %w", name, err)
	}
	return out, nil
}
