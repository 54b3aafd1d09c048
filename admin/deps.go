package admin

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/secrets"

	"github.com/hibiken/asynq"
	"github.com/redis/rueidis"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/dashboard"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
)

// LiveLog is the part of *realtime.Log the admin uses: the console reads
// the entries not strained into Postgres yet, the dashboard how much Redis
// holds, and, when Deps.Moderation is nil, the verbs built here append ops.
type LiveLog interface {
	AppendOp(ctx context.Context, eventID int64, op string, target int64, it *live.Item) (realtime.AppendResult, error)
	AppendSpotlight(ctx context.Context, eventID int64, target int64, it live.Item, sp live.Spotlight) (realtime.AppendResult, error)
	Range(ctx context.Context, eventID int64, after int64, limit int) ([]live.Entry, error)
	Head(ctx context.Context, eventID int64) (epoch string, head int64, err error)
	Held(ctx context.Context, eventID int64) (items, entries int64, err error)
}

// Deps is everything the admin needs, built once by the wiring.
type Deps struct {
	DB        *gorm.DB
	Redis     rueidis.Client
	Namespace string // "" in production, testenv's Namespace in tests
	// Log is the live log. Nil: the console shows Postgres only and
	// moderation changes Postgres only.
	Log LiveLog
	// Moderation is the process's moderation verbs (shared with the
	// attendee-post path, so a ban is seen there at once). Nil: built over
	// DB and Log, telling OnChange "items".
	Moderation *moderation.Verbs
	// Inspector shows asynq's queues on the dashboard. Nil: the section is omitted.
	Inspector *asynq.Inspector
	// Dev relaxes cookie security (no Secure, no __Host- prefix) for plain HTTP.
	Dev bool
	// SourceStates reports runner states by source id. Nil:
	// dashboard.RunnerStates (sources.ReadStates over Redis and Namespace).
	SourceStates func(ctx context.Context, ids []int64) (map[int64]dashboard.SourceState, error)
	// ReconnectSource asks the runner of a source to reconnect now. Optional.
	ReconnectSource func(ctx context.Context, sourceID int64) error
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now (tests pin it).
	Now func() time.Time
	// Keys are the keys derived from SECRET_KEY (secrets.Keyring): they sign
	// the sign-in forms and device cookies and seal second-factor secrets.
	Keys auth.Keys
	// SourceKeys seal the tokens organizers enter for sources (SECRET_KEY's
	// keyring) and TestSource makes one request of a source as its runner
	// would (sources.Manager.TestConnection). With both, each source has a
	// token page.
	SourceKeys *secrets.Keyring
	TestSource func(ctx context.Context, src models.Source) error
	// SessionIdle ends a session unused this long (default 1 hour);
	// SessionMax ends it this long after sign-in (default 12 hours).
	SessionIdle, SessionMax time.Duration
	// OnChange, when set, is told after a committed change to an event's
	// rows: what is the resource key ("events", "sessions", "sources", ...)
	// or "items" for moderation. The wiring uses it to invalidate archive
	// caches at once and to re-assign items after session edits.
	OnChange func(ctx context.Context, eventID int64, what string)
	// Fetch fetches schedules by URL for the schedule import: the outbound
	// client (package outbound). Nil: uploads only.
	Fetch *http.Client
}
