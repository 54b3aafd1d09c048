package views

import (
	"encoding/json"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// The audience's pages (docs/API.md, "Audience questions and reactions"):
// a session's Q&A page (ask, vote, react; phone-first) and the speaker view
// (the lectern's top questions in big type). Both render the questions the
// live log holds and follow the log from its head with audience.js.

// QAPath is a session's Q&A page, "/events/{event}/sessions/{session}/qa".
func QAPath(event, session string) string { return SessionPath(event, session) + "/qa" }

// SpeakerPath is a session's speaker view.
func SpeakerPath(event, session string) string { return SessionPath(event, session) + "/speaker" }

// SpeakerTop is how many open questions the speaker view shows.
const SpeakerTop = 5

// QuestionVM is one question as pages show it (text, never markup).
type QuestionVM struct {
	ID    int64
	Text  string
	Name  string // "" asked anonymously
	Votes int64
	State string
	Voted bool
	// CreatedAt is when it was asked.
	CreatedAt time.Time
}

// Answering reports whether the speaker is answering it now.
func (q QuestionVM) Answering() bool { return q.State == live.QuestionAnswering }

// Answered reports whether it was answered.
func (q QuestionVM) Answered() bool { return q.State == live.QuestionAnswered }

// Asker is the name shown under the question.
func (q QuestionVM) Asker() string {
	if q.Name == "" {
		return "Anonymous"
	}
	return q.Name
}

// NewQuestionVMs prepares questions already filtered and ordered by the
// caller (realtime.VisibleQuestions).
func NewQuestionVMs(qs []live.Question) []QuestionVM {
	out := make([]QuestionVM, 0, len(qs))
	for _, q := range qs {
		vm := QuestionVM{ID: q.ID, Text: q.Text, Votes: q.Votes, State: q.State, Voted: q.Voted, CreatedAt: q.CreatedAt}
		if q.Name != nil {
			vm.Name = *q.Name
		}
		out = append(out, vm)
	}
	return out
}

// AudienceVM is a session's Q&A page or speaker view.
type AudienceVM struct {
	Event   EventCardVM
	Session SessionVM
	// QA is the event's questions setting: open, moderated or closed.
	QA string
	// Questions are visible, most votes first, answered last.
	Questions []QuestionVM
	// Epoch and Head: audience.js follows the live log right after them.
	Epoch string
	Head  int64
	// Reactions are the session's totals of the last minutes, as JSON
	// {"<minute>": {"<kind>": n}} (audience.js draws and updates them).
	Reactions string
	Now       time.Time
}

// NewAudienceVM prepares a session's audience page. reactions are totals
// by minute (live.MinuteFormat) and kind.
func NewAudienceVM(ev *models.Event, session string, qs []live.Question, epoch string, head int64, reactions map[string]map[string]int64, now time.Time) (AudienceVM, bool) {
	loc := ev.Location()
	vm := AudienceVM{Event: newEventCardVM(ev, loc, now), QA: ev.QA, Questions: NewQuestionVMs(qs),
		Epoch: epoch, Head: head, Now: now}
	if vm.QA == "" {
		vm.QA = models.QAOpen
	}
	found := false
	for _, s := range newSessionVMs(ev, loc, now) {
		if s.Slug == session {
			vm.Session, found = s, true
		}
	}
	if reactions == nil {
		reactions = map[string]map[string]int64{}
	}
	b, _ := json.Marshal(reactions) // maps of strings and ints always encode
	vm.Reactions = string(b)
	return vm, found
}

// RecentMinutes are the minutes (UTC, live.MinuteFormat) of the reactions
// chart ending at now, oldest first.
func RecentMinutes(now time.Time, n int) []string {
	out := make([]string, n)
	m := now.UTC().Truncate(time.Minute)
	for i := range n {
		out[n-1-i] = m.Add(-time.Duration(i) * time.Minute).Format(live.MinuteFormat)
	}
	return out
}

// ReactionMinutes is how many minutes the reactions chart shows.
const ReactionMinutes = 10

// QuestionsAPI is the session's questions endpoint.
func (vm AudienceVM) QuestionsAPI() string {
	return "/api" + SessionPath(vm.Event.Slug, vm.Session.Slug) + "/questions"
}

// ReactionsAPI is the session's reactions endpoint.
func (vm AudienceVM) ReactionsAPI() string {
	return "/api" + SessionPath(vm.Event.Slug, vm.Session.Slug) + "/reactions"
}

// LiveAPIURL is the event's long poll.
func (vm AudienceVM) LiveAPIURL() string { return "/api" + EventPath(vm.Event.Slug) + "/live" }

// QAURL is the session's Q&A page.
func (vm AudienceVM) QAURL() string { return QAPath(vm.Event.Slug, vm.Session.Slug) }

// SpeakerTopQuestions are what the speaker view shows: the one being
// answered first, then the top open questions (answered ones never).
func (vm AudienceVM) SpeakerTopQuestions() []QuestionVM {
	return topQuestions(vm.Questions, SpeakerTop)
}

// topQuestions are the one being answered, then the top n open ones.
func topQuestions(qs []QuestionVM, top int) []QuestionVM {
	var out []QuestionVM
	for _, q := range qs {
		if q.Answering() {
			out = append(out, q)
		}
	}
	n := 0
	for _, q := range qs {
		if q.State == live.QuestionOpen && n < top {
			out = append(out, q)
			n++
		}
	}
	return out
}

// ReactionLabel is a reaction kind's button text.
func ReactionLabel(kind string) string {
	switch kind {
	case live.ReactionApplause:
		return "👏 Applause"
	case live.ReactionInsight:
		return "💡 Insight"
	case live.ReactionLove:
		return "❤️ Love"
	case live.ReactionConfused:
		return "😕 Confused"
	case live.ReactionDisagree:
		return "👎 Disagree"
	}
	return kind
}

// ReactionKinds are the kinds in the order pages show them.
func ReactionKinds() []string { return live.ReactionKinds }
