package views

import (
	"os/exec"
	"path/filepath"
	"testing"
)

func nodeOrSkip(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH")
	}
	return node
}

func TestEveryScriptPassesNodeCheck(t *testing.T) {
	node := nodeOrSkip(t)
	files, _ := filepath.Glob("static/*.js")
	if len(files) < 3 {
		t.Fatalf("found %d scripts", len(files))
	}
	for _, f := range files {
		if out, err := exec.Command(node, "--check", f).CombinedOutput(); err != nil {
			t.Errorf("node --check %s: %v\n%s", f, err, out)
		}
	}
}

// The live core's behaviour (dedupe by seq, pin order, hide/unhide, bounded
// memory, resume/reset, backoff) is specified in testdata/livecore.test.js,
// run with node's own test runner against a minimal DOM.
func TestLiveCoreBehaviourInNode(t *testing.T) {
	node := nodeOrSkip(t)
	out, err := exec.Command(node, "--test", "--test-reporter=dot", "testdata/livecore.test.js").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test testdata/livecore.test.js: %v\n%s", err, out)
	}
}
