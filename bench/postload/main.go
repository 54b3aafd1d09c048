// Command postload measures attendee posts end to end: W workers, each a
// browser with its own cookie and connection, POST to
// /api/events/{event}/posts as fast as the server answers for the duration,
// and the tool prints accepted posts per second, answer latency and every
// status seen. Run the server with a RATE_LIMIT_POSTS high enough for the
// load (bench/liveserver -post-rate 1000000), or it measures the limiter.
//
//	go run ./bench/postload -url http://127.0.0.1:3200 -event demo -workers 64 -duration 10s
package main

import (
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
	flag.Parse()
	u, err := url.Parse(*base)
	if err != nil {
		log.Fatalf("postload: -url: %v", err)
	}
	path := *base + "/api/events/" + url.PathEscape(*event) + "/posts"

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
				req.SetRequestURI(path)
				req.Header.SetMethod(fasthttp.MethodPost)
				req.Header.SetContentType("application/json")
				req.Header.SetCookie(realtime.ClientCookie, cookie)
				req.SetBodyString(fmt.Sprintf(`{"name":"worker %d","text":"post %d from https://example.org/w%d"}`, w, n, w))
				t0 := time.Now()
				err := hc.DoTimeout(req, resp, 10*time.Second)
				d := time.Since(t0)
				code := resp.StatusCode()
				if err != nil {
					code = -1
				}
				codes[code]++
				if code == fasthttp.StatusCreated {
					mine = append(mine, d)
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
	fmt.Printf("postload: %d workers for %s: %d posts accepted (%.0f/s)\n", *workers, elapsed.Round(time.Millisecond),
		len(lats), float64(len(lats))/elapsed.Seconds())
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
