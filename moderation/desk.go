package moderation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// The moderation desk's verbs beyond the item verbs: attendees' reports,
// the spotlight, and bans that follow a room poster.

// ReportActor is who holds an item that reached its event's report
// threshold, in the audit log.
var ReportActor = store.Actor{Name: "attendee reports"}

// ReportResult is what Report did.
type ReportResult struct {
	// Count is how many browsers have reported the item.
	Count int
	// Duplicate: this reporter had reported the item already.
	Duplicate bool
	// Held is the hold the report caused (Changed is empty when it caused
	// none: below the threshold, already held, or a trusted author).
	Held Result
}

// Report records reporter's (a client id) report of the public item at
// seq, once per reporter, and holds the item for review when its reports
// reach the event's threshold (Event.ReportThreshold; 0 never holds), unless
// its author is on the allow list. An item the public does not see is
// models.NotFound, as for any other attendee.
func (v *Verbs) Report(ctx context.Context, eventID, seq int64, reporter, reason string) (ReportResult, error) {
	it, err := v.Item(ctx, eventID, seq)
	if err != nil {
		return ReportResult{}, err
	}
	if !it.Public() {
		return ReportResult{}, models.NotFound("post", seq)
	}
	var res ReportResult
	var plan []planned
	err = v.st.Tx(ctx, func(tx *store.Store) error {
		added, n, err := tx.AddReport(ctx, eventID, seq, ClientHash(reporter), reason)
		if err != nil {
			return err
		}
		res = ReportResult{Count: n, Duplicate: !added}
		threshold, err := tx.ReportThreshold(ctx, eventID)
		if err != nil || !added || threshold <= 0 || n < threshold {
			return err
		}
		if r, err := v.Rules(ctx, eventID); err == nil && r.Allowed(it.Author) {
			return nil // trusted: the moderators see the count and decide
		}
		plan, err = v.apply(ctx, tx, ReportActor, eventID, []int64{seq}, verbHold, fmt.Sprintf("%d reports", n))
		return err
	})
	if err != nil {
		return ReportResult{}, fmt.Errorf("moderation: report item %d of event %d: %w", seq, eventID, err)
	}
	res.Held = v.tell(ctx, eventID, verbHold, plan)
	return res, nil
}

// DefaultSpotlight is how long a spotlight lasts when the moderator does
// not say.
const DefaultSpotlight = 15 * time.Second

// MaxSpotlight bounds a spotlight.
const MaxSpotlight = 10 * time.Minute

// Spotlight shows the public item at seq on every wall of the event (or
// only on room's) for d, through the live log (so every wall gets it with
// the log's guarantees, within a second); d 0 ends a spotlight early. It
// changes no item and is audited. ErrNotShown: the public does not see the
// item.
func (v *Verbs) Spotlight(ctx context.Context, by store.Actor, eventID, seq int64, d time.Duration, room string) (live.Spotlight, error) {
	if d < 0 || d > MaxSpotlight {
		return live.Spotlight{}, &models.ValidationError{Fields: []models.FieldError{
			{Field: "seconds", Message: fmt.Sprintf("must be between 0 and %d", int(MaxSpotlight/time.Second))}}}
	}
	it, err := v.Item(ctx, eventID, seq)
	if err != nil {
		return live.Spotlight{}, err
	}
	if !it.Public() {
		return live.Spotlight{}, ErrNotShown
	}
	if v.log == nil {
		return live.Spotlight{}, errors.New("moderation: spotlight: no live log")
	}
	sp := live.Spotlight{Seconds: int(d / time.Second), Room: strings.TrimSpace(room), Until: v.opts.Now().Add(d).UTC()}
	if err := v.log.AppendSpotlight(ctx, eventID, seq, it, sp); err != nil {
		return live.Spotlight{}, fmt.Errorf("moderation: spotlight item %d of event %d: %w", seq, eventID, err)
	}
	msg := fmt.Sprintf("%d seconds", sp.Seconds)
	if sp.Room != "" {
		msg += " in room " + sp.Room
	}
	if err := v.st.Audit(ctx, store.Change{Actor: by, Action: "spotlight", ObjectType: "item", ObjectID: store.ID(seq),
		EventID: eventID, Message: msg}); err != nil {
		v.opts.Logger.Warn("moderation: spotlight shown but not audited", "event", eventID, "seq", seq, "err", err)
	}
	return sp, nil
}

// PosterBan is a ban of the room poster who wrote an item.
type PosterBan struct {
	// AddressFor also bans the address they posted from, for this long
	// (0: not at all). A venue's attendees often share one address, so
	// keep it short.
	AddressFor time.Duration
	// For ends the ban of their browser after this long (0: until lifted).
	For time.Duration
	// Past hides their items already posted (by their browser, not their
	// address).
	Past bool
	Note string
}

// PosterBanResult is what BanPoster did.
type PosterBanResult struct {
	Client  BanResult
	Address *BanResult // nil: the address was not banned
}

// ErrNoPoster is returned by BanPoster for an item that is not a room post
// the server sealed its poster into.
var ErrNoPoster = errors.New("moderation: the item carries no poster to ban (not a room post, or posted before bans followed browsers)")

// BanPoster bans the browser (and, with AddressFor, for a while the
// address) that posted the room item at seq: the ban follows the client id
// the server issued, not the name they typed, so a new name does not get
// them back in. Each rule is audited like any ban.
func (v *Verbs) BanPoster(ctx context.Context, by store.Actor, eventID, seq int64, b PosterBan) (PosterBanResult, error) {
	it, err := v.Item(ctx, eventID, seq)
	if err != nil {
		return PosterBanResult{}, err
	}
	p, ok := openPoster(v.opts.Keys, eventID, it.Poster)
	if !ok {
		return PosterBanResult{}, ErrNoPoster
	}
	now := v.opts.Now()
	note := strings.TrimSpace(b.Note)
	if note == "" {
		note = fmt.Sprintf("posted item %d as %q", seq, it.Author.Name)
	}
	var res PosterBanResult
	client := Ban{Kind: models.RuleClient, Value: p.ClientHash, Note: note, Past: b.Past}
	if b.For > 0 {
		t := now.Add(b.For)
		client.Expires = &t
	}
	if res.Client, err = v.Ban(ctx, by, eventID, client); err != nil {
		return res, err
	}
	if b.AddressFor > 0 && p.Address != "" {
		t := now.Add(b.AddressFor)
		ar, err := v.Ban(ctx, by, eventID, Ban{Kind: models.RuleAddress, Value: p.Address, Note: note, Expires: &t})
		if err != nil {
			return res, err
		}
		res.Address = &ar
	}
	return res, nil
}

// validAddress reports whether s is an IP address.
func validAddress(s string) bool { return net.ParseIP(s) != nil }
