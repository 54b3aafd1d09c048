package dashboard

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/sources"
)

// RunnerStates returns a Config.SourceStates reading what runners report
// through package sources (sources.ReadStates): the default.
func RunnerStates(client rueidis.Client, namespace string, now func() time.Time) func(ctx context.Context, ids []int64) (map[int64]SourceState, error) {
	return func(ctx context.Context, ids []int64) (map[int64]SourceState, error) {
		st, err := sources.ReadStates(ctx, client, namespace, ids)
		if err != nil {
			return nil, fmt.Errorf("dashboard: source states: %w", err)
		}
		out := make(map[int64]SourceState, len(st))
		for id, s := range st {
			state := "disconnected"
			if s.Connected {
				state = "connected"
			}
			if !s.UpdatedAt.IsZero() && now().Sub(s.UpdatedAt) > time.Minute {
				state += " (report is " + now().Sub(s.UpdatedAt).Round(time.Second).String() + " old)"
			}
			var d []string
			if s.Notice != "" {
				d = append(d, s.Notice)
			}
			d = append(d, fmt.Sprintf("%d items", s.ItemsTotal))
			if s.Backfilled > 0 || s.BackfillDone {
				word := "backfilling"
				if s.BackfillDone {
					word = "backfilled"
				}
				d = append(d, fmt.Sprintf("%s %d since the event's start", word, s.Backfilled))
			}
			if !s.LastItemAt.IsZero() {
				d = append(d, "last "+ui.When(s.LastItemAt))
			}
			if s.LagSeconds > 0 {
				d = append(d, fmt.Sprintf("lag %.1fs", s.LagSeconds))
			}
			if s.Reconnects > 0 {
				d = append(d, fmt.Sprintf("%d reconnects", s.Reconnects))
			}
			if s.BadPayloads > 0 {
				d = append(d, fmt.Sprintf("%d bad payloads", s.BadPayloads))
			}
			if s.LastError != "" {
				d = append(d, "error: "+s.LastError)
			}
			out[id] = SourceState{State: state, Detail: strings.Join(d, ", "), Worker: s.Holder, Updated: s.UpdatedAt}
		}
		return out, nil
	}
}
