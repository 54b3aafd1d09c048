// Command postload measures attendee posts end to end: W workers, each a
// browser with its own cookie and connection, POST to
// /api/events/{event}/posts as fast as the server answers for the duration,
// and the tool prints accepted posts per second, answer latency and every
// status seen. Run the server with a RATE_LIMIT_POSTS high enough for the
// load (bench/liveserver -post-rate 1000000), or it measures the limiter.
//
// With -session the workers are the audience instead: each asks one question
// in that session, then votes on the questions asked so far and takes every
// tenth vote back, as fast as the server answers; accepted means 200 or 201
// (raise RATE_LIMIT_QUESTIONS and RATE_LIMIT_VOTES likewise).
//
//	go run ./bench/postload -url http://127.0.0.1:3200 -event demo -workers 64 -duration 10s
//	go run ./bench/postload -url http://127.0.0.1:3200 -event demo -session keynote -workers 64 -duration 10s
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/url"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/backchannel/backchannel/realtime"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:3200", "base URL of the web node")
	event := flag.String("event", "demo", "event slug")
	workers := flag.Int("workers", 64, "concurrent posting browsers")
	duration := flag.Duration("duration", 10*time.Second, "how long to post")
	session := flag.String("session", "", "measure questions and votes in this session instead of posts")
	flag.Parse()
	u, err := url.Parse(*base)
	if err != nil {
		log.Fatalf("postload: -url: %v", err)
	}
	path := *base + "/api/events/" + url.PathEscape(*event) + "/posts"
	qpath := *base + "/api/events/" + url.PathEscape(*event) + "/sessions/" + url.PathEscape(*session) + "/questions"
	var qmu sync.Mutex
	var asked []int64 // question ids, for the votes

	var mu sync.Mutex
	statuses := map[int]int{}
	var lats []time.Duration
	end := time.Now().Add(*duration)
	begin := time.Now()
	var wg sync.WaitGroup
	for w := range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &fasthttp.HostClient{Addr: u.Host, MaxConns: 1}
			cookie := realtime.NewClientID()
			var mine []time.Duration
			codes := map[int]int{}
			for n := 0; time.Now().Before(end); n++ {
				req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
				req.Header.SetCookie(realtime.ClientCookie, cookie)
				switch {
				case *session == "":
					req.SetRequestURI(path)
					req.Header.SetMethod(fasthttp.MethodPost)
					req.Header.SetContentType("application/json")
					req.SetBodyString(fmt.Sprintf(`{"name":"worker %d","text":"post %d from https://example.org/w%d"}`, w, n, w))
				case n == 0:
					req.SetRequestURI(qpath)
					req.Header.SetMethod(fasthttp.MethodPost)
					req.Header.SetContentType("application/json")
					req.SetBodyString(fmt.Sprintf(`{"text":"question from worker %d"}`, w))
				default:
					qmu.Lock()
					id := asked[n%len(asked)]
					qmu.Unlock()
					req.SetRequestURI(fmt.Sprintf("%s/%d/vote", qpath, id))
					req.Header.SetMethod(fasthttp.MethodPost)
					if n%10 == 0 {
						req.Header.SetMethod(fasthttp.MethodDelete)
					}
				}
				t0 := time.Now()
				err := hc.DoTimeout(req, resp, 10*time.Second)
				d := time.Since(t0)
				code := resp.StatusCode()
				if err != nil {
					code = -1
				}
				codes[code]++
				if code == fasthttp.StatusCreated || (*session != "" && code == fasthttp.StatusOK) {
					mine = append(mine, d)
				}
				if *session != "" && n == 0 {
					var q struct {
						ID int64 `json:"id"`
					}
					if code != fasthttp.StatusCreated || json.Unmarshal(resp.Body(), &q) != nil {
						log.Fatalf("postload: asking a question: %d %s", code, resp.Body())
					}
					qmu.Lock()
					asked = append(asked, q.ID)
					qmu.Unlock()
				}
				fasthttp.ReleaseRequest(req)
				fasthttp.ReleaseResponse(resp)
			}
			mu.Lock()
			lats = append(lats, mine...)
			for k, v := range codes {
				statuses[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	slices.Sort(lats)
	what := "posts"
	if *session != "" {
		what = "questions and votes"
	}
	fmt.Printf("postload: %d workers for %s: %d %s accepted (%.0f/s)\n", *workers, elapsed.Round(time.Millisecond),
		len(lats), what, float64(len(lats))/elapsed.Seconds())
	fmt.Printf("latency of accepted posts: p50 %s  p99 %s  max %s\n", pct(lats, 50), pct(lats, 99), pct(lats, 100))
	codes := make([]int, 0, len(statuses))
	for k := range statuses {
		codes = append(codes, k)
	}
	sort.Ints(codes)
	for _, k := range codes {
		fmt.Printf("  status %d: %d\n", k, statuses[k])
	}
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := min(max((len(sorted)*p+99)/100-1, 0), len(sorted)-1)
	return sorted[i].Round(10 * time.Microsecond)
}
