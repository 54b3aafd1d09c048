package fakes

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Mastodon ids are "snowflakes" that carry their creation time
// (mastodon/mastodon lib/mastodon/snowflake.rb):
//
//   - a status created now gets timestamp_id(): the time in milliseconds
//     shifted left 16 bits, OR a 16-bit tail (a hash of table, salt and
//     time plus the table's sequence), so ids of one millisecond differ;
//   - a status whose created_at lies in the past (a remote status that
//     federates late; Callbacks.around_create) gets id_at(created_at):
//     (created_at.to_i * 1000 + rand(1000)) << 16 + rand(2**16). Such a
//     status sorts below ids already handed out, by as much as it is late.
type snowflakes struct {
	mu   sync.Mutex
	last int64
	seq  int64
}

// now returns a timestamp_id for t, strictly above any id it returned before.
func (s *snowflakes) now(t time.Time) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := t.UnixMilli()<<16 | (s.seq & 0xffff)
	if id <= s.last {
		id = s.last + 1
	}
	s.last = id
	return id
}

// at returns id_at(t): seconds of t, a random millisecond, a random tail.
func (s *snowflakes) at(t time.Time) int64 {
	return (t.Unix()*1000+rand.Int64N(1000))<<16 + rand.Int64N(1<<16)
}

// SnowflakeTime is the creation time a Mastodon id carries.
func SnowflakeTime(id string) time.Time {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n >> 16)
}
