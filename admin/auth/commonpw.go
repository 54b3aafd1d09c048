package auth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// commonPasswords is a list of common and breached passwords: the entries
// of at least MinPasswordLength characters of SecLists' top million
// (Mark Burnett's list compiled from public leaks), most common first.
// Where it comes from and its licence: common-passwords.LICENSE.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// commonSet is the list lowercased, sorted and without duplicates, read on
// first use (about 44,000 entries, under a megabyte).
var commonSet = sync.OnceValue(func() []string {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("auth: embedded password list: " + err.Error())
	}
	var out []string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if w := strings.ToLower(strings.TrimSpace(sc.Text())); w != "" {
			out = append(out, w)
		}
	}
	if err := sc.Err(); err != nil {
		panic("auth: embedded password list: " + err.Error())
	}
	slices.Sort(out)
	return slices.Compact(out)
})

// IsCommonPassword reports whether pw, compared case-insensitively (as
// Django's CommonPasswordValidator does), is on the embedded list.
func IsCommonPassword(pw string) bool {
	set := commonSet()
	_, found := slices.BinarySearch(set, strings.ToLower(strings.TrimSpace(pw)))
	return found
}

// CommonPasswordCount is how many distinct entries the embedded list holds.
func CommonPasswordCount() int { return len(commonSet()) }
