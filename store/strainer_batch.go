package store

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// batch is one run of log entries split into column arrays for unnest().
type batch struct {
	adds    addColumns
	ops     opColumns
	changes changeColumns
}

type addColumns struct {
	seq                      []int64
	source, externalID, kind []string
	authorName, authorHandle []string
	authorURL, authorAvatar  []string
	text, html, media, url   []string
	createdAt, receivedAt    []time.Time
	hidden, pinned           []bool
	review                   []string
	meta                     []string
	// sessionID and fromSessionID are 0 for none.
	sessionID, fromSessionID []int64
	placement                []string
}

func (a *addColumns) args(eventID int64) []any {
	return []any{eventID, a.seq, a.source, a.externalID, a.kind,
		a.authorName, a.authorHandle, a.authorURL, a.authorAvatar, a.text, a.html, a.media, a.url,
		a.createdAt, a.receivedAt, a.hidden, a.pinned, a.review, a.meta, a.sessionID, a.placement, a.fromSessionID}
}

type opColumns struct {
	seq    []int64
	op     []string
	target []int64
}

// changeColumns is the batch's ops folded to one row per target, in order of
// first appearance; later ops overwrite earlier ones field by field.
type changeColumns struct {
	target                   []int64
	hidden, pinned           []*bool
	review                   []*string
	content                  []bool
	text, html, media, url   []string
	authorName, authorHandle []string
	authorURL, authorAvatar  []string
	meta                     []string
	// placed marks a moderator's placement in sessionID (0: none).
	placed    []bool
	sessionID []int64
}

func (c *changeColumns) args(eventID int64) []any {
	return []any{eventID, c.target, c.hidden, c.pinned, c.review, c.content,
		c.text, c.html, c.media, c.url, c.authorName, c.authorHandle, c.authorURL, c.authorAvatar, c.meta, c.placed, c.sessionID}
}

// row returns the index of target's row, adding an empty one if needed.
func (c *changeColumns) row(index map[int64]int, target int64) int {
	if i, ok := index[target]; ok {
		return i
	}
	i := len(c.target)
	index[target] = i
	c.target = append(c.target, target)
	c.hidden = append(c.hidden, nil)
	c.pinned = append(c.pinned, nil)
	c.review = append(c.review, nil)
	c.content = append(c.content, false)
	c.placed = append(c.placed, false)
	c.sessionID = append(c.sessionID, 0)
	for _, col := range []*[]string{&c.text, &c.html, &c.media, &c.url, &c.authorName, &c.authorHandle, &c.authorURL, &c.authorAvatar, &c.meta} {
		*col = append(*col, "")
	}
	return i
}

func ptr[T any](v T) *T { return &v }

// Placement is where an item sits in its event's schedule, as stored: its
// session (0 for none), the rule that chose it (models.Placed…) and the
// session whose page an attendee posted it from (0 for none).
type Placement struct {
	SessionID     int64
	Rule          string
	FromSessionID int64
}

// Placer decides an item's placement (package schedule's rule, through
// package jobs: the store runs queries and decides no rule). For an item
// a moderator placed (Item.Placed) it returns that session.
type Placer func(it *live.Item) Placement

// splitBatch turns entries into column arrays. Unknown ops are skipped.
// place may be nil: every item is then unplaced.
func splitBatch(entries []live.Entry, place Placer) batch {
	var b batch
	if place == nil {
		place = func(*live.Item) Placement { return Placement{} }
	}
	index := map[int64]int{}
	for _, e := range entries {
		if e.Op == live.OpAdd {
			if e.Item != nil {
				b.adds.add(e.Seq, e.Item, place(e.Item))
			}
			continue
		}
		switch e.Op {
		case live.OpHide, live.OpUnhide, live.OpPin, live.OpUnpin, live.OpUpdate,
			live.OpApprove, live.OpReject, live.OpHold:
		default:
			continue // a spotlight changes no item; unknown ops are skipped
		}
		target := e.Target
		if target == 0 && e.Item != nil {
			target = e.Item.Seq
		}
		if target <= 0 {
			continue
		}
		b.ops.seq = append(b.ops.seq, e.Seq)
		b.ops.op = append(b.ops.op, e.Op)
		b.ops.target = append(b.ops.target, target)
		i := b.changes.row(index, target)
		c := &b.changes
		switch e.Op {
		case live.OpHide:
			c.hidden[i] = ptr(true)
		case live.OpUnhide:
			// An unhide is also how a held item is approved.
			c.hidden[i] = ptr(false)
			c.review[i] = ptr(models.ReviewApproved)
		case live.OpPin:
			c.pinned[i] = ptr(true)
		case live.OpUnpin:
			c.pinned[i] = ptr(false)
		case live.OpApprove:
			c.hidden[i] = ptr(false)
			c.review[i] = ptr(models.ReviewApproved)
		case live.OpReject:
			c.review[i] = ptr(models.ReviewRejected)
		case live.OpHold:
			c.review[i] = ptr(models.ReviewPending)
		case live.OpUpdate:
			if it := e.Item; it != nil {
				c.content[i] = true
				c.text[i], c.html[i], c.url[i] = clean(it.Text), clean(it.HTML), clean(it.URL)
				c.media[i] = mediaJSON(it.Media)
				c.authorName[i], c.authorHandle[i] = clean(it.Author.Name), clean(it.Author.Handle)
				c.authorURL[i], c.authorAvatar[i] = clean(it.Author.URL), clean(it.Author.AvatarURL)
				c.meta[i] = metaJSON(it)
				if it.Placed {
					c.placed[i], c.sessionID[i] = true, place(it).SessionID
				}
			}
		}
	}
	return b
}

func (a *addColumns) add(seq int64, it *live.Item, p Placement) {
	kind := it.Kind
	if kind != live.KindPhoto {
		kind = live.KindPost
	}
	review := models.ReviewApproved
	if it.Held {
		review = models.ReviewPending
	}
	received := it.ReceivedAt
	if received.IsZero() {
		received = time.Now().UTC()
	}
	created := it.CreatedAt
	if created.IsZero() {
		created = received
	}
	a.seq = append(a.seq, seq)
	a.source = append(a.source, clean(it.Source))
	a.externalID = append(a.externalID, clean(externalID(seq, it)))
	a.kind = append(a.kind, kind)
	a.authorName = append(a.authorName, clean(it.Author.Name))
	a.authorHandle = append(a.authorHandle, clean(it.Author.Handle))
	a.authorURL = append(a.authorURL, clean(it.Author.URL))
	a.authorAvatar = append(a.authorAvatar, clean(it.Author.AvatarURL))
	a.text = append(a.text, clean(it.Text))
	a.html = append(a.html, clean(it.HTML))
	a.media = append(a.media, mediaJSON(it.Media))
	a.url = append(a.url, clean(it.URL))
	a.createdAt = append(a.createdAt, created.UTC())
	a.receivedAt = append(a.receivedAt, received.UTC())
	a.hidden = append(a.hidden, it.Hidden)
	a.pinned = append(a.pinned, it.Pinned)
	a.review = append(a.review, review)
	a.sessionID = append(a.sessionID, p.SessionID)
	a.fromSessionID = append(a.fromSessionID, p.FromSessionID)
	a.placement = append(a.placement, p.Rule)
	a.meta = append(a.meta, metaJSON(it))
}

// metaJSON is the item's live.Meta as the meta column keeps it.
func metaJSON(it *live.Item) string {
	return clean(string(it.MetaJSON()))
}

// externalID is the item's id without its "source:" prefix.
func externalID(seq int64, it *live.Item) string {
	if rest, ok := strings.CutPrefix(it.ID, it.Source+":"); ok {
		return rest
	}
	if it.ID == "" {
		return "seq:" + strconv.FormatInt(seq, 10)
	}
	return it.ID
}

// clean makes a string storable in a Postgres text column: valid UTF-8, no
// NUL. One malformed item must never wedge the strainer on its batch.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

func mediaJSON(m []live.Media) string {
	if len(m) == 0 {
		return "[]"
	}
	for i := range m {
		m[i].URL, m[i].ThumbURL, m[i].Alt, m[i].Type = clean(m[i].URL), clean(m[i].ThumbURL), clean(m[i].Alt), clean(m[i].Type)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "[]"
	}
	return string(b)
}
