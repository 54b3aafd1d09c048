package live

import (
	"encoding/json"
	"time"
)

// Audience ops: questions, their votes and states, and reaction counts
// travel in an event's live log beside items, each entry carrying its
// session (docs/API.md, "Audience questions and reactions").
const (
	// OpQuestion is a new question; its id is the entry's seq.
	OpQuestion = "question"
	// OpVotes is a question's new vote count (Target is the question).
	OpVotes = "votes"
	// OpQAState is a question's new state (Target is the question; the
	// entry carries it, without its text once hidden).
	OpQAState = "qa_state"
	// OpReactions is a session's reaction totals for one minute so far.
	OpReactions = "reactions"
)

// IsAudienceOp reports whether op is one of the audience ops.
func IsAudienceOp(op string) bool {
	switch op {
	case OpQuestion, OpVotes, OpQAState, OpReactions:
		return true
	}
	return false
}

// Question states. Held questions wait for a moderator (events whose qa is
// moderated); hidden ones were taken down or merged into another.
const (
	QuestionHeld      = "held"
	QuestionOpen      = "open"
	QuestionAnswering = "answering"
	QuestionAnswered  = "answered"
	QuestionHidden    = "hidden"
)

// Limits of a question, in characters (runes) after trimming.
const (
	MaxQuestionText = 300
	MaxQuestionName = 40
)

// Question is one audience question as the API and the live log show it.
// Name nil is anonymous.
type Question struct {
	ID        int64     `json:"id"`
	Session   string    `json:"session"`
	Text      string    `json:"text"`
	Name      *string   `json:"name"`
	Votes     int64     `json:"votes"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	// MergedInto is the question a hidden duplicate was merged into.
	MergedInto int64 `json:"merged_into,omitempty"`
	// Voted says the asking client voted for it (list answers only).
	Voted bool `json:"voted,omitempty"`
}

// Public reports whether the audience sees the question: approved and not
// taken down.
func (q Question) Public() bool { return q.State != QuestionHeld && q.State != QuestionHidden }

// hiddenQuestion is how a hidden question travels: its id, session and
// state only, so its text never reaches a client once taken down.
type hiddenQuestion struct {
	ID         int64  `json:"id"`
	Session    string `json:"session"`
	State      string `json:"state"`
	MergedInto int64  `json:"merged_into,omitempty"`
}

// MarshalJSON writes a hidden question without its text, name and votes,
// the same shape the live log's script writes.
func (q Question) MarshalJSON() ([]byte, error) {
	if q.State == QuestionHidden {
		return json.Marshal(hiddenQuestion{ID: q.ID, Session: q.Session, State: q.State, MergedInto: q.MergedInto})
	}
	type plain Question // no methods: no recursion
	return json.Marshal(plain(q))
}

// Reaction kinds, and which of them say a talk landed or did not.
const (
	ReactionApplause = "applause"
	ReactionInsight  = "insight"
	ReactionLove     = "love"
	ReactionConfused = "confused"
	ReactionDisagree = "disagree"
)

// ReactionKinds are the kinds in the order pages show them.
var ReactionKinds = []string{ReactionApplause, ReactionInsight, ReactionLove, ReactionConfused, ReactionDisagree}

// ValidReaction reports whether kind is one of ReactionKinds.
func ValidReaction(kind string) bool {
	for _, k := range ReactionKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// PositiveReaction reports whether kind says the talk landed (applause,
// insight, love); confused and disagree are the negative ones.
func PositiveReaction(kind string) bool {
	return kind == ReactionApplause || kind == ReactionInsight || kind == ReactionLove
}

// MinuteFormat is how a reactions entry names its minute (UTC).
const MinuteFormat = "2006-01-02T15:04:00Z"
