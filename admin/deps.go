package admin

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/rueidis"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

// LiveLog is the part of *realtime.Log the admin uses: moderation appends
// ops; the console reads the newest entries not yet strained into Postgres.
type LiveLog interface {
	AppendOp(ctx context.Context, eventID int64, op string, target int64, it *live.Item) (realtime.AppendResult, error)
	Range(ctx context.Context, eventID int64, after int64, limit int) ([]live.Entry, error)
	Head(ctx context.Context, eventID int64) (epoch string, head int64, err error)
	// Held reports the items and entries Redis holds of an event's log.
	Held(ctx context.Context, eventID int64) (items, entries int64, err error)
}

// EventFiles is the event-file package's validation and import/export, which
// the admin's forms reuse so a form and `event apply` accept the same input.
// NewEventFiles (eventfiles.go) adapts package eventfile to it.
type EventFiles interface {
	ValidateEvent(ev *models.Event) *models.ValidationError
	ValidateSession(ev *models.Event, s *models.Session, others []models.Session) *models.ValidationError
	ValidateSource(kind string, config map[string]any) (key string, normalized json.RawMessage, verr *models.ValidationError)
	// Import parses and applies an uploaded event file, returning a one-line summary.
	Import(ctx context.Context, db *gorm.DB, filename string, data []byte, actor string) (string, error)
	// Export renders an event as an event file.
	Export(ctx context.Context, db *gorm.DB, slug string) ([]byte, error)
}

// SourceState is what the dashboard shows of a running source.
type SourceState struct {
	State   string // e.g. "running", "backoff", "stopped"
	Detail  string
	Worker  string
	Updated time.Time
}

// Deps is everything the admin needs, built once by the wiring.
type Deps struct {
	DB        *gorm.DB
	Redis     rueidis.Client
	Namespace string // "" in production, testenv's Namespace in tests
	// Log receives moderation ops (hide, unhide, pin, unpin). Nil: Postgres only.
	Log LiveLog
	// Inspector shows asynq's queues on the dashboard. Nil: the section is omitted.
	Inspector *asynq.Inspector
	// Dev relaxes cookie security (no Secure, no __Host- prefix) for plain HTTP.
	Dev bool
	// EventFiles validates forms and imports/exports event files. Nil:
	// DefaultEventFiles() (package eventfile).
	EventFiles EventFiles
	// SourceStates reports runner states by source id. Nil: RunnerStates
	// (sources.ReadStates over Redis and Namespace).
	SourceStates func(ctx context.Context, ids []int64) (map[int64]SourceState, error)
	// ReconnectSource asks the runner of a source to reconnect now. Optional.
	ReconnectSource func(ctx context.Context, sourceID int64) error
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now (tests pin it).
	Now func() time.Time
	// SessionTTL is how long a signed-in session lasts; default 12 hours.
	SessionTTL time.Duration
	// OnChange, when set, is told after a committed change to an event's
	// rows: what is the resource key ("events", "sessions", "sources", ...)
	// or "items" for moderation. The wiring uses it to invalidate archive
	// caches at once and to re-assign items after session edits.
	OnChange func(ctx context.Context, eventID int64, what string)
}
