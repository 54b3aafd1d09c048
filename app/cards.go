package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/backchannel/backchannel/linkcard"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/outbound"
	"github.com/backchannel/backchannel/realtime"
)

// cards gives a newly appended item the card of its first link: fetched
// through the outbound client (cached a day in Redis) off the append's
// path, then appended as an update of the item, which walls and live pages
// apply in place and the strainer stores in items.meta. A crash between the
// append and the update costs the card only.
type cards struct {
	fetch *linkcard.Fetcher
	log   *realtime.Log
	// current is the item's state now (a moderator may have pinned or
	// hidden it while the page was fetched): the update carries it.
	current func(ctx context.Context, eventID, seq int64) (live.Item, error)
	logger  *slog.Logger
	slots   chan struct{}
}

// maxCardFetches bounds the fetches running at once: past it, items go
// without a card rather than queue up behind a slow site.
const maxCardFetches = 8

func (a *App) newCards(log *realtime.Log, current func(ctx context.Context, eventID, seq int64) (live.Item, error)) *cards {
	return &cards{fetch: linkcard.New(outbound.NewClient(a.Config.Outbound()), a.Redis, a.Namespace), log: log,
		current: current, logger: a.Logger, slots: make(chan struct{}, maxCardFetches)}
}

// appended starts fetching the card of it (appended at it.Seq), if it has
// a link and no card yet.
func (c *cards) appended(eventID int64, it live.Item) {
	if c == nil || it.Card != nil || it.Seq == 0 {
		return
	}
	link := linkcard.FirstLink(it.Text)
	if link == "" {
		return
	}
	select {
	case c.slots <- struct{}{}:
	default:
		c.logger.Debug("link card skipped: fetches busy", "event", eventID, "seq", it.Seq)
		return
	}
	go func() {
		defer func() { <-c.slots }()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		card, err := c.fetch.Card(ctx, link)
		if err != nil {
			c.logger.Info("link card not fetched", "event", eventID, "seq", it.Seq, "err", err)
		}
		if card == nil {
			return
		}
		now, err := c.current(ctx, eventID, it.Seq)
		if err != nil {
			c.logger.Info("link card: item gone", "event", eventID, "seq", it.Seq, "err", err)
			return
		}
		now.Card = card
		if _, err := c.log.AppendOp(ctx, eventID, live.OpUpdate, it.Seq, &now); err != nil {
			c.logger.Warn("link card not appended", "event", eventID, "seq", it.Seq, "err", err)
		}
	}()
}
