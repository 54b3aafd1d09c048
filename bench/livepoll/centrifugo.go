package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// centrifugoAppendLoop publishes one message every 1/rate seconds through
// Centrifugo's HTTP API (POST /api/publish, X-API-Key), each
// {"seq":N,"sent":unix-nanoseconds}, so the same clients and counters
// measure the peer our stream is compared with.
func centrifugoAppendLoop(cfg config) (seqs []int64, errs int64, last int64) {
	hc := &http.Client{Timeout: 10 * time.Second}
	interval := time.Duration(float64(time.Second) / cfg.rate)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	end := time.Now().Add(cfg.duration)
	for seq := int64(1); time.Now().Before(end); seq++ {
		<-tick.C
		body := `{"channel":"` + cfg.event + `","data":{"seq":` + strconv.FormatInt(seq, 10) +
			`,"sent":` + strconv.FormatInt(time.Now().UnixNano(), 10) + `}}`
		req, _ := http.NewRequest(http.MethodPost, cfg.baseURL+"/api/publish", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", cfg.apiKey)
		resp, err := hc.Do(req)
		if err != nil {
			errs++
			continue
		}
		var b [256]byte
		n, _ := resp.Body.Read(b[:])
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.Contains(string(b[:n]), `"error"`) {
			if errs == 0 {
				fmt.Printf("livepoll: centrifugo publish answered %d %s\n", resp.StatusCode, b[:n])
			}
			errs++
			continue
		}
		seqs = append(seqs, seq)
		last = seq
	}
	return seqs, errs, last
}
