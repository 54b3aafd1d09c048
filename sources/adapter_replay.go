package sources

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/backchannel/backchannel/live"
)

// replay posts built-in sample posts, one every interval, for the demo
// event. Each post's ID carries a counter kept as the cursor, so ids never
// repeat and a takeover continues the count (a replayed number is the same
// post again, which the log's dedupe drops).
type replay struct {
	r     *runner
	every time.Duration
}

func newReplay(r *runner) *replay {
	return &replay{r: r, every: r.cfg.EveryOr(r.m.opts.ReplayEvery)}
}

func (a *replay) interval() time.Duration { return a.every }

func (a *replay) run(ctx context.Context, r *runner) error {
	r.connected()
	n, _ := strconv.ParseInt(r.savedCursor(), 10, 64)
	n++
	it := ReplayItem(r.src.ID, n, time.Now())
	if err := r.add(ctx, it); err != nil {
		return err
	}
	r.checkpoint(strconv.FormatInt(n, 10))
	return nil
}

type samplePost struct{ name, handle, text string }

// replaySamples are plausible conference posts; no media, so the demo needs
// no outside images.
var replaySamples = [...]samplePost{
	{"Ana Ruiz", "@ana@example.social", "Doors are open and the coffee is strong. Ready for day one! #demo"},
	{"Bob Chen", "@bobc@example.social", "The keynote room is already half full, 20 minutes early."},
	{"Chioma Obi", "@chioma@example.social", "Opening keynote: \"the best feature is the one you delete\". Writing that down."},
	{"Dev Patel", "@devp@example.social", "Slides for my talk are up — link in the session page. Questions welcome!"},
	{"Elena Rossi", "@elena@example.social", "Great point about accessibility being part of the definition of done."},
	{"Farid Haddad", "@farid@example.social", "Wifi tip: the second floor network is much faster."},
	{"Grace Kim", "@gracek@example.social", "Live demo worked on the first try. Standing ovation for the demo gods."},
	{"Hiro Tanaka", "@hiro@example.social", "Hallway track is the best track. Met three people who maintain tools I use daily."},
	{"Ines Costa", "@ines@example.social", "Lunch is in Hall 2. The vegetarian option is excellent."},
	{"Jonas Berg", "@jonas@example.social", "\"Measure before you optimize\" — every year, still true."},
	{"Kemi Adeyemi", "@kemi@example.social", "Loving the live captions on the main screen. More events should do this."},
	{"Liam O'Brien", "@liam@example.social", "Workshop room B is full; overflow seating next door."},
	{"Maya Singh", "@maya@example.social", "Takeaway from the testing talk: test behaviour, not implementation."},
	{"Noah Weber", "@noah@example.social", "Who else is going to the lightning talks at 4? Saving seats near the front."},
	{"Olga Ivanova", "@olga@example.social", "The speaker just used a whiteboard instead of slides and it was brilliant."},
	{"Pedro Alves", "@pedro@example.social", "Sketchnotes from the morning sessions coming tonight."},
	{"Qi Zhang", "@qi@example.social", "Tip for first-timers: ask questions in the hallway, speakers love them."},
	{"Rosa Martínez", "@rosa@example.social", "Panel on open source sustainability is packed. Good sign."},
	{"Sam Taylor", "@samt@example.social", "Free stickers at the community table, grab them before they vanish."},
	{"Tariq Aziz", "@tariq@example.social", "My favourite slide so far: a graph with error bars. Thank you!"},
	{"Uma Nair", "@uma@example.social", "Just learned the venue has a quiet room on level 3. Much appreciated."},
	{"Victor Laurent", "@victor@example.social", "Afternoon keynote starting in 5 minutes, grab your seats."},
	{"Wen Li", "@wenli@example.social", "The talk on incident reviews should be required viewing for every team."},
	{"Xavier Dupont", "@xavier@example.social", "Snacks restocked by the registration desk."},
	{"Yara Haddad", "@yara@example.social", "Great Q&A — the speaker admitted what they got wrong. Rare and refreshing."},
	{"Zoe Clark", "@zoe@example.social", "Day one done. Brain full, feet tired, very happy."},
	{"Ali Kaya", "@ali@example.social", "Reminder: the social is at 7pm, badges required."},
	{"Bea Novak", "@bea@example.social", "First conference talk ever today. Thanks to everyone who came!"},
	{"Carl Jensen", "@carl@example.social", "The room change for the security talk is on the board by the stairs."},
	{"Dana Levi", "@dana@example.social", "Recordings will be online next week according to the organizers."},
}

// ReplayItem is the n-th sample post of a replay source.
func ReplayItem(sourceID, n int64, now time.Time) live.Item {
	if n < 1 {
		n = 1
	}
	p := replaySamples[(n-1)%int64(len(replaySamples))]
	return NormalizePlain("replay", fmt.Sprintf("%d-%d", sourceID, n), live.Author{Name: p.name, Handle: p.handle}, p.text, "", now, now)
}
