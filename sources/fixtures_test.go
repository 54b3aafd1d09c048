package sources

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fixture reads a file of testdata/ (copies of the upstream formats' documented examples).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return b
}

var testNow = time.Date(2024, 11, 20, 14, 30, 0, 0, time.UTC)
