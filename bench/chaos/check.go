package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// logCatalog is what the whole live log holds, read through the Live API from 0.
type logCatalog struct {
	epoch    string
	head     int64
	items    bitset
	distinct int
	dups     int
	seqGaps  int // seqs not following their predecessor
	foreign  int
	samples  []string
}

// readLog pages the event's whole log through a web node.
func (h *harness) readLog(ctx context.Context) (*logCatalog, error) {
	head, epoch, err := h.head()
	if err != nil {
		return nil, fmt.Errorf("read the log's head: %w", err)
	}
	cat := &logCatalog{epoch: epoch, head: head, items: newBitset(h.o.items + 1)}
	c := &http.Client{Timeout: 30 * time.Second}
	var since, prev int64
	for since < head {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		u := fmt.Sprintf("%s/api/events/%s/live?since=%d&epoch=%s&limit=500", h.nodes[0], eventSlug, since, epoch)
		resp, err := c.Get(u)
		if err != nil {
			return nil, err
		}
		var p livePage
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: status %d: %v", u, resp.StatusCode, err)
		}
		if p.Reset {
			return nil, fmt.Errorf("the log's epoch changed while the checker read it")
		}
		for _, e := range p.Entries {
			if e.Seq != prev+1 && len(cat.samples) < 5 {
				cat.samples = append(cat.samples, fmt.Sprintf("seq %d follows %d", e.Seq, prev))
			}
			if e.Seq != prev+1 {
				cat.seqGaps++
			}
			prev = e.Seq
			if e.Op != "add" || e.Item == nil {
				continue
			}
			i := h.fake.itemIndex(e.Item.ID)
			if i <= 0 || i > h.o.items {
				cat.foreign++
				continue
			}
			if cat.items.set(i) {
				cat.dups++
				if len(cat.samples) < 10 {
					cat.samples = append(cat.samples, fmt.Sprintf("item %d added again at seq %d", i, e.Seq))
				}
			}
		}
		if p.Next <= since {
			break
		}
		since = p.Next
	}
	cat.distinct = cat.items.count()
	return cat, nil
}

// missing lists up to n indexes in 1..items that b lacks, and their count.
func missing(b bitset, items, n int) (int, []int) {
	var list []int
	count := 0
	for i := 1; i <= items; i++ {
		if !b.has(i) {
			count++
			if len(list) < n {
				list = append(list, i)
			}
		}
	}
	return count, list
}

// check prints the table and the verdict; the exit code is 1 on any loss,
// duplicate or out-of-order entry.
func (h *harness) check(ctx context.Context) (int, error) {
	cat, err := h.readLog(ctx)
	if err != nil {
		h.failed = true
		return 1, fmt.Errorf("FAIL: could not read the live log to check it: %w", err)
	}
	rows, pgDistinct, err := h.edb.itemCounts(ctx, h.eventID)
	if err != nil {
		h.failed = true
		return 1, fmt.Errorf("FAIL: could not count items in Postgres: %w", err)
	}
	ids, err := h.edb.externalIDs(ctx, h.eventID)
	if err != nil {
		h.failed = true
		return 1, fmt.Errorf("FAIL: could not list items in Postgres: %w", err)
	}
	pgSet := newBitset(h.o.items + 1)
	for _, id := range ids {
		if i := h.fake.itemIndex(id); i > 0 && i <= h.o.items {
			pgSet.set(i)
		}
	}

	emitted, _ := h.fake.state()
	logLost, logLostIDs := missing(cat.items, emitted, 10)
	pgLost, pgLostIDs := missing(pgSet, emitted, 10)
	minRecv, maxRecv := emitted+1, 0
	var clientLost, clientDups, clientOOO, resets, errs, requests, lossyClients int
	var maxGap time.Duration
	var worst *client
	var samples []string
	for _, c := range h.clients {
		c.mu.Lock()
		n := c.received.count()
		minRecv, maxRecv = min(minRecv, n), max(maxRecv, n)
		if lost, _ := missing(c.received, emitted, 0); lost > 0 {
			lossyClients++
			if lost > clientLost {
				clientLost, worst = lost, c
			}
		}
		clientDups += c.dups
		clientOOO += c.outOfOrder
		resets += c.resets
		errs += c.errors
		requests += c.requests
		maxGap = max(maxGap, c.maxGap)
		for _, s := range append(c.dupSamples, c.oooSamples...) {
			if len(samples) < 10 {
				samples = append(samples, fmt.Sprintf("client %d: %s", c.id, s))
			}
		}
		c.mu.Unlock()
	}
	pgDups := rows - pgDistinct

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\ncheck\tvalue\tnote")
	fmt.Fprintf(tw, "items emitted\t%d\tat %.0f/s over %s\n", emitted, h.o.rate, time.Duration(h.fake.finished.Load()-h.fake.started.Load()).Round(100*time.Millisecond))
	fmt.Fprintf(tw, "items in the live log\t%d\tdistinct add ids; head %d, epoch %s\n", cat.distinct, cat.head, cat.epoch)
	fmt.Fprintf(tw, "items in Postgres\t%d\tcount(DISTINCT external_id); %d rows\n", pgDistinct, rows)
	fmt.Fprintf(tw, "clients\t%d\tover %d web nodes; %d requests, %d retried after an error\n", len(h.clients), len(h.nodes), requests, errs)
	fmt.Fprintf(tw, "per-client received\tmin %d / max %d\t\n", minRecv, maxRecv)
	fmt.Fprintf(tw, "lost in the live log\t%d\t%s\n", logLost, ints(logLostIDs))
	fmt.Fprintf(tw, "lost in Postgres\t%d\t%s\n", pgLost, ints(pgLostIDs))
	fmt.Fprintf(tw, "lost by clients\t%d\tworst client; %d clients missing something\n", clientLost, lossyClients)
	fmt.Fprintf(tw, "duplicated in the live log\t%d\t\n", cat.dups)
	fmt.Fprintf(tw, "duplicated in Postgres\t%d\trows - distinct external ids\n", pgDups)
	fmt.Fprintf(tw, "duplicated at clients\t%d\tan add seen twice by a client within one epoch\n", clientDups)
	fmt.Fprintf(tw, "out of order at clients\t%d\tseq not increasing within an epoch\n", clientOOO)
	fmt.Fprintf(tw, "seq gaps in the log\t%d\t(informational)\n", cat.seqGaps)
	fmt.Fprintf(tw, "client resets\t%d\tnew epoch: snapshot, then the new log from 0\n", resets)
	fmt.Fprintf(tw, "longest delivery gap\t%s\tany client, while the source emitted\n", maxGap.Round(time.Millisecond))
	fmt.Fprintf(tw, "emit -> client latency\tp50 %s / p99 %s / max %s\t\n", h.lat.quantile(0.5), h.lat.quantile(0.99), time.Duration(h.lat.maxNs.Load()).Round(time.Millisecond))
	fmt.Fprintf(tw, "settle time\t%s\tafter the last status was emitted\n", h.settled.Round(100*time.Millisecond))
	fmt.Fprintf(tw, "faults\t%d\t%s\n", len(h.faultLog), h.o.faults)
	tw.Flush()
	for _, l := range h.faultLog {
		fmt.Println("  fault " + l)
	}
	for _, s := range append(cat.samples, samples...) {
		fmt.Println("  sample: " + s)
	}
	if worst != nil {
		_, ids := missing(worst.received, emitted, 10)
		fmt.Printf("  worst client %d misses items %s (node %s)\n", worst.id, ints(ids), worst.nodes[worst.node])
	}

	var why []string
	add := func(n int, what string) {
		if n > 0 {
			why = append(why, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(logLost, "items lost in the live log")
	add(pgLost, "items lost in Postgres")
	add(clientLost, "items lost by a client")
	add(cat.dups, "duplicates in the live log")
	add(pgDups, "duplicates in Postgres")
	add(clientDups, "duplicates at clients")
	add(clientOOO, "out-of-order entries at clients")
	if len(why) > 0 {
		h.failed = true
		fmt.Printf("\nFAIL: %s (logs: %s, database %s kept)\n", strings.Join(why, ", "), h.logs, h.dbName)
		return 1, nil
	}
	fmt.Printf("\nOK: %d items emitted, all in the live log, in Postgres and at every one of %d clients, once and in order, through %d faults\n", emitted, len(h.clients), len(h.faultLog))
	log.Printf("done")
	return 0, nil
}

func ints(list []int) string {
	if len(list) == 0 {
		return ""
	}
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = fmt.Sprint(v)
	}
	return "e.g. items " + strings.Join(s, ",")
}
