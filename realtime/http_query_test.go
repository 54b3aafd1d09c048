package realtime

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"testing"
	"time"
)

func TestParseLiveQueryAcceptsTheDocumentedParameters(t *testing.T) {
	cases := []struct {
		raw  string
		want LiveQuery
	}{
		{"", LiveQuery{Limit: 50, Wait: 25 * time.Second}},
		{"since=0", LiveQuery{HasSince: true, Since: 0, Limit: 50, Wait: 25 * time.Second}},
		{"since=42&epoch=ab-12_Z.9:x&limit=500&wait=55", LiveQuery{HasSince: true, Since: 42, Epoch: "ab-12_Z.9:x", Limit: 500, Wait: 55 * time.Second}},
		{"since=7&wait=0&limit=1", LiveQuery{HasSince: true, Since: 7, Limit: 1, Wait: 0}},
		{"since=3&_=1716540000", LiveQuery{HasSince: true, Since: 3, Limit: 50, Wait: 25 * time.Second}},
	}
	for _, tc := range cases {
		got, err := ParseLiveQuery(tc.raw)
		if err != nil {
			t.Errorf("ParseLiveQuery(%q): %v", tc.raw, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseLiveQuery(%q) = %+v, want %+v", tc.raw, got, tc.want)
		}
	}
}

func TestParseLiveQueryRefusesJunkNamingTheParameter(t *testing.T) {
	cases := []struct{ raw, param string }{
		{"since=abc", "since"},
		{"since=", "since"},
		{"since=-1", "since"},
		{"since=+1", "since"},
		{"since=1.5", "since"},
		{"since=%201", "since"},
		{"since=99999999999999999999", "since"},
		{"since=1&since=2", "since"},
		{"limit=0", "limit"},
		{"limit=501", "limit"},
		{"limit=ten", "limit"},
		{"wait=99", "wait"},
		{"wait=56", "wait"},
		{"wait=-1", "wait"},
		{"wait=1s", "wait"},
		{"epoch=", "epoch"},
		{"epoch=a%20b", "epoch"},
		{"epoch=" + string(make([]byte, 65)), "epoch"},
		{"since=%zz", ""},
	}
	for _, tc := range cases {
		_, err := ParseLiveQuery(tc.raw)
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("ParseLiveQuery(%q) err = %v, want a *QueryError", tc.raw, err)
			continue
		}
		if qe.Param != tc.param {
			t.Errorf("ParseLiveQuery(%q) blamed %q, want %q", tc.raw, qe.Param, tc.param)
		}
		if qe.Message == "" || qe.Message[len(qe.Message)-1] != '.' {
			t.Errorf("ParseLiveQuery(%q) message %q is not one sentence", tc.raw, qe.Message)
		}
	}
}

func FuzzParseLiveQuery(f *testing.F) {
	for _, s := range []string{"", "since=1", "since=abc", "limit=0", "wait=99", "since=5&epoch=e1&limit=10&wait=3",
		"since=1&since=2", "%zz", "since=18446744073709551616", "epoch=%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := ParseLiveQuery(raw)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("error %v is not a *QueryError", err)
			}
			return
		}
		if q.Since < 0 || q.Limit < 1 || q.Limit > MaxLimit || q.Wait < 0 || q.Wait > MaxWait {
			t.Fatalf("out of range query accepted: %+v from %q", q, raw)
		}
		if q.Epoch != "" && !validEpoch(q.Epoch) {
			t.Fatalf("bad epoch accepted: %q", q.Epoch)
		}
	})
}

// parseLiveQueryWithNetURL is the parser ParseLiveQuery replaced, on
// net/url: the fuzz target holds the new one to the same answers.
func parseLiveQueryWithNetURL(raw string) (LiveQuery, error) {
	q := LiveQuery{Limit: DefaultLimit, Wait: DefaultWait}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return q, errMalformedQuery
	}
	for _, name := range liveParams {
		v, ok := vals[name]
		if !ok {
			continue
		}
		if len(v) > 1 {
			return q, &QueryError{name, fmt.Sprintf("Give %s only once.", name)}
		}
		if err := q.set(name, v[0]); err != nil {
			return q, err
		}
	}
	return q, nil
}

func FuzzParseLiveQueryMatchesNetURL(f *testing.F) {
	for _, s := range []string{"", "since=1", "since=1;x=2", "sinc%65=4", "since=1&&wait=3", "since=1&since", "epoch=a+b", "limit=%35",
		"=&=", "since=2&epoch=x&since=%zz", "wait=3&since=1&since=2&epoch="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, gotErr := ParseLiveQuery(raw)
		want, wantErr := parseLiveQueryWithNetURL(raw)
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Fatalf("ParseLiveQuery(%q) err = %v, net/url's parser says %v", raw, gotErr, wantErr)
		}
		if gotErr == nil && got != want {
			t.Fatalf("ParseLiveQuery(%q) = %+v, net/url's parser says %+v", raw, got, want)
		}
	})
}

func BenchmarkParseLiveQuery(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseLiveQuery("since=1234&epoch=b7d2c8d5cfc38a63&wait=25&limit=500"); err != nil {
			b.Fatal(err)
		}
	}
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func FuzzValidSlugMatchesItsPattern(f *testing.F) {
	for _, s := range []string{"", "demo", "a-b", "-a", "a-", "a--b", "A", "pycon-2026", "a_b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validSlug(s), slugPattern.MatchString(s); got != want {
			t.Fatalf("validSlug(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}
