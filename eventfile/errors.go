package eventfile

import (
	"fmt"
	"strings"
)

// Error is one problem in an event file, at a line and a field.
type Error struct {
	File    string
	Line    int    // 1-based; 0 when the problem has no place in a file
	Field   string // e.g. "sessions[1].ends_at"; empty for syntax errors
	Message string
}

// Error formats as "event.yaml:14: sessions[1].ends_at: ends before it starts".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Errors is every problem found in one file, in line order.
type Errors []*Error

// Error joins the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}
