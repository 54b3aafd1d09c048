package eventfile

import (
	"context"
	"testing"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/store"
)

func BenchmarkParse(b *testing.B) {
	data := readTestdata(b, "aea-boston.yaml")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("aea-boston.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyUnchanged is a re-apply that finds nothing to change: the
// cost of running `event apply` from a deploy script every time.
func BenchmarkApplyUnchanged(b *testing.B) {
	db := testenv.NewDatabase(b).DB
	data := readTestdata(b, "full.yaml")
	if _, err := ApplyFile(context.Background(), db, "full.yaml", data, store.Actor{Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := ApplyFile(context.Background(), db, "full.yaml", data, store.Actor{Name: "bench"})
		if err != nil || res.Changed() {
			b.Fatal(err, res)
		}
	}
}
