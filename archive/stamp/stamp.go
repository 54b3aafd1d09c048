// Package stamp keeps one cheap "last change" counter per event in Redis. The
// strainer and the admin bump it whenever an event's archived items, ops or
// sessions change; archive caches key their entries by it, so a hide or a
// session edit invalidates every cached page of that event at once. It owns
// only that key and must never hold page content.
package stamp

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

// Key returns the Redis key of an event's stamp. The hash tag keeps it in the
// event's Redis Cluster slot beside its live log.
func Key(namespace string, eventID int64) string {
	return namespace + "archive:{ev:" + strconv.FormatInt(eventID, 10) + "}:version"
}

// Bump increments an event's stamp and returns the new value.
func Bump(ctx context.Context, client rueidis.Client, namespace string, eventID int64) (int64, error) {
	v, err := client.Do(ctx, client.B().Incr().Key(Key(namespace, eventID)).Build()).AsInt64()
	if err != nil {
		return 0, fmt.Errorf("stamp: bump event %d: %w", eventID, err)
	}
	return v, nil
}

// Get returns an event's stamp (0 when it was never bumped). It reads through
// rueidis' client-side cache, which Redis invalidates on every bump: with
// client caching enabled a cache hit costs no round trip; with it disabled
// (ClientOption.DisableCache) this is a plain GET.
func Get(ctx context.Context, client rueidis.Client, namespace string, eventID int64) (int64, error) {
	v, err := client.DoCache(ctx, client.B().Get().Key(Key(namespace, eventID)).Cache(), time.Minute).AsInt64()
	if rueidis.IsRedisNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("stamp: get event %d: %w", eventID, err)
	}
	return v, nil
}
