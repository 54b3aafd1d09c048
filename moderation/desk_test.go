package moderation_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
)

// testKeys is an AES-GCM keyring with one fixed key: enough to seal and
// open posters the way the wiring's keyring does.
type testKeys struct{ aead cipher.AEAD }

func newTestKeys(t *testing.T) testKeys {
	block, err := aes.NewCipher(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{aead}
}

func (k testKeys) Seal(purpose string, pt, bound []byte) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, pt, append([]byte(purpose), bound...)), nil
}

func (k testKeys) Open(purpose string, ct, bound []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(ct) < n {
		return nil, errors.New("short")
	}
	return k.aead.Open(nil, ct[:n], ct[n:], append([]byte(purpose), bound...))
}

// withKeys rebuilds the env's verbs with a keyring (and clock).
func (e *env) withKeys(now func() time.Time) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.verbs = moderation.New(store.New(e.db), moderation.LogOf(e.log, realtime.ErrUnknownTarget, realtime.ErrNotShown),
		moderation.Options{Logger: quiet, Keys: newTestKeys(e.t), Now: now})
}

// public reports whether the item at seq is in the public snapshot.
func (e *env) public(seq int64) bool {
	e.t.Helper()
	items, err := e.log.Items(context.Background(), e.ev.ID, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, it := range items {
		if it.Seq == seq {
			return true
		}
	}
	return false
}

// The held queue is approvable before straining: the live log carries the
// review decision (approve, reject), so once the strainer copies the item
// Postgres holds the decision, and the public sees exactly what it should
// at every step.
func TestApproveAndRejectBeforeStrainingEndWithTheRightReviewAndVisibility(t *testing.T) {
	cases := []struct {
		verb   string
		review string
		public bool
	}{
		{"approve", models.ReviewApproved, true},
		{"reject", models.ReviewRejected, false},
	}
	for _, c := range cases {
		t.Run(c.verb, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			seq := e.post("1", "ana", "held for review", true)
			if e.public(seq) {
				t.Fatal("a held item is public")
			}
			res, err := e.verbs.Do(ctx, e.mod, e.ev.ID, c.verb, seq)
			if err != nil || res.LiveErr != nil || len(res.Unstrained) != 1 {
				t.Fatalf("%s: %+v, %v", c.verb, res, err)
			}
			if e.public(seq) != c.public {
				t.Fatalf("after %s before straining: public=%v, want %v", c.verb, !c.public, c.public)
			}
			e.strain()
			r := e.row(seq)
			if r.Review != c.review {
				t.Fatalf("stored review %q, want %q", r.Review, c.review)
			}
			if got := live.FromRow(r, "", "").Public(); got != c.public {
				t.Fatalf("stored public=%v, want %v", got, c.public)
			}
			var visible int64
			e.db.Model(&models.Item{}).Where("event_id = ? AND seq = ? AND "+live.VisibleSQL, e.ev.ID, seq).Count(&visible)
			if (visible == 1) != c.public {
				t.Fatalf("archive sees it: %v, want %v", visible == 1, c.public)
			}
			// The decision is in log_ops, so history served from Postgres
			// replays it too.
			var op models.LogOp
			if err := e.db.Where("event_id = ? AND target = ?", e.ev.ID, seq).Take(&op).Error; err != nil || op.Op != c.verb {
				t.Fatalf("log_ops %+v %v; want the %s", op, err, c.verb)
			}
		})
	}
}

func TestRejectingAnItemAlreadyRejectedBeforeStrainingChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	seq := e.post("1", "ana", "held", true)
	if _, err := e.verbs.Reject(ctx, e.mod, e.ev.ID, seq); err != nil {
		t.Fatal(err)
	}
	mark := e.head()
	res, err := e.verbs.Reject(ctx, e.mod, e.ev.ID, seq)
	if err != nil || len(res.Changed) != 0 || len(e.opsAfter(mark)) != 0 {
		t.Fatalf("second reject: %+v %v, log %+v", res, err, e.opsAfter(mark))
	}
}

func TestReportsHoldAnItemAtTheEventsThresholdOncePerBrowser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.db.Model(&e.ev).Update("report_threshold", 2).Error; err != nil {
		t.Fatal(err)
	}
	seq := e.post("1", "ana", "a rude post", false)
	r1, err := e.verbs.Report(ctx, e.ev.ID, seq, "browser-1", "rude")
	if err != nil || r1.Count != 1 || r1.Duplicate || len(r1.Held.Changed) != 0 {
		t.Fatalf("first report: %+v %v", r1, err)
	}
	again, err := e.verbs.Report(ctx, e.ev.ID, seq, "browser-1", "")
	if err != nil || !again.Duplicate || again.Count != 1 {
		t.Fatalf("same browser again: %+v %v; want a duplicate, still 1", again, err)
	}
	if !e.public(seq) {
		t.Fatal("held below the threshold")
	}
	r2, err := e.verbs.Report(ctx, e.ev.ID, seq, "browser-2", "")
	if err != nil || r2.Count != 2 || len(r2.Held.Changed) != 1 {
		t.Fatalf("second browser: %+v %v; want the item held", r2, err)
	}
	if e.public(seq) {
		t.Fatal("held item still public")
	}
	as := e.audits("hold", seq)
	if len(as) != 1 || as[0].Actor != moderation.ReportActor.Name || !strings.HasPrefix(as[0].Message, "2 reports") {
		t.Fatalf("audit %+v", as)
	}
	e.strain()
	if r := e.row(seq); r.Review != models.ReviewPending {
		t.Fatalf("stored review %q, want pending (in the held queue)", r.Review)
	}
	// Reported items are listed for the console, most reported first.
	list, err := store.New(e.db).ReportedItems(ctx, e.ev.ID, 10)
	if err != nil || len(list) != 1 || list[0].Seq != seq || list[0].Count != 2 || len(list[0].Reasons) != 1 {
		t.Fatalf("reported items %+v %v", list, err)
	}
	// A hidden item cannot be reported: it reads as missing.
	other := e.post("2", "bo", "hidden", false)
	if _, err := e.verbs.Hide(ctx, e.mod, e.ev.ID, other); err != nil {
		t.Fatal(err)
	}
	if _, err := e.verbs.Report(ctx, e.ev.ID, other, "browser-1", ""); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("report of a hidden item: %v; want not found", err)
	}
}

func TestTrustedAuthorsAreNotHeldByReports(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.db.Model(&e.ev).Update("report_threshold", 1).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := e.verbs.Ban(ctx, e.mod, e.ev.ID, moderation.Ban{Kind: models.RuleAllow, Value: "@speaker@example.social"}); err != nil {
		t.Fatal(err)
	}
	seq := e.post("1", "speaker", "slides are up", false)
	res, err := e.verbs.Report(ctx, e.ev.ID, seq, "browser-1", "")
	if err != nil || res.Count != 1 || len(res.Held.Changed) != 0 || !e.public(seq) {
		t.Fatalf("report of a trusted author: %+v %v", res, err)
	}
}

func TestASpotlightIsALiveLogOpOfAShownItem(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 5, 24, 9, 0, 0, 0, time.UTC)
	e.withKeys(func() time.Time { return now })
	ctx := context.Background()
	seq := e.post("1", "ana", "on screen", false)
	mark := e.head()
	sp, err := e.verbs.Spotlight(ctx, e.mod, e.ev.ID, seq, 20*time.Second, "main-hall")
	if err != nil {
		t.Fatal(err)
	}
	if sp.Seconds != 20 || sp.Room != "main-hall" || !sp.Until.Equal(now.Add(20*time.Second)) {
		t.Fatalf("spotlight %+v", sp)
	}
	es := e.opsAfter(mark)
	if len(es) != 1 || es[0].Op != live.OpSpotlight || es[0].Target != seq || es[0].Item == nil || es[0].Item.Text != "on screen" ||
		es[0].Spotlight == nil || es[0].Spotlight.Seconds != 20 || es[0].Spotlight.Room != "main-hall" || !es[0].Public() {
		t.Fatalf("log after spotlight: %+v", es)
	}
	if len(e.audits("spotlight", seq)) != 1 {
		t.Fatal("spotlight not audited")
	}
	// The strainer stores nothing for it and changes no item.
	e.strain()
	if r := e.row(seq); r.Hidden || r.Pinned || r.Review != models.ReviewApproved {
		t.Fatalf("row after a spotlight: %+v", r)
	}
	hidden := e.post("2", "bo", "not shown", false)
	if _, err := e.verbs.Hide(ctx, e.mod, e.ev.ID, hidden); err != nil {
		t.Fatal(err)
	}
	if _, err := e.verbs.Spotlight(ctx, e.mod, e.ev.ID, hidden, 10*time.Second, ""); !errors.Is(err, moderation.ErrNotShown) {
		t.Fatalf("spotlight of a hidden item: %v; want ErrNotShown", err)
	}
	if _, err := e.verbs.Spotlight(ctx, e.mod, e.ev.ID, seq, time.Hour, ""); err == nil {
		t.Fatal("an hour-long spotlight was taken")
	}
}

// A banned room poster who changes their name is still refused: the ban
// follows the browser the server issued an id to (and, for a while, its
// address), and their earlier posts are hidden.
func TestABanOfARoomPosterFollowsTheirBrowserNotTheirName(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	e.withKeys(func() time.Time { return now })
	ctx := context.Background()
	troll := live.Poster{Client: realtime.NewClientID(), Address: "203.0.113.7"}
	post := func(name string, from live.Poster) (live.Item, error) {
		it := realtime.NewPostItem(realtime.PostItemID(from.Client, ""), name, "hello from "+name, false, now)
		err := e.verbs.ScreenPost(ctx, e.ev.ID, &it, from)
		return it, err
	}
	it, err := post("Troll", troll)
	if err != nil || it.Poster == "" {
		t.Fatalf("first post: %+v %v; want it sealed", it, err)
	}
	res, err := e.log.AppendItem(ctx, e.ev.ID, it)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := post("Troll", live.Poster{Client: realtime.NewClientID(), Address: "198.51.100.1"})
	if other.Poster == it.Poster {
		t.Fatal("two posts share a poster token: posts of one browser are linkable")
	}
	ban, err := e.verbs.BanPoster(ctx, e.mod, e.ev.ID, res.Seq, moderation.PosterBan{AddressFor: 30 * time.Minute, Past: true})
	if err != nil || !ban.Client.Created || ban.Address == nil || len(ban.Client.Hidden.Changed) != 1 {
		t.Fatalf("ban poster: %+v %v", ban, err)
	}
	if e.public(res.Seq) {
		t.Fatal("their earlier post is still public")
	}
	if _, err := post("A New Name", troll); !errors.Is(err, moderation.ErrBanned) {
		t.Fatalf("banned browser with a new name: %v; want ErrBanned", err)
	}
	if _, err := post("Someone", live.Poster{Client: realtime.NewClientID(), Address: troll.Address}); !errors.Is(err, moderation.ErrBanned) {
		t.Fatalf("new browser from the banned address: %v; want ErrBanned", err)
	}
	now = now.Add(31 * time.Minute)
	e.verbs.RulesChanged(e.ev.ID)
	if _, err := post("Someone", live.Poster{Client: realtime.NewClientID(), Address: troll.Address}); err != nil {
		t.Fatalf("the address ban ended, yet: %v", err)
	}
	if _, err := post("Yet Another", troll); !errors.Is(err, moderation.ErrBanned) {
		t.Fatalf("the browser ban has no end, yet: %v", err)
	}
	var rules []models.ModerationRule
	e.db.Where("event_id = ?", e.ev.ID).Order("id").Find(&rules)
	if len(rules) != 2 || rules[0].Kind != models.RuleClient || rules[0].Value == troll.Client || rules[1].Kind != models.RuleAddress ||
		rules[1].ExpiresAt == nil {
		t.Fatalf("rules %+v; want the browser (hashed, never the cookie) and the address with an end", rules)
	}
	src := e.post("9", "ana", "from a source", false)
	if _, err := e.verbs.BanPoster(ctx, e.mod, e.ev.ID, src, moderation.PosterBan{}); !errors.Is(err, moderation.ErrNoPoster) {
		t.Fatalf("ban poster of a source item: %v; want ErrNoPoster", err)
	}
}
