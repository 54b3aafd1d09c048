package crud

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/backchannel/backchannel/models"
)

// formatValue shows a column's value in a field of type typ.
func formatValue(typ string, v any, loc *time.Location) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return LocalInput(x, loc)
	case bool:
		return Checkbox(x)
	case []byte:
		v = string(x)
	}
	s := fmt.Sprint(v)
	if typ == "list" {
		var l []string
		if err := json.Unmarshal([]byte(s), &l); err == nil {
			return strings.Join(l, ", ")
		}
	}
	if typ == "json" {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, []byte(s), "", "  "); err == nil {
			return pretty.String()
		}
	}
	return s
}

// SplitList reads a list field: values separated by commas (or new
// lines), trimmed, empty ones dropped.
func SplitList(s string) []string {
	var out []string
	for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Checkbox is a checkbox field's value for b.
func Checkbox(b bool) string {
	if b {
		return "on"
	}
	return ""
}

// LocalInput is the value of a datetime-local input for t in loc.
func LocalInput(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02T15:04")
}

// ParseLocal reads a datetime-local value (or RFC 3339) in loc.
func ParseLocal(s string, loc *time.Location) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// ParseTime reads the datetime field name of v, in loc, into dst, or adds
// an error on the field to verr.
func ParseTime(v Values, name string, loc *time.Location, dst *time.Time, verr *models.ValidationError) {
	t, ok := ParseLocal(v[name], loc)
	if !ok {
		verr.Add(name, "is not a date and time like 2026-05-24T09:00")
		return
	}
	*dst = t
}

// FieldError is a validation error on one field.
func FieldError(field, format string, args ...any) *models.ValidationError {
	v := &models.ValidationError{}
	v.Add(field, format, args...)
	return v
}

// Merge joins validation errors; nil when there are none.
func Merge(vs ...*models.ValidationError) *models.ValidationError {
	out := &models.ValidationError{}
	for _, v := range vs {
		if v != nil {
			out.Fields = append(out.Fields, v.Fields...)
		}
	}
	if len(out.Fields) == 0 {
		return nil
	}
	return out
}
