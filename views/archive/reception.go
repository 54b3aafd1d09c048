package archive

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/views"
)

// ReceptionVM is /events/{event}/reception: every session side by side,
// sortable by any column, with charts.
type ReceptionVM struct {
	Event   views.EventCardVM
	Columns []ReceptionColumn
	Rows    []ReceptionRowVM
	// Charts compare the sessions (one bar per session).
	Charts []Chart
	Links  Links
}

// ReceptionColumn is one sortable column: its header links to the page
// sorted by it (the other way round when it is the current sort).
type ReceptionColumn struct {
	Key, Label string
	Href       string
	// Sort is "ascending", "descending" or "" (aria-sort).
	Sort string
	// Numeric columns are right-aligned.
	Numeric bool
}

// ReceptionRowVM is one session's figures.
type ReceptionRowVM struct {
	Session     views.SessionVM
	Posts       int64
	Posters     int64
	Questions   int64
	Votes       int64
	Reactions   map[string]int64
	Minutes     float64 // the session's length
	PeakReaders int64
}

// ReactionsTotal is the session's reactions of every kind.
func (r ReceptionRowVM) ReactionsTotal() int64 {
	var t int64
	for _, n := range r.Reactions {
		t += n
	}
	return t
}

// PerMinute is the session's reactions of kind per minute of its length.
func (r ReceptionRowVM) PerMinute(kind string) float64 {
	if r.Minutes <= 0 {
		return 0
	}
	return float64(r.Reactions[kind]) / r.Minutes
}

// Share is the percentage of the session's reactions that are positive
// (or negative when positive is false); 0 without reactions.
func (r ReceptionRowVM) Share(positive bool) float64 {
	t := r.ReactionsTotal()
	if t == 0 {
		return 0
	}
	var n int64
	for k, c := range r.Reactions {
		if live.PositiveReaction(k) == positive {
			n += c
		}
	}
	return 100 * float64(n) / float64(t)
}

// Value is the row's value in a column, for sorting.
func (r ReceptionRowVM) Value(key string) float64 {
	switch key {
	case "posts":
		return float64(r.Posts)
	case "posters":
		return float64(r.Posters)
	case "questions":
		return float64(r.Questions)
	case "votes":
		return float64(r.Votes)
	case "positive":
		return r.Share(true)
	case "negative":
		return r.Share(false)
	case "readers":
		return float64(r.PeakReaders)
	case "reactions":
		return float64(r.ReactionsTotal())
	}
	if live.ValidReaction(key) {
		return r.PerMinute(key)
	}
	return float64(r.Session.StartsAt.Unix())
}

// ReceptionColumns are the sortable columns in page order; "start" is the
// schedule's order.
func ReceptionColumns() []ReceptionColumn {
	cols := []ReceptionColumn{{Key: "start", Label: "Session"}, {Key: "posts", Label: "Posts", Numeric: true},
		{Key: "posters", Label: "Unique posters", Numeric: true}, {Key: "questions", Label: "Questions", Numeric: true},
		{Key: "votes", Label: "Votes", Numeric: true}, {Key: "reactions", Label: "Reactions", Numeric: true}}
	for _, k := range live.ReactionKinds {
		cols = append(cols, ReceptionColumn{Key: k, Label: reactionName(k) + " /min", Numeric: true})
	}
	return append(cols, ReceptionColumn{Key: "positive", Label: "Positive", Numeric: true},
		ReceptionColumn{Key: "negative", Label: "Negative", Numeric: true},
		ReceptionColumn{Key: "readers", Label: "Peak live readers", Numeric: true})
}

// ValidReceptionSort reports whether key names a column.
func ValidReceptionSort(key string) bool {
	for _, c := range ReceptionColumns() {
		if c.Key == key {
			return true
		}
	}
	return false
}

// SortLinks fills each column's link and aria-sort for the current sort.
func SortLinks(cols []ReceptionColumn, path, sortKey, dir string) []ReceptionColumn {
	for i := range cols {
		next := "desc"
		if cols[i].Key == "start" {
			next = "asc"
		}
		if cols[i].Key == sortKey {
			if dir == "asc" {
				cols[i].Sort, next = "ascending", "desc"
			} else {
				cols[i].Sort, next = "descending", "asc"
			}
		}
		cols[i].Href = path + "?" + url.Values{"sort": {cols[i].Key}, "dir": {next}}.Encode()
	}
	return cols
}

func reactionName(kind string) string {
	switch kind {
	case live.ReactionApplause:
		return "Applause"
	case live.ReactionInsight:
		return "Insight"
	case live.ReactionLove:
		return "Love"
	case live.ReactionConfused:
		return "Confused"
	case live.ReactionDisagree:
		return "Disagree"
	}
	return kind
}

// rate shows a per-minute rate with one decimal ("–" for none).
func rate(f float64) string {
	if f == 0 {
		return "–"
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}

// percent shows a share ("–" for none).
func percent(f float64, any bool) string {
	if !any {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", f)
}

// ReportVM is a speaker's shareable report (/r/{token}).
type ReportVM struct {
	Event   views.EventCardVM
	Session views.SessionVM
	Total   int64
	// Activity is the talk's posts over time; Reactions its reactions
	// per minute (all kinds), ReactionTotals by kind in page order.
	Activity       Chart
	Reactions      Chart
	ReactionTotals []KindCount
	Questions      []views.QuestionVM
	TopLinks       []LinkCount
	TopPosters     []PosterCount
	Posts          []views.ItemVM
	Now            time.Time
}

// KindCount is a reaction kind and its total.
type KindCount struct {
	Kind, Label string
	Count       int64
}

// NewKindCounts lists totals in the pages' order of kinds.
func NewKindCounts(totals map[string]int64) []KindCount {
	out := make([]KindCount, 0, len(live.ReactionKinds))
	for _, k := range live.ReactionKinds {
		out = append(out, KindCount{Kind: k, Label: reactionName(k), Count: totals[k]})
	}
	return out
}

func votesWord(n int64) string {
	if n == 1 {
		return "vote"
	}
	return "votes"
}
