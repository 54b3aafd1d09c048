package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// nchanAppendLoop publishes one message every 1/rate seconds to nchan's
// publisher location (/pub?id=CHANNEL), each "seq unix-nanoseconds", so the
// same clients and counters measure the peer the design compares us with.
func nchanAppendLoop(cfg config) (seqs []int64, errs int64, last int64) {
	pub := fmt.Sprintf("%s/pub?id=%s", cfg.baseURL, url.QueryEscape(cfg.event))
	hc := &http.Client{Timeout: 10 * time.Second}
	interval := time.Duration(float64(time.Second) / cfg.rate)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	end := time.Now().Add(cfg.duration)
	for seq := int64(1); time.Now().Before(end); seq++ {
		<-tick.C
		body := strconv.FormatInt(seq, 10) + " " + strconv.FormatInt(time.Now().UnixNano(), 10)
		resp, err := hc.Post(pub, "text/plain", strings.NewReader(body))
		if err != nil {
			errs++
			continue
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			errs++
			continue
		}
		seqs = append(seqs, seq)
		last = seq
	}
	return seqs, errs, last
}

// nchanProto speaks nchan's long-poll subscriber protocol: GET
// /sub?id=CHANNEL, resuming with the Last-Modified and Etag of the last
// answer.
type nchanProto struct{ c *client }

func (p nchanProto) request(buf []byte, host string) []byte {
	buf = append(buf, "GET /sub?id="...)
	buf = append(buf, url.QueryEscape(p.c.cfg.event)...)
	buf = append(buf, " HTTP/1.1\r\nHost: "...)
	buf = append(buf, host...)
	buf = append(buf, "\r\n"...)
	if p.c.nchanLastMod != "" {
		buf = append(buf, "If-Modified-Since: "...)
		buf = append(buf, p.c.nchanLastMod...)
		buf = append(buf, "\r\nIf-None-Match: "...)
		buf = append(buf, p.c.nchanEtag...)
		buf = append(buf, "\r\n"...)
	}
	return append(buf, "\r\n"...)
}

func (p nchanProto) answer(a rawAnswer, at time.Time) error {
	switch a.status {
	case http.StatusOK:
	case http.StatusNotModified, http.StatusRequestTimeout:
		return nil // nchan's own long-poll timeout: ask again
	default:
		return fmt.Errorf("status %d: %s", a.status, strings.TrimSpace(string(a.body)))
	}
	p.c.nchanLastMod, p.c.nchanEtag = a.lastMod, a.etag
	seqText, sentText, ok := bytes.Cut(a.body, []byte(" "))
	seq, err1 := strconv.ParseInt(string(seqText), 10, 64)
	sent, err2 := strconv.ParseInt(string(sentText), 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return fmt.Errorf("nchan message %q is not \"seq unix-nanoseconds\"", a.body)
	}
	p.c.recordAt(seq, time.Unix(0, sent), at)
	return nil
}
