package dashboard

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/admin/ui"
)

// StoresView is what the dashboard shows of Redis and of each recent
// event's live log in it: Redis never evicts (noeviction), so its memory
// is the one thing that grows with every item until someone acts.
type StoresView struct {
	// UsedBytes and MaxBytes are Redis's used_memory and maxmemory (0: no
	// limit); Policy its maxmemory-policy. -1 when unread.
	UsedBytes, MaxBytes int64
	Policy              string
	Error               string
	Events              []EventHeld
}

// EventHeld is one event's live log as Redis holds it.
type EventHeld struct {
	Slug           string
	Items, Entries int64
}

// redisMemory reads used_memory, maxmemory and maxmemory_policy from INFO
// (on a cluster, from the node the client picks).
func redisMemory(ctx context.Context, c rueidis.Client) (used, max int64, policy string, err error) {
	info, err := c.Do(ctx, c.B().Info().Section("memory").Build()).ToString()
	if err != nil {
		return -1, -1, "", fmt.Errorf("dashboard: redis memory: %w", err)
	}
	used, max = -1, -1
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch k {
		case "used_memory":
			used, _ = strconv.ParseInt(v, 10, 64)
		case "maxmemory":
			max, _ = strconv.ParseInt(v, 10, 64)
		case "maxmemory_policy":
			policy = v
		}
	}
	return used, max, policy, nil
}

// latestEvents is how many events' live logs the dashboard sizes.
const latestEvents = 10

// stores reads Redis's memory and what it holds of the latest events' logs.
func (d *Dashboard) stores(ctx context.Context) StoresView {
	var v StoresView
	var err error
	if v.UsedBytes, v.MaxBytes, v.Policy, err = redisMemory(ctx, d.cfg.Redis); err != nil {
		d.log.Warn("admin: dashboard stores", "err", err)
		v.Error = "Redis's memory could not be read."
		return v
	}
	if d.cfg.Log == nil {
		return v
	}
	events, err := d.cfg.Store.AdminLatestEvents(ctx, latestEvents)
	if err != nil {
		d.log.Warn("admin: dashboard stores", "err", err)
		v.Error = "The events could not be read."
		return v
	}
	for _, ev := range events {
		items, entries, err := d.cfg.Log.Held(ctx, ev.ID)
		if err != nil {
			d.log.Warn("admin: dashboard stores", "err", err)
			v.Error = "The live logs could not be read from Redis."
			return v
		}
		v.Events = append(v.Events, EventHeld{Slug: ev.Slug, Items: items, Entries: entries})
	}
	return v
}

// redisMemoryLine says how much memory Redis uses, of what limit, under
// which policy.
func redisMemoryLine(v StoresView) string {
	limit := "no memory limit"
	if v.MaxBytes > 0 {
		limit = "of " + ui.MiB(v.MaxBytes)
	}
	return fmt.Sprintf("Redis uses %s (%s), policy %s.", ui.MiB(v.UsedBytes), limit, v.Policy)
}
