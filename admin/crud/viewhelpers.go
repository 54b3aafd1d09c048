package crud

import (
	"strconv"
	"strings"
)

func firstCell(r ListRow) string {
	for _, c := range r.Cells {
		if c.Text != "" {
			return c.Text
		}
	}
	return strconv.FormatInt(r.ID, 10)
}

func hasFieldErrors(v FormView) bool {
	for _, f := range v.Fields {
		if f.Error != "" {
			return true
		}
	}
	return false
}

func describedBy(f FieldView) string {
	var ids []string
	if f.Help != "" {
		ids = append(ids, "f-"+f.Name+"-help")
	}
	if f.Error != "" {
		ids = append(ids, "f-"+f.Name+"-error")
	}
	return strings.Join(ids, " ")
}

func inputType(t string) string {
	switch t {
	case "email", "password":
		return t
	case "datetime":
		return "datetime-local"
	default:
		return "text"
	}
}
