// The page a poll answers, and its JSON cut once for every waiter.

package realtime

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/backchannel/backchannel/live"
)

// Page is a Poll's answer.
type Page struct {
	// Entries are the public entries after the poll's since, oldest first.
	// They are shared between callers: never modify them.
	Entries []live.Entry `json:"entries"`
	// Next is the seq to poll after next (the last seq covered, public or not).
	Next int64 `json:"next"`
	// More says entries after Next exist already (the page was cut).
	More bool `json:"more,omitempty"`
	// Reset says the client's epoch or since is not of this log: it must
	// start again from a snapshot.
	Reset bool `json:"reset,omitempty"`
	// Epoch and Head describe the log when the page was cut.
	Epoch string `json:"epoch"`
	Head  int64  `json:"head"`
	// Served says where the entries came from: "memory", "redis" or "postgres".
	Served string `json:"-"`
	// Raw holds Entries pre-encoded as JSON, index for index, ready to write.
	Raw []json.RawMessage `json:"-"`
	// JSON, when set, is the whole page encoded as the Live API answers it,
	// cut once for all the waiters an arrival wakes. Never modify it.
	JSON []byte `json:"-"`
}

// Where pages are served from.
const (
	ServedMemory   = "memory"
	ServedRedis    = "redis"
	ServedPostgres = "postgres"
)

// encodePage writes {"entries":[…],"next":N,"more":b,"epoch":"…","head":H}
// from the hub's pre-encoded entries: a thousand clients woken by one append
// share those bytes instead of encoding the entry a thousand times.
func encodePage(p Page) ([]byte, error) {
	raws := p.Raw
	if len(raws) != len(p.Entries) {
		raws = make([]json.RawMessage, len(p.Entries))
		for i := range p.Entries {
			b, err := json.Marshal(p.Entries[i])
			if err != nil {
				return nil, fmt.Errorf("realtime: encode entry %d: %w", p.Entries[i].Seq, err)
			}
			raws[i] = b
		}
	}
	epoch, err := json.Marshal(p.Epoch)
	if err != nil {
		return nil, fmt.Errorf("realtime: encode epoch: %w", err)
	}
	n := 80 + len(epoch)
	for _, r := range raws {
		n += len(r) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"entries":[`...)
	for i, r := range raws {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	b = append(b, `],"next":`...)
	b = strconv.AppendInt(b, p.Next, 10)
	b = append(b, `,"more":`...)
	b = strconv.AppendBool(b, p.More)
	b = append(b, `,"epoch":`...)
	b = append(b, epoch...)
	b = append(b, `,"head":`...)
	b = strconv.AppendInt(b, p.Head, 10)
	b = append(b, '}')
	return b, nil
}
