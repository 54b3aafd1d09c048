package archive

import (
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Sentinels ts_headline puts around matched words (see highlight).
const (
	startSel = store.SearchStart
	stopSel  = store.SearchStop
)

// item maps a stored row to the item the archive shows: the one mapping
// (live.FromRow) with the slug of its session, its HTML sanitized again on
// the way out (see the package doc).
func (h *Handler) item(ec *eventCtx, m models.Item) live.Item {
	var sid int64
	if m.SessionID != nil {
		sid = *m.SessionID
	}
	it := live.FromRow(m, ec.sessionSlug(sid), ec.roomOf[sid])
	if it.HTML != "" {
		it.HTML = h.policy.Sanitize(it.HTML)
	}
	return it
}
