package console

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
)

// The questions console: one session's audience questions, held ones first,
// with approve, hide, merge, "answering now" and "answered" as buttons and
// keys. Every change is a moderation question verb.

// QuestionLister lists a session's questions as the live log holds them
// now, in any state (the wiring adapts the realtime log).
type QuestionLister interface {
	SessionQuestions(ctx context.Context, eventID int64, session string) ([]live.Question, error)
}

// QuestionListerFunc adapts a function to QuestionLister.
type QuestionListerFunc func(ctx context.Context, eventID int64, session string) ([]live.Question, error)

// SessionQuestions calls f.
func (f QuestionListerFunc) SessionQuestions(ctx context.Context, eventID int64, session string) ([]live.Question, error) {
	return f(ctx, eventID, session)
}

// registerQuestions adds the questions console's routes (the hook in
// Register).
func (k *Console) registerQuestions(g fiber.Router, mod func(fiber.Handler) fiber.Handler) {
	if k.cfg.Questions == nil {
		return
	}
	ev := "/events/:event/questions"
	g.Get(ev, mod(k.questions))
	// Report links before /:id/:verb, which would match them.
	g.Post(ev+"/reports", mod(k.createReport))
	g.Post(ev+"/reports/:token/revoke", mod(k.revokeReport))
	g.Post(ev+"/:id/merge", mod(k.mergeQuestion))
	g.Post(ev+"/:id/:verb", mod(k.questionVerb))
}

// ModQuestion is one question in the console.
type ModQuestion struct {
	ID         int64
	Text       string
	Name       string
	Votes      int64
	State      string
	When       string
	MergedInto int64
	// Verbs are the state verbs that apply, with their keys.
	Verbs []QuestionButton
}

// QuestionButton is one verb's button.
type QuestionButton struct {
	Verb, Label, Key string
	Danger           bool
}

// QuestionsView is the questions console's view model.
type QuestionsView struct {
	Base     string // /admin/events/{id}
	Sessions []SessionChoice
	Session  string // the slug shown
	// Groups are the questions by state, in the order moderators need them.
	Groups []QuestionGroup
	// Targets are the questions a duplicate may be merged into.
	Targets   []ModQuestion
	ReturnURL string
	QAURL     string // the session's public Q&A page
	Speaker   string // the session's speaker view
	Reception string // the event's reception page
	Note      string
	// Reports are the session's shareable report links, newest first.
	Reports []ReportLink
}

// ReportLink is one shareable report link of a session.
type ReportLink struct {
	Token   string
	URL     string // /r/{token}
	Created string
	Revoked string // when it was revoked, "" while it works
}

// SessionChoice is a session in the picker.
type SessionChoice struct {
	Slug, Title string
	Now         bool
}

// QuestionGroup is the questions of one state.
type QuestionGroup struct {
	Title     string
	State     string
	Questions []ModQuestion
}

var buttons = map[string]QuestionButton{
	moderation.QuestionApprove:   {moderation.QuestionApprove, "Approve", "a", false},
	moderation.QuestionAnswering: {moderation.QuestionAnswering, "Answering now", "n", false},
	moderation.QuestionAnswered:  {moderation.QuestionAnswered, "Answered", "d", false},
	moderation.QuestionReopen:    {moderation.QuestionReopen, "Reopen", "o", false},
	moderation.QuestionHide:      {moderation.QuestionHide, "Hide", "h", true},
	moderation.QuestionUnhide:    {moderation.QuestionUnhide, "Unhide", "h", false},
}

// verbsFor lists the verbs that apply to a question in its state.
func verbsFor(q live.Question) []QuestionButton {
	var vs []string
	switch q.State {
	case live.QuestionHeld:
		vs = []string{moderation.QuestionApprove, moderation.QuestionHide}
	case live.QuestionOpen:
		vs = []string{moderation.QuestionAnswering, moderation.QuestionAnswered, moderation.QuestionHide}
	case live.QuestionAnswering:
		vs = []string{moderation.QuestionAnswered, moderation.QuestionReopen, moderation.QuestionHide}
	case live.QuestionAnswered:
		vs = []string{moderation.QuestionAnswering, moderation.QuestionReopen, moderation.QuestionHide}
	case live.QuestionHidden:
		if q.MergedInto == 0 {
			vs = []string{moderation.QuestionUnhide}
		}
	}
	out := make([]QuestionButton, len(vs))
	for i, v := range vs {
		out[i] = buttons[v]
	}
	return out
}

func toModQuestion(q live.Question) ModQuestion {
	m := ModQuestion{ID: q.ID, Text: q.Text, Votes: q.Votes, State: q.State, When: ui.When(q.CreatedAt),
		MergedInto: q.MergedInto, Verbs: verbsFor(q)}
	if q.Name != nil {
		m.Name = *q.Name
	}
	return m
}

// questions is the console of one session's questions (?session=slug; by
// default the session happening now, else the next, else the first).
func (k *Console) questions(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	sessions, err := k.cfg.Store.EventSessions(ctx, ev.ID)
	if err != nil {
		return err
	}
	v := QuestionsView{Base: fmt.Sprintf("/admin/events/%d", ev.ID)}
	now := time.Now()
	for _, s := range sessions {
		v.Sessions = append(v.Sessions, SessionChoice{Slug: s.Slug, Title: s.Title, Now: !now.Before(s.StartsAt) && now.Before(s.EndsAt)})
	}
	v.Session = pickSession(c.Query("session"), sessions, now)
	page := auth.EventPage("Questions · "+ev.Title, ev, "questions", ui.Home, ui.Crumb{Label: ev.Title}, ui.Crumb{Label: "Questions"})
	if v.Session == "" {
		return web.Render(c, fiber.StatusOK, QuestionsPage(k.a.Chrome(c, page), v))
	}
	v.ReturnURL = v.Base + "/questions?session=" + url.QueryEscape(v.Session)
	v.QAURL = "/events/" + ev.Slug + "/sessions/" + v.Session + "/qa"
	v.Speaker = "/events/" + ev.Slug + "/sessions/" + v.Session + "/speaker"
	v.Reception = "/events/" + ev.Slug + "/reception"
	qs, note := k.sessionQuestions(ctx, ev.ID, v.Session, sessions)
	v.Note = note
	v.Groups, v.Targets = groupQuestions(qs)
	if i := slices.IndexFunc(sessions, func(s models.Session) bool { return s.Slug == v.Session }); i >= 0 {
		links, err := k.cfg.Store.SessionReports(ctx, ev.ID, sessions[i].ID)
		if err != nil {
			return err
		}
		for _, l := range links {
			r := ReportLink{Token: l.Token, URL: "/r/" + l.Token, Created: ui.When(l.CreatedAt)}
			if l.RevokedAt != nil {
				r.Revoked = ui.When(*l.RevokedAt)
			}
			v.Reports = append(v.Reports, r)
		}
	}
	return web.Render(c, fiber.StatusOK, QuestionsPage(k.a.Chrome(c, page), v))
}

// createReport makes a shareable report link for the form's session.
func (k *Console) createReport(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	sessions, err := k.cfg.Store.EventSessions(ctx, ev.ID)
	if err != nil {
		return err
	}
	slug := c.FormValue("session")
	i := slices.IndexFunc(sessions, func(s models.Session) bool { return s.Slug == slug })
	if i < 0 {
		return models.NotFound("session", slug)
	}
	if _, err := k.cfg.Store.CreateReport(ctx, auth.ActorOf(c), ev.ID, sessions[i].ID); err != nil {
		return err
	}
	k.a.Flash(c, "Report link created for "+sessions[i].Title+": copy it from the list below.")
	return ui.Redirect(c, fmt.Sprintf("/admin/events/%d/questions?session=%s", ev.ID, url.QueryEscape(slug)))
}

// revokeReport revokes a report link: it answers 404 from then on.
func (k *Console) revokeReport(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	if err := k.cfg.Store.RevokeReport(c.UserContext(), auth.ActorOf(c), ev.ID, c.Params("token")); err != nil {
		return err
	}
	k.a.Flash(c, "Report link revoked.")
	return ui.Redirect(c, ui.BackTo(c, fmt.Sprintf("/admin/events/%d/questions", ev.ID)))
}

// sessionQuestions reads the live log's questions of a session, and falls
// back on Postgres (what the strainer copied) when the log cannot be read
// or holds none.
func (k *Console) sessionQuestions(ctx context.Context, eventID int64, slug string, sessions []models.Session) ([]live.Question, string) {
	var note string
	if k.cfg.QuestionList != nil {
		qs, err := k.cfg.QuestionList.SessionQuestions(ctx, eventID, slug)
		if err == nil && len(qs) > 0 {
			return qs, ""
		}
		if err != nil {
			k.log.Warn("admin: questions from the live log", "event", eventID, "err", err)
			note = "The live log could not be read; showing what Postgres holds."
		}
	}
	i := slices.IndexFunc(sessions, func(s models.Session) bool { return s.Slug == slug })
	if i < 0 {
		return nil, note
	}
	rows, err := k.cfg.Store.SessionQuestions(ctx, eventID, sessions[i].ID, true)
	if err != nil {
		return nil, "Questions could not be read."
	}
	out := make([]live.Question, len(rows))
	for j, r := range rows {
		out[j] = r.Live()
	}
	return out, note
}

// pickSession returns want when it is a session, else the one happening
// now, else the next, else the last.
func pickSession(want string, sessions []models.Session, now time.Time) string {
	for _, s := range sessions {
		if s.Slug == want {
			return want
		}
	}
	for _, s := range sessions {
		if now.Before(s.EndsAt) {
			return s.Slug // sessions are in time order: the current or the next
		}
	}
	if len(sessions) > 0 {
		return sessions[len(sessions)-1].Slug
	}
	return ""
}

// groupQuestions sorts questions into the console's groups: held (to
// approve), being answered, open by votes, answered, hidden.
func groupQuestions(qs []live.Question) ([]QuestionGroup, []ModQuestion) {
	groups := []QuestionGroup{
		{Title: "Held for approval", State: live.QuestionHeld},
		{Title: "Answering now", State: live.QuestionAnswering},
		{Title: "Open", State: live.QuestionOpen},
		{Title: "Answered", State: live.QuestionAnswered},
		{Title: "Hidden", State: live.QuestionHidden},
	}
	sorted := slices.Clone(qs)
	slices.SortStableFunc(sorted, func(a, b live.Question) int {
		if a.Votes != b.Votes {
			return int(b.Votes - a.Votes)
		}
		return int(a.ID - b.ID)
	})
	var targets []ModQuestion
	for _, q := range sorted {
		m := toModQuestion(q)
		for i := range groups {
			if groups[i].State == q.State {
				groups[i].Questions = append(groups[i].Questions, m)
			}
		}
		if q.Public() {
			targets = append(targets, m)
		}
	}
	return groups, targets
}

// questionVerb runs one state verb on a question.
func (k *Console) questionVerb(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	id, err := ui.IDParam(c, "id", "question")
	if err != nil {
		return err
	}
	verb := c.Params("verb")
	if _, ok := buttons[verb]; !ok {
		return models.NotFound("page", nil)
	}
	res, err := k.cfg.Questions.Do(c.UserContext(), auth.ActorOf(c), ev.ID, verb, id)
	return k.questionDone(c, ev.ID, id, verb, res, err)
}

// mergeQuestion merges the question into the one the form names (into).
func (k *Console) mergeQuestion(c *fiber.Ctx) error {
	ev, err := k.a.Event(c)
	if err != nil {
		return err
	}
	id, err := ui.IDParam(c, "id", "question")
	if err != nil {
		return err
	}
	into, err := strconv.ParseInt(c.FormValue("into"), 10, 64)
	if err != nil || into <= 0 {
		return fiber.NewError(fiber.StatusBadRequest, "Choose the question to merge this one into.")
	}
	res, err := k.cfg.Questions.Merge(c.UserContext(), auth.ActorOf(c), ev.ID, id, into)
	return k.questionDone(c, ev.ID, id, "merge", res, err)
}

// questionDone answers a question verb: JSON for scripts, else a flash and
// a redirect back to the console. A verb that does not apply is said, not
// an error page.
func (k *Console) questionDone(c *fiber.Ctx, eventID, id int64, verb string, res moderation.QuestionResult, err error) error {
	var verr *models.ValidationError
	if err != nil && !errors.As(err, &verr) {
		return err
	}
	json := c.Get(fiber.HeaderAccept) == fiber.MIMEApplicationJSON
	var msg string
	switch {
	case verr != nil:
		msg = fmt.Sprintf("Question %d: not done: %s.", id, verr.Fields[0].Message)
	case res.NotTold:
		msg = fmt.Sprintf("Question %d: %s not done: it is not stored yet and the live log could not be told. Try again.", id, verb)
	case res.LiveErr != nil:
		msg = fmt.Sprintf("Question %d: %s saved, but live pages could not be told yet.", id, verb)
	case !res.Changed:
		msg = fmt.Sprintf("Question %d: nothing to do.", id)
	default:
		msg = fmt.Sprintf("Question %d: %s done.", id, verb)
	}
	if json {
		status := fiber.StatusOK
		if verr != nil {
			status = fiber.StatusConflict
		}
		return c.Status(status).JSON(fiber.Map{"id": id, "verb": verb, "changed": res.Changed, "message": msg})
	}
	k.a.Flash(c, msg)
	return ui.Redirect(c, ui.BackTo(c, fmt.Sprintf("/admin/events/%d/questions", eventID)))
}

// empty reports whether no group holds a question.
func empty(gs []QuestionGroup) bool {
	for _, g := range gs {
		if len(g.Questions) > 0 {
			return false
		}
	}
	return true
}

// short cuts a question's text for the merge picker.
func short(s string) string {
	r := []rune(s)
	if len(r) <= 60 {
		return s
	}
	return string(r[:59]) + "…"
}
