package app

import (
	"context"
	"time"

	"github.com/backchannel/backchannel/realtime"
)

// readersEvery is how often a web node samples its live readers.
const readersEvery = 15 * time.Second

// sampleReaders records, every readersEvery until ctx ends, how many
// browsers follow each event's live log on this node: the sum over the
// nodes (kept in Redis) goes to Postgres as the minute's readers, for the
// reception page's peak live readers. A sample that cannot be kept is
// logged and skipped: the next one a few seconds later tries again.
func (w *Web) sampleReaders(ctx context.Context) {
	node := realtime.NewClientID() // random: this process's name among the nodes
	t := time.NewTicker(readersEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := w.app.Now()
		for eventID, n := range w.Hub.Readers() {
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			sum, err := w.Log.SampleReaders(sctx, eventID, node, now, n)
			if err == nil {
				err = w.app.Store.RecordReaders(sctx, eventID, now, sum)
			}
			cancel()
			if err != nil {
				w.app.Logger.Warn("app: sample live readers", "event", eventID, "err", err)
			}
		}
	}
}
