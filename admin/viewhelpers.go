package admin

import "strings"

func firstCell(r ListRow) string {
	for _, c := range r.Cells {
		if c.Text != "" {
			return c.Text
		}
	}
	return itoa(r.ID)
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

func statusTitle(status int) string {
	switch status {
	case 400:
		return "Bad request"
	case 401:
		return "Not signed in"
	case 403:
		return "Forbidden"
	case 404:
		return "Not found"
	case 422:
		return "Invalid input"
	case 429:
		return "Too many requests"
	case 501:
		return "Not available"
	default:
		if status >= 500 {
			return "Server error"
		}
		return "Error"
	}
}
