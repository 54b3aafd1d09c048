package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// The audience API (docs/API.md, "Audience questions and reactions"):
// questions per session (list, ask, vote, take a vote back) and reactions.
// Like attendee posts it needs Redis only: the event and its sessions come
// from the one cached lookup (its last good copy while Postgres is down),
// everything else from the live log.

// AudienceRoutes are the audience API's routes as a web.Routes.
func (h *Handler) AudienceRoutes() web.Routes { return web.RoutesFunc(h.RegisterAudience) }

// RegisterAudience registers the questions and reactions endpoints.
func (h *Handler) RegisterAudience(r fiber.Router) {
	base := "/api/events/:event/sessions/:session"
	r.Get(base+"/questions", h.questions)
	r.Post(base+"/questions", h.ask)
	r.Post(base+"/questions/:id/vote", h.vote(true))
	r.Delete(base+"/questions/:id/vote", h.vote(false))
	r.Post(base+"/reactions", h.react)
}

// maxQuestionBody bounds a question's or a reaction's request body.
const maxQuestionBody = 8 << 10

var errQAClosed = fiber.NewError(fiber.StatusForbidden, "Questions are closed for this event.")

// session resolves :event and :session: a missing one is models.NotFound.
func (h *Handler) session(c *fiber.Ctx) (LiveEvent, models.Session, error) {
	ev, err := h.event(c)
	if err != nil {
		return LiveEvent{}, models.Session{}, err
	}
	slug := c.Params("session")
	s, ok := ev.Session(slug)
	if !ok {
		return LiveEvent{}, models.Session{}, models.NotFound("session", strings.Clone(slug))
	}
	return ev, s, nil
}

// questionsAnswer is the body of the list: visible questions in order, and
// the log position they reflect (a page follows the live log from Head).
type questionsAnswer struct {
	Questions []live.Question `json:"questions"`
	Epoch     string          `json:"epoch"`
	Head      int64           `json:"head"`
}

// questions answers GET …/questions: the session's visible questions, most
// votes first (then oldest first), answered ones last; voted marks the
// asking client's own votes.
func (h *Handler) questions(c *fiber.Ctx) error {
	noStore(c)
	ev, s, err := h.session(c)
	if err != nil {
		return err
	}
	client := ClientID(c, h.deps.SecureCookie)
	if err := h.limit(c, "qlist", client, h.deps.HistoryRate); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := h.deps.Log.Questions(ctx, ev.ID, s.Slug)
	if err != nil {
		return err
	}
	shown := VisibleQuestions(list.Questions)
	ids := make([]int64, len(shown))
	for i, q := range shown {
		ids[i] = q.ID
	}
	voted, err := h.deps.Log.Voted(ctx, ev.ID, VoterID(client), ids)
	if err != nil {
		return err
	}
	for i := range shown {
		shown[i].Voted = voted[shown[i].ID]
	}
	return c.JSON(questionsAnswer{Questions: shown, Epoch: list.Epoch, Head: list.Head})
}

// VisibleQuestions returns the public questions of qs in the order pages
// show them: most votes first, then oldest first; answered ones last.
func VisibleQuestions(qs []live.Question) []live.Question {
	out := make([]live.Question, 0, len(qs))
	for _, q := range qs {
		if q.Public() {
			out = append(out, q)
		}
	}
	slices.SortStableFunc(out, CompareQuestions)
	return out
}

// CompareQuestions orders questions as pages show them: answered ones last,
// then most votes first, then oldest (lowest id) first.
func CompareQuestions(a, b live.Question) int {
	aa, ba := a.State == live.QuestionAnswered, b.State == live.QuestionAnswered
	switch {
	case aa != ba:
		if aa {
			return 1
		}
		return -1
	case a.Votes != b.Votes:
		if a.Votes > b.Votes {
			return -1
		}
		return 1
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// ask answers POST …/questions: 201 with the question, 202 when the event's
// questions are moderated (held), 403 when they are closed.
func (h *Handler) ask(c *fiber.Ctx) error {
	noStore(c)
	ev, s, err := h.session(c)
	if err != nil {
		return err
	}
	if ev.QA == models.QAClosed {
		return errQAClosed
	}
	f, err := readFields(c, "text", "name")
	if err != nil {
		return err
	}
	text, name, err := ValidateQuestion(f["text"], f["name"])
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	client := ClientID(c, h.deps.SecureCookie)
	if err := h.limit(c, "questions", client, h.deps.QuestionRate); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := h.deps.Log.Ask(ctx, ev.ID, NewQuestion{Session: s.Slug, Text: text, Name: name,
		Held: ev.QA == models.QAModerated, Client: client, Now: h.now()})
	if err != nil {
		return err
	}
	if res.Question.State == live.QuestionHeld {
		return c.Status(fiber.StatusAccepted).JSON(res.Question)
	}
	return c.Status(fiber.StatusCreated).JSON(res.Question)
}

// voteAnswer is the body of a vote's answer.
type voteAnswer struct {
	Votes int64 `json:"votes"`
	Voted bool  `json:"voted"`
}

// vote answers POST (up) and DELETE (down) …/questions/:id/vote: one vote
// per client per question; repeating either leaves the count as it is.
func (h *Handler) vote(up bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		noStore(c)
		ev, s, err := h.session(c)
		if err != nil {
			return err
		}
		raw := c.Params("id")
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			return models.NotFound("question", strings.Clone(raw))
		}
		if ev.QA == models.QAClosed {
			return errQAClosed
		}
		client := ClientID(c, h.deps.SecureCookie)
		if err := h.limit(c, "votes", client, h.deps.VoteRate); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r, err := h.deps.Log.Vote(ctx, ev.ID, s.Slug, id, VoterID(client), up)
		if errors.Is(err, ErrNoQuestion) {
			return models.NotFound("question", id)
		}
		if err != nil {
			return err
		}
		return c.JSON(voteAnswer{Votes: r.Votes, Voted: up})
	}
}

// react answers POST …/reactions: 202 once the reaction is counted; its
// minute's totals reach the live log within about a second.
func (h *Handler) react(c *fiber.Ctx) error {
	noStore(c)
	ev, s, err := h.session(c)
	if err != nil {
		return err
	}
	f, err := readFields(c, "kind")
	if err != nil {
		return err
	}
	kind := strings.TrimSpace(f["kind"])
	if !live.ValidReaction(kind) {
		return fiber.NewError(fiber.StatusBadRequest, "The kind of reaction must be one of "+strings.Join(live.ReactionKinds, ", ")+".")
	}
	client := ClientID(c, h.deps.SecureCookie)
	if err := h.limit(c, "reactions", client, h.deps.ReactionRate); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.deps.Log.React(ctx, ev.ID, s.Slug, kind, h.now()); err != nil {
		return err
	}
	if h.deps.Reactions != nil {
		h.deps.Reactions.Mark(ev.ID)
	} else if _, err := h.deps.Log.FlushReactions(ctx, ev.ID); err != nil {
		h.logger.Warn("realtime: flush reactions", "event", ev.ID, "err", err) // counted: a later flush appends it
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"kind": kind})
}

// readFields decodes the named string fields of a JSON object or a form.
// Invalid UTF-8 is refused per field before decoding, since encoding/json
// would quietly replace it.
func readFields(c *fiber.Ctx, names ...string) (map[string]string, error) {
	body := c.Body()
	if len(body) > maxQuestionBody {
		return nil, fiber.NewError(fiber.StatusRequestEntityTooLarge, "The request is too large.")
	}
	out := make(map[string]string, len(names))
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	switch {
	case strings.HasPrefix(ct, fiber.MIMEApplicationJSON):
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
			return nil, fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("The body must be a JSON object with %s.", quoteNames(names)))
		}
		for _, n := range names {
			v, ok := raw[n]
			if !ok || string(v) == "null" {
				continue
			}
			if !utf8.Valid(v) {
				return nil, fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("The %s is not valid UTF-8.", n))
			}
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("The %s must be a string.", n))
			}
			out[n] = s
		}
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm), strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		for _, n := range names {
			out[n] = c.FormValue(n)
		}
	default:
		return nil, fiber.NewError(fiber.StatusUnsupportedMediaType, "Send JSON or a form.")
	}
	return out, nil
}

func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	return strings.Join(q, " and ")
}
