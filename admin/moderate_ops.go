package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

// liveItem converts a strained item to the Live API's item.
func liveItem(it models.Item, session string) live.Item {
	out := live.Item{Seq: it.Seq, ID: it.Source + ":" + it.ExternalID, Source: it.Source, Kind: it.Kind,
		Author: live.Author{Name: it.AuthorName, Handle: it.AuthorHandle, URL: it.AuthorURL, AvatarURL: it.AuthorAvatar},
		Text:   it.Text, HTML: it.HTML, URL: it.URL, CreatedAt: it.CreatedAt, ReceivedAt: it.ReceivedAt,
		Session: session, Pinned: it.Pinned, Hidden: it.Hidden, Held: it.Review == models.ReviewPending}
	if len(it.Media) > 0 {
		_ = json.Unmarshal(it.Media, &out.Media)
	}
	if out.Media == nil {
		out.Media = []live.Media{}
	}
	return out
}

// setHidden sets items.hidden on seqs (those not already so), auditing each.
func (s *server) setHidden(ctx context.Context, tx *gorm.DB, sc Scope, seqs []int64, hidden bool, msg string) error {
	return s.setItemFlag(ctx, tx, sc, seqs, "hidden", hidden, map[bool]string{true: "hide", false: "unhide"}[hidden], msg)
}

// setItemFlag sets one boolean column of items and writes one audit entry
// per changed item, in tx.
func (s *server) setItemFlag(ctx context.Context, tx *gorm.DB, sc Scope, seqs []int64, column string, val bool, action, msg string) error {
	if len(seqs) == 0 {
		return nil
	}
	var changed []int64
	err := tx.WithContext(ctx).Raw("UPDATE items SET "+column+" = ? WHERE event_id = ? AND seq IN ? AND "+column+" <> ? RETURNING seq",
		val, sc.EventID(), seqs, val).Scan(&changed).Error
	if err != nil {
		return fmt.Errorf("admin: %s items: %w", action, err)
	}
	for _, seq := range changed {
		if err := writeAudit(tx, sc.Actor, action, "item", seq, sc.eventPtr(),
			map[string]any{column: !val}, map[string]any{column: val}, msg); err != nil {
			return err
		}
	}
	return nil
}

// setReview moves items to a review state, auditing each; it returns the
// seqs that changed with their previous state.
func (s *server) setReview(ctx context.Context, tx *gorm.DB, sc Scope, seqs []int64, review string) (map[int64]string, error) {
	var rows []struct {
		Seq    int64
		Review string
	}
	if err := tx.WithContext(ctx).Raw(`SELECT seq, review FROM items WHERE event_id = ? AND seq IN ? AND review <> ? FOR UPDATE`,
		sc.EventID(), seqs, review).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("admin: review items: %w", err)
	}
	out := make(map[int64]string, len(rows))
	action := map[string]string{models.ReviewApproved: "approve", models.ReviewRejected: "reject", models.ReviewPending: "hold"}[review]
	for _, r := range rows {
		upd := map[string]any{"review": review}
		if review == models.ReviewApproved {
			upd["hidden"] = false // approving means: show it
		}
		if err := tx.Model(&models.Item{}).Where("event_id = ? AND seq = ?", sc.EventID(), r.Seq).Updates(upd).Error; err != nil {
			return nil, fmt.Errorf("admin: review item %d: %w", r.Seq, err)
		}
		if err := writeAudit(tx, sc.Actor, action, "item", r.Seq, sc.eventPtr(),
			map[string]any{"review": r.Review}, map[string]any{"review": review}, ""); err != nil {
			return nil, err
		}
		out[r.Seq] = r.Review
	}
	return out, nil
}

// appendOps tells every open live page about a moderation change, after
// Postgres holds it. Items the log no longer holds (trimmed after straining)
// are skipped: archives read Postgres, which already has the change.
func (s *server) appendOps(ctx context.Context, eventID int64, op string, seqs []int64) error {
	if len(seqs) > 0 {
		s.changed(ctx, eventID, "items")
	}
	if s.d.Log == nil || len(seqs) == 0 {
		return nil
	}
	var items map[int64]live.Item
	if op != live.OpHide {
		var err error
		if items, err = s.itemsForLog(ctx, eventID, seqs); err != nil {
			return err
		}
	}
	var errs []error
	for _, seq := range seqs {
		var it *live.Item
		if op != live.OpHide {
			x, ok := items[seq]
			if !ok {
				continue
			}
			it = &x
		}
		_, err := s.d.Log.AppendOp(ctx, eventID, op, seq, it)
		if errors.Is(err, realtime.ErrUnknownTarget) {
			s.log.Debug("admin: op target not in live log", "event", eventID, "seq", seq, "op", op)
			continue
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// itemsForLog returns the current state of items by seq: from Postgres, or,
// for items not strained yet, from their add entry in the live log.
func (s *server) itemsForLog(ctx context.Context, eventID int64, seqs []int64) (map[int64]live.Item, error) {
	var rows []models.Item
	if err := s.d.DB.WithContext(ctx).Where("event_id = ? AND seq IN ?", eventID, seqs).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("admin: items: %w", err)
	}
	slugs, err := s.sessionSlugs(ctx, eventID)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]live.Item, len(seqs))
	for _, r := range rows {
		slug := ""
		if r.SessionID != nil {
			slug = slugs[*r.SessionID]
		}
		out[r.Seq] = liveItem(r, slug)
	}
	for _, seq := range seqs {
		if _, ok := out[seq]; ok || s.d.Log == nil {
			continue
		}
		es, err := s.d.Log.Range(ctx, eventID, seq-1, 1)
		if err != nil {
			return nil, err
		}
		if len(es) == 1 && es[0].Seq == seq && es[0].Item != nil {
			out[seq] = *es[0].Item
		}
	}
	return out, nil
}

func (s *server) sessionSlugs(ctx context.Context, eventID int64) (map[int64]string, error) {
	var ss []models.Session
	if err := s.d.DB.WithContext(ctx).Select("id, slug").Where("event_id = ?", eventID).Find(&ss).Error; err != nil {
		return nil, fmt.Errorf("admin: sessions: %w", err)
	}
	out := make(map[int64]string, len(ss))
	for _, x := range ss {
		out[x.ID] = x.Slug
	}
	return out, nil
}

// changed tells the wiring that an event's rows changed (see Deps.OnChange).
func (s *server) changed(ctx context.Context, eventID int64, what string) {
	if s.d.OnChange != nil && eventID > 0 {
		s.d.OnChange(ctx, eventID, what)
	}
}
