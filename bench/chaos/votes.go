package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The audience under fire: questions asked before the emission, then
// -voters browsers (each its own cookie, so its own client) voting on every
// question through both web nodes while the faults run. Voter i ends with a
// vote on question j when (i+j)%3 != 0; otherwise it votes and takes the
// vote back, so the run covers both verbs. A request that fails for any
// reason is sent again, to the other node, until it is answered 200: votes
// are idempotent per client, so a retry never counts twice. At the end the
// count of every question must equal the voters that ended with a vote, in
// Postgres (the count and the rows per voter), in the live log's list, and
// at every long-poll client (the last votes entry it received).

const qaSession = "main"

// voteRun is what the voters did.
type voteRun struct {
	questions []int64
	// expected is the votes each question must end with.
	expected map[int64]int64
	requests atomic.Int64
	retries  atomic.Int64
	done     chan struct{}
}

// audience makes a voter's HTTP client: its own cookie jar (one browser).
func audienceClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 15 * time.Second}
}

// send sends one audience request until it is answered 200 or 201, turning
// to the next node after a failure; it returns the decoded answer.
func (h *harness) send(ctx context.Context, c *http.Client, start int, method, path, body string, vr *voteRun) (map[string]any, error) {
	node := start
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if vr != nil {
			vr.requests.Add(1)
			if attempt > 0 {
				vr.retries.Add(1)
			}
		}
		req, _ := http.NewRequestWithContext(ctx, method, h.nodes[node%len(h.nodes)]+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.Do(req)
		if err == nil {
			var out map[string]any
			derr := json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated) && derr == nil {
				return out, nil
			}
			if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusNotFound {
				return nil, fmt.Errorf("%s %s: %d %v", method, path, resp.StatusCode, out)
			}
		}
		node++
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(100+rand.IntN(400)) * time.Millisecond):
		}
	}
}

// askQuestions asks -questions questions, each by its own browser.
func (h *harness) askQuestions(ctx context.Context) (*voteRun, error) {
	vr := &voteRun{expected: map[int64]int64{}, done: make(chan struct{})}
	path := "/api/events/" + eventSlug + "/sessions/" + qaSession + "/questions"
	for j := range h.o.questions {
		out, err := h.send(ctx, audienceClient(), j, http.MethodPost, path, fmt.Sprintf(`{"text":"chaos question %d"}`, j), nil)
		if err != nil {
			return nil, fmt.Errorf("ask question %d: %w", j, err)
		}
		id, _ := out["id"].(float64)
		vr.questions = append(vr.questions, int64(id))
		vr.expected[int64(id)] = 0
	}
	for i := range h.o.voters {
		for j, id := range vr.questions {
			if (i+j)%3 != 0 {
				vr.expected[id]++
			}
		}
	}
	log.Printf("%d questions asked; %d voters will cast %d votes and take %d back", len(vr.questions), h.o.voters,
		sum(vr.expected), h.o.voters*len(vr.questions)-int(sum(vr.expected)))
	return vr, nil
}

func sum(m map[int64]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// runVoters runs the voters, spreading their requests over span.
func (h *harness) runVoters(ctx context.Context, vr *voteRun, span time.Duration) {
	defer close(vr.done)
	var wg sync.WaitGroup
	perVoter := len(vr.questions) * 2
	for i := range h.o.voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := audienceClient()
			pause := span / time.Duration(perVoter+1)
			time.Sleep(time.Duration(rand.Int64N(int64(pause) + 1)))
			for j, id := range vr.questions {
				path := fmt.Sprintf("/api/events/%s/sessions/%s/questions/%d/vote", eventSlug, qaSession, id)
				if _, err := h.send(ctx, c, i+j, http.MethodPost, path, "", vr); err != nil {
					return
				}
				time.Sleep(pause)
				if (i+j)%3 == 0 {
					if _, err := h.send(ctx, c, i+j+1, http.MethodDelete, path, "", vr); err != nil {
						return
					}
				}
				time.Sleep(pause)
			}
		}()
	}
	wg.Wait()
	log.Printf("voters done: %d requests, %d of them retries after a failure", vr.requests.Load(), vr.retries.Load())
}

// voteCheck compares every question's count with what the voters cast.
type voteCheck struct {
	cast                       int64
	pgWrong, rowsWrong, lWrong int
	clientsWrong               int
	samples                    []string
}

func (h *harness) checkVotes(ctx context.Context, vr *voteRun) (voteCheck, error) {
	vc := voteCheck{cast: sum(vr.expected)}
	rows, err := h.edb.db.QueryContext(ctx, `SELECT q.id, q.votes, (SELECT count(*) FROM question_votes v
		WHERE v.event_id = q.event_id AND v.question_id = q.id) FROM questions q WHERE q.event_id = $1`, h.eventID)
	if err != nil {
		return vc, err
	}
	seen := map[int64]bool{}
	for rows.Next() {
		var id, votes, voters int64
		if err := rows.Scan(&id, &votes, &voters); err != nil {
			rows.Close()
			return vc, err
		}
		seen[id] = true
		if votes != vr.expected[id] {
			vc.pgWrong++
			vc.sample(fmt.Sprintf("question %d: %d votes in Postgres, %d cast", id, votes, vr.expected[id]))
		}
		if voters != vr.expected[id] {
			vc.rowsWrong++
			vc.sample(fmt.Sprintf("question %d: %d voter rows in Postgres, %d cast", id, voters, vr.expected[id]))
		}
	}
	rows.Close()
	for _, id := range vr.questions {
		if !seen[id] {
			vc.pgWrong++
			vc.sample(fmt.Sprintf("question %d: not in Postgres", id))
		}
	}
	out, err := h.send(ctx, audienceClient(), 0, http.MethodGet, "/api/events/"+eventSlug+"/sessions/"+qaSession+"/questions", "", nil)
	if err != nil {
		return vc, err
	}
	listed := map[int64]int64{}
	if qs, ok := out["questions"].([]any); ok {
		for _, q := range qs {
			m, _ := q.(map[string]any)
			id, _ := m["id"].(float64)
			v, _ := m["votes"].(float64)
			listed[int64(id)] = int64(v)
		}
	}
	for _, id := range vr.questions {
		if listed[id] != vr.expected[id] {
			vc.lWrong++
			vc.sample(fmt.Sprintf("question %d: %d votes in the live log's list, %d cast", id, listed[id], vr.expected[id]))
		}
	}
	for _, c := range h.clients {
		c.mu.Lock()
		wrong := false
		for _, id := range vr.questions {
			if c.votes[id] != vr.expected[id] {
				wrong = true
				if len(vc.samples) < 10 {
					vc.sample(fmt.Sprintf("client %d: question %d at %d votes, %d cast", c.id, id, c.votes[id], vr.expected[id]))
				}
			}
		}
		c.mu.Unlock()
		if wrong {
			vc.clientsWrong++
		}
	}
	sort.Strings(vc.samples)
	return vc, nil
}

func (vc *voteCheck) sample(s string) {
	if len(vc.samples) < 10 {
		vc.samples = append(vc.samples, s)
	}
}

// sessionYAML is the event file's session holding the questions: the whole
// event, so every item and every question is in it.
func sessionYAML(start, end time.Time) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "qa: open\nsessions:\n  - slug: %s\n    title: Main stage\n    starts_at: %s\n    ends_at: %s\n",
		qaSession, start.Format(time.RFC3339), end.Format(time.RFC3339))
	return b.String()
}
