package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

var samplePages = []string{
	`{"entries":[],"next":7,"more":false,"epoch":"e1","head":7}`,
	`{"entries":[{"seq":8,"op":"add","item":{"seq":8,"id":"bench:x-1","source":"bench","kind":"post","author":{"name":"b \"q\" \u00e9"},"text":"t","html":"<p>t</p>","media":[{"url":"u","w":1.5e2}],"created_at":"2026-11-26T03:05:03.443782785Z","received_at":"2026-11-26T03:05:03.443782785Z","pinned":false}},{"seq":9,"op":"hide","target":8}],"next":9,"more":true,"epoch":"e1","head":12}`,
	`{"reset":true,"items":[{"seq":200,"source":"bench"}],"epoch":"b7","head":200,"next":200}`,
	` { "entries" : [ { "seq" : 1 , "item" : null } ] , "next" : 1 , "epoch" : "x" , "head" : 1 } `,
}

func TestParsePageAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range samplePages {
		var want page
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("sample %s: %v", s, err)
		}
		got, err := parsePage([]byte(s))
		if err != nil {
			t.Fatalf("parsePage(%s): %v", s, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("parsePage(%s) = %+v, encoding/json says %+v", s, got, want)
		}
	}
}

func TestParsePageRefusesBrokenJSON(t *testing.T) {
	for _, s := range []string{``, `{`, `{"entries":[`, `{"next":x}`, `{"epoch":"a}`, `{"entries":[{"seq":1,}]}`, `{} x`, `[]`} {
		if _, err := parsePage([]byte(s)); err == nil {
			t.Errorf("parsePage(%q) accepted it", s)
		}
	}
}

// FuzzParsePage: whatever both encoding/json and parsePage read as a page
// they read the same, and nothing makes parsePage panic. Inputs with bytes
// beyond ASCII are only run, not compared: encoding/json also folds keys
// through Unicode (the Kelvin sign matches k), which the server never sends.
func FuzzParsePage(f *testing.F) {
	for _, s := range samplePages {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parsePage([]byte(s))
		var want page
		if json.Unmarshal([]byte(s), &want) != nil || err != nil || !isASCII(s) {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parsePage(%q) = %+v, encoding/json says %+v", s, got, want)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
