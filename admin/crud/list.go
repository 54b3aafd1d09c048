package crud

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/web"
)

// ListView is the generic list page's view model.
type ListView struct {
	Title      string
	Singular   string
	Base       string
	NewURL     string // "" when the user may not create
	Columns    []ColumnView
	Rows       []ListRow
	Filters    []FilterView
	Search     string
	Searchable bool
	Total      int64
	Page       int
	Pages      int
	PrevURL    string
	NextURL    string
	Actions    []Choice
	// Hidden are the current query's fields, so "all matching" bulk actions
	// select exactly what the page shows.
	Hidden []Choice
}

// ColumnView is a column header, with its sort link when sortable.
type ColumnView struct {
	Label   string
	SortURL string
	Sorted  string // "ascending", "descending" or ""
}

// ListRow is one row: its id, cells and form link.
type ListRow struct {
	ID    int64
	Cells []Cell
}

// Cell is one table cell; Href makes it a link.
type Cell struct {
	Text string
	Href string
}

// FilterView is one filter with its choices as links.
type FilterView struct {
	Label   string
	Choices []FilterChoice
}

// FilterChoice is one link of a filter.
type FilterChoice struct {
	Label    string
	URL      string
	Selected bool
}

// Query is a list request: filters, search, sort and page, already checked
// against the resource's allowlists.
type Query struct {
	Filters map[string]string
	Search  string
	Sort    string
	Page    int
}

// parseQuery reads filters, search, sort and page, keeping only allowlisted values.
func (r *Resource) parseQuery(c *fiber.Ctx) Query {
	q := Query{Filters: map[string]string{}, Search: strings.TrimSpace(c.Query("q")), Page: 1}
	for _, f := range r.Filters {
		v := c.Query(f.Key)
		for _, ch := range f.Choices {
			if ch.Value == v {
				q.Filters[f.Key] = v
			}
		}
	}
	if s := c.Query("sort"); r.sortable(strings.TrimPrefix(s, "-")) != "" {
		q.Sort = s
	} else {
		q.Sort = r.DefaultSort
	}
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 0 && p < 1_000_000 {
		q.Page = p
	}
	if len(q.Search) > 200 {
		q.Search = q.Search[:200]
	}
	return q
}

// values renders q back into URL parameters, with overrides.
func (q Query) values(over map[string]string) url.Values {
	v := url.Values{}
	for k, x := range q.Filters {
		v.Set(k, x)
	}
	if q.Search != "" {
		v.Set("q", q.Search)
	}
	if q.Sort != "" {
		v.Set("sort", q.Sort)
	}
	for k, x := range over {
		if x == "" {
			v.Del(k)
		} else {
			v.Set(k, x)
		}
	}
	return v
}

func withQuery(base string, v url.Values) string {
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// list is the generic list page (Django's changelist).
func (s *Site) list(r *Resource) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, err := s.scope(c, r)
		if err != nil {
			return err
		}
		q := r.parseQuery(c)
		ctx := c.UserContext()
		per := r.PerPage
		if per <= 0 {
			per = 50
		}
		l := r.list(sc, q)
		total, err := s.st.AdminCount(ctx, l)
		if err != nil {
			return err
		}
		cols := make([]string, len(r.Columns))
		for i, col := range r.Columns {
			cols[i] = col.SQL
		}
		rows, err := s.st.AdminRows(ctx, l, cols, r.order(q.Sort), per, (q.Page-1)*per)
		if err != nil {
			return err
		}
		base := r.Base(sc.EventID())
		v := ListView{Title: r.Plural, Singular: r.Singular, Base: base, Total: total, Page: q.Page,
			Search: q.Search, Searchable: len(r.Search) > 0}
		for _, row := range rows {
			lr := ListRow{ID: row.Key}
			for i, col := range r.Columns {
				cell := Cell{Text: row.Cells[i]}
				if col.Link {
					cell.Href = r.ObjectURL(sc.EventID(), row.Key)
					if r.Link != nil {
						cell.Href = r.Link(sc, row.Key)
					}
					if cell.Text == "" {
						cell.Text = "(untitled)"
					}
				}
				lr.Cells = append(lr.Cells, cell)
			}
			v.Rows = append(v.Rows, lr)
		}
		v.Pages = int((total + int64(per) - 1) / int64(per))
		if q.Page > 1 {
			v.PrevURL = withQuery(base, q.values(map[string]string{"page": strconv.Itoa(q.Page - 1)}))
		}
		if q.Page < v.Pages {
			v.NextURL = withQuery(base, q.values(map[string]string{"page": strconv.Itoa(q.Page + 1)}))
		}
		for _, col := range r.Columns {
			cv := ColumnView{Label: col.Label}
			if col.Sortable {
				next := col.Key
				switch q.Sort {
				case col.Key:
					cv.Sorted, next = "ascending", "-"+col.Key
				case "-" + col.Key:
					cv.Sorted = "descending"
				}
				cv.SortURL = withQuery(base, q.values(map[string]string{"sort": next, "page": ""}))
			}
			v.Columns = append(v.Columns, cv)
		}
		for _, f := range r.Filters {
			fv := FilterView{Label: f.Label}
			_, any := q.Filters[f.Key]
			fv.Choices = append(fv.Choices, FilterChoice{Label: "All", Selected: !any,
				URL: withQuery(base, q.values(map[string]string{f.Key: "", "page": ""}))})
			for _, ch := range f.Choices {
				fv.Choices = append(fv.Choices, FilterChoice{Label: ch.Label, Selected: q.Filters[f.Key] == ch.Value,
					URL: withQuery(base, q.values(map[string]string{f.Key: ch.Value, "page": ""}))})
			}
			v.Filters = append(v.Filters, fv)
		}
		for _, a := range s.allowedActions(r, sc) {
			v.Actions = append(v.Actions, Choice{Value: a.Name, Label: a.Label})
		}
		for k, vals := range q.values(nil) {
			v.Hidden = append(v.Hidden, Choice{Value: vals[0], Label: k})
		}
		if r.CreatePerm != "" && sc.P.Can(r.CreatePerm, sc.EventID()) {
			v.NewURL = base + "/new"
		}
		return web.Render(c, fiber.StatusOK, ListPage(s.chrome(c, r, sc, r.Plural), v))
	}
}
