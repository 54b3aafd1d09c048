package realtime

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gofiber/fiber/v2"
	"github.com/panjf2000/gnet/v2"
	"github.com/valyala/fasthttp"
)

// connState is where a loop connection stands.
type connState uint8

const (
	stateRead    connState = iota // between requests, or reading one
	statePoll                     // a long poll parked on the hub
	stateStream                   // an open stream
	stateBusy                     // a goroutine works on its request
	stateClosing                  // answered; closes once the answer is written
	stateGone                     // closed, or handed to fasthttp
)

// loopConn is one connection on a loop. Its fields are touched only on
// that loop's goroutine, but for the sleeper (the hub's) and gone.
type loopConn struct {
	s     *LoopServer
	l     *loop
	c     gnet.Conn
	idx   int    // in l.conns; -1 when not there
	in    []byte // received, not yet handled
	state connState
	// gen changes with every state: events posted for an earlier one are
	// dropped.
	gen        uint32
	first      bool  // no request yet: ReadTimeout, not IdleTimeout, applies
	headStart  int64 // loopClock when the head being read began
	closeAfter bool  // the request asked to close after its answer
	gone       atomic.Bool

	// A parked poll or an open stream.
	sleeper sleeper
	poll    pollState
	// snapLimit is a stream's limit of snapshot items (for a reset).
	snapLimit int
	// empty is a parked poll's answer body when its wait ends.
	empty []byte
	// wait is the waiting slots the loops took (the zero ticket: none);
	// lastWait the ones they gave back last, kept as admitWait's hint for
	// the connection's next poll. release gives back the slots fiber took
	// for an adopted wait.
	wait     waitTicket
	lastWait waitTicket
	release  func()
	// directIP is the client address of a request without forwarding
	// headers, resolved once per connection ("": not yet).
	directIP string
	// header is fiber's answer header of an adopted poll (nil: the live
	// headers).
	header  *fasthttp.ResponseHeader
	waiting bool // counted in the hub's waiting gauge
	// handOverAt is when a hand-over began to wait for an answer to be
	// written (0: none).
	handOverAt int64
	stalled    bool // a stream's bytes stayed unwritten over a keep-alive
}

// hubWake is called by the hub (hub_sleep.go) on its own goroutine.
func (lc *loopConn) hubWake(gen uint32) {
	lc.l.post(loopEvent{lc: lc, gen: gen, kind: evWake})
}

// setState moves to a state and makes earlier events stale. Gone is for
// good: a write that failed closes the connection under the caller's feet.
func (lc *loopConn) setState(st connState) {
	if lc.state != stateGone {
		lc.state = st
	}
	lc.gen++
}

// write writes b (in one call) unless the connection is gone, and reports
// whether it is still there: gnet closes a connection whose write fails, at
// once, and its descriptor may then belong to another client.
func (lc *loopConn) write(b []byte) bool {
	if lc.state == stateGone {
		return false
	}
	_, _ = lc.c.Write(b)
	return lc.state != stateGone
}

// writev is write of several buffers in one system call.
func (lc *loopConn) writev(bs [][]byte) bool {
	if lc.state == stateGone {
		return false
	}
	_, _ = lc.c.Writev(bs)
	return lc.state != stateGone
}

func (lc *loopConn) setDeadline(at int64) {
	if lc.idx >= 0 {
		lc.l.deadlines[lc.idx] = at
	}
}

func (lc *loopConn) deadline() int64 {
	if lc.idx < 0 {
		return 0
	}
	return lc.l.deadlines[lc.idx]
}

// guard runs f, turning a panic into a closed connection and a log line: a
// bug must not take the loop, and every connection on it, down.
func (lc *loopConn) guard(f func() gnet.Action) (act gnet.Action) {
	defer func() {
		if r := recover(); r != nil {
			lc.s.logger.Error("realtime: panic on a loop", "err", fmt.Sprint(r))
			lc.closed()
			act = gnet.Close
		}
	}()
	return f()
}

// apply carries out an action decided outside gnet's callbacks.
func (lc *loopConn) apply(act gnet.Action) {
	if act == gnet.Close && lc.idx >= 0 {
		_ = lc.l.el.Close(lc.c)
	}
}

// closed gives back everything the connection holds (it closed, or its
// loop gave up on it).
func (lc *loopConn) closed() {
	lc.gone.Store(true)
	if lc.state == statePoll || lc.state == stateStream {
		lc.sleeper.leave()
	}
	lc.endWait()
	lc.setState(stateGone)
}

// endWait gives back the waiting slots and the gauge of a wait that ended.
func (lc *loopConn) endWait() {
	if lc.release != nil {
		lc.release()
		lc.release = nil
	} else if lc.wait.held() {
		lc.s.h.releaseWait(lc.wait)
		lc.lastWait, lc.wait = lc.wait, waitTicket{}
	}
	if lc.waiting {
		lc.s.h.deps.Hub.leaveWait()
		lc.waiting = false
	}
}

func (lc *loopConn) startWaiting() {
	if !lc.waiting {
		lc.s.h.deps.Hub.enterWait()
		lc.waiting = true
	}
}

// serve handles the requests in lc.in while the connection is between
// requests, and returns gnet.Close when it must close.
func (lc *loopConn) serve() gnet.Action {
	for lc.state == stateRead {
		now := loopClock()
		if len(lc.in) == 0 {
			wait := lc.s.opts.IdleTimeout
			if lc.first {
				wait = lc.s.opts.ReadTimeout
			}
			lc.headStart = 0
			lc.setDeadline(now + int64(wait))
			return gnet.None
		}
		if lc.headStart == 0 {
			lc.headStart = now
		}
		head, err := parseHead(lc.in)
		if err != nil {
			return lc.handOver()
		}
		if head.size == 0 {
			lc.setDeadline(lc.headStart + int64(lc.s.opts.ReadTimeout))
			return gnet.None
		}
		slug, kind := livePath(head.path)
		if kind == pathOther || head.handOver || !bytes.Equal(head.method, methodGet) {
			return lc.handOver()
		}
		raw := lc.in[:head.size]
		lc.in = lc.in[head.size:]
		lc.first, lc.headStart = false, 0
		lc.closeAfter = head.connClose
		switch {
		case kind == pathLive && lc.fastPoll(slug, &head):
		case kind == pathStream && lc.fastStream(slug, &head):
		default:
			lc.fallback(raw)
		}
	}
	if lc.state == stateClosing && lc.c.OutboundBuffered() == 0 {
		return gnet.Close
	}
	return gnet.None
}

// settle is serve after an event: the next request, or the close.
func (lc *loopConn) settle() gnet.Action {
	switch lc.state {
	case stateRead:
		return lc.serve()
	case stateClosing:
		if lc.c.OutboundBuffered() == 0 {
			return gnet.Close
		}
	}
	return gnet.None
}

// pathKind says which live route a path is.
type pathKind uint8

const (
	pathOther pathKind = iota
	pathLive
	pathStream
)

var streamPathSuffix = []byte("/stream")

// livePath splits /api/events/{slug}/live and /stream; anything else, fiber
// routes (its router also reads paths loosely: case, trailing slashes).
func livePath(path []byte) ([]byte, pathKind) {
	rest, ok := bytes.CutPrefix(path, livePathPrefix)
	if !ok {
		return nil, pathOther
	}
	i := bytes.IndexByte(rest, '/')
	if i <= 0 {
		return nil, pathOther
	}
	switch tail := rest[i:]; {
	case bytes.Equal(tail, livePathSuffix):
		return rest[:i], pathLive
	case bytes.Equal(tail, streamPathSuffix):
		return rest[:i], pathStream
	}
	return nil, pathOther
}

// admitFast is the loops' own admission of a live request, the case fiber
// would answer without a read of Redis or Postgres and without setting a
// cookie: an event fresh in the lookup cache, a browser with its cookie, a
// position in the hub's memory and a free waiting slot. It returns the
// hub's window and takes the slot, or nil: fiber's handler decides.
func (lc *loopConn) admitFast(slug []byte, head *requestHead, q LiveQuery) (*liveEvent, bool) {
	h := lc.s.h
	if h.draining.Load() || head.cookieSeen != 1 || !q.HasSince {
		return nil, false
	}
	ev, ok := h.cachedEvent(slug)
	if !ok {
		return nil, false
	}
	hev := h.deps.Hub.readyEvent(ev.ID)
	if hev == nil || !hev.covers(q.Since) {
		return nil, false
	}
	client := lc.lastWait.client.keyOr(head.cookie)
	ip := lc.clientAddr(head.forwardedFor)
	t, admission := h.admitWait(client, ip, lc.lastWait)
	if admission != waitAdmitted {
		return nil, false // fiber's handler answers the 429
	}
	lc.wait, lc.release, lc.header = t, nil, nil
	return hev, true
}

// fastPoll takes a long poll the loops can answer whole.
func (lc *loopConn) fastPoll(slug []byte, head *requestHead) bool {
	// Parsed in place: only the epoch may outlive the input buffer, and it
	// is copied (or is the connection's last one, as it mostly is).
	q, err := ParseLiveQuery(unsafe.String(unsafe.SliceData(head.query), len(head.query)))
	if err != nil || q.Wait <= 0 {
		return false
	}
	q.Epoch = lc.keepEpoch(q.Epoch)
	ev, ok := lc.admitFast(slug, head, q)
	if !ok {
		return false
	}
	lc.poll = pollState{eventID: ev.id, epoch: q.Epoch, cur: max(q.Since, 0), limit: q.Limit, ev: ev}
	lc.startPoll(q.Wait)
	return true
}

// keepEpoch returns e (which may point into the input buffer) as a string
// of its own: the connection's last poll's epoch when equal, else a copy.
func (lc *loopConn) keepEpoch(e string) string {
	if e == lc.poll.epoch {
		return lc.poll.epoch
	}
	return strings.Clone(e)
}

// startPoll answers a poll now or parks it until an arrival or its wait's end.
func (lc *loopConn) startPoll(wait time.Duration) {
	lc.setState(statePoll)
	lc.setDeadline(loopClock() + int64(wait))
	lc.stepPoll()
}

// stepPoll tries the parked poll against the window.
func (lc *loopConn) stepPoll() {
	p, out := lc.s.h.deps.Hub.tryPoll(&lc.poll, &lc.sleeper, lc.gen)
	switch {
	case out == pollParked:
		lc.startWaiting()
		lc.empty = pageJSON(p)
	case out == pollAnswered && !p.Reset:
		lc.answer(http200, pageJSON(p))
	default: // a reset (its snapshot), or a since the window does not cover
		lc.blockedPoll()
	}
}

const http200 = fasthttp.StatusOK

// pageJSON is the page as the Live API answers it.
func pageJSON(p Page) []byte {
	if p.JSON != nil {
		return p.JSON
	}
	b, err := encodePage(p)
	if err != nil {
		// Entries of the window were encoded once already: cannot fail.
		panic(err)
	}
	return b
}

// answer writes a long poll's answer and ends its wait.
func (lc *loopConn) answer(status int, body []byte) {
	lc.write(lc.answerBytes(status, body))
	lc.sleeper.leave()
	lc.endWait()
	lc.finished()
}

// finished moves to the next request, or to closing.
func (lc *loopConn) finished() {
	lc.header, lc.empty = nil, nil
	if lc.closeAfter {
		lc.setState(stateClosing)
		lc.setDeadline(loopClock() + int64(lc.s.opts.WriteTimeout))
		return
	}
	lc.setState(stateRead)
}

// answerBytes is the whole answer (head and body) of a long poll, as fiber
// writes it: the live headers (or fiber's own, for an adopted poll), JSON,
// the length. The common case is made once per page and second and shared.
func (lc *loopConn) answerBytes(status int, body []byte) []byte {
	if lc.header == nil && !lc.closeAfter && status == http200 {
		return lc.l.memo(lc.l.answers, body, func() []byte { return pollAnswerBytes(nil, status, body, false) })
	}
	return pollAnswerBytes(lc.header, status, body, lc.closeAfter)
}

// pollAnswerBytes builds a long poll's answer over fiber's header (nil:
// the live headers).
func pollAnswerBytes(base *fasthttp.ResponseHeader, status int, body []byte, closeAfter bool) []byte {
	var h fasthttp.ResponseHeader
	if base != nil {
		base.CopyTo(&h)
	} else {
		SetLiveHeaders(&h)
	}
	h.SetStatusCode(status)
	h.SetContentTypeBytes(jsonContentType)
	h.SetContentLength(len(body))
	if closeAfter {
		h.SetConnectionClose()
	}
	out := h.AppendBytes(make([]byte, 0, 320+len(body)))
	return append(out, body...)
}

// memo returns the bytes made by mk for a page, made once per page and
// second (the loop's sweep clears them).
func (l *loop) memo(m map[*byte]memoBytes, page []byte, mk func() []byte) []byte {
	key := unsafe.SliceData(page)
	if e, ok := m[key]; ok && len(e.page) == len(page) {
		return e.out
	}
	out := mk()
	if len(m) < 256 {
		m[key] = memoBytes{page: page, out: out}
	}
	return out
}

// blockedPoll finishes a long poll on a goroutine: a reset (its snapshot),
// or a since the window does not cover. The wait goes on from where it is.
func (lc *loopConn) blockedPoll() {
	h := lc.s.h
	q := LiveQuery{HasSince: true, Since: lc.poll.cur, Epoch: lc.poll.epoch, Limit: lc.poll.limit}
	if d := lc.deadline() - loopClock(); d > 0 && lc.state == statePoll {
		q.Wait = time.Duration(d)
	}
	header, closeAfter, eventID := lc.header, lc.closeAfter, lc.poll.eventID
	lc.sleeper.leave()
	lc.setState(stateBusy)
	lc.setDeadline(0)
	l, gen := lc.l, lc.gen
	go func() {
		body, err := h.pollAnswer(eventID, q)
		var resp fasthttp.Response
		if header != nil {
			header.CopyTo(&resp.Header)
		} else {
			SetLiveHeaders(&resp.Header)
		}
		if err != nil {
			h.errorAnswer(&resp, "(a long poll on the loops)", err)
		} else {
			resp.Header.SetContentTypeBytes(jsonContentType)
			resp.SetBodyRaw(body)
		}
		if closeAfter {
			resp.SetConnectionClose()
		}
		l.post(loopEvent{lc: lc, gen: gen, kind: evAnswer, data: responseBytes(&resp), flag: closeAfter})
	}()
}

// responseBytes serializes an answer as fasthttp's server writes it.
func responseBytes(resp *fasthttp.Response) []byte {
	var b bytes.Buffer
	bw := bufio.NewWriter(&b)
	_ = resp.Write(bw)
	_ = bw.Flush()
	return b.Bytes()
}

// fastStream takes a stream the loops can follow from its start.
func (lc *loopConn) fastStream(slug []byte, head *requestHead) bool {
	q, err := ParseLiveQuery(string(head.query))
	if err != nil || head.lastEventIDs > 1 {
		return false
	}
	if len(head.lastEventID) > 0 {
		n, err := ParseSeq(string(head.lastEventID))
		if err != nil {
			return false
		}
		q.HasSince, q.Since = true, n
	}
	ev, ok := lc.admitFast(slug, head, q)
	if !ok {
		return false
	}
	head0 := lc.l.memo(lc.l.chunks, streamHeaderKey, func() []byte { return streamHeaderBytes(false) })
	if lc.closeAfter {
		head0 = streamHeaderBytes(true)
	}
	if !lc.writev([][]byte{head0, preludeChunk}) {
		return true
	}
	lc.snapLimit = q.Limit
	lc.followStream(ev, q.Since, q.Epoch)
	return true
}

// streamHeaderKey keys the memo of the stream's header.
var streamHeaderKey = []byte("stream header")

// preludeChunk is streamPrelude as one chunk of the body.
var preludeChunk = appendChunk(nil, []byte(streamPrelude))

// streamHeaderBytes is the head of a stream's answer, as fiber's stream
// handler and fasthttp's chunked body send it.
func streamHeaderBytes(closeAfter bool) []byte {
	var h fasthttp.ResponseHeader
	SetLiveHeaders(&h)
	h.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no")
	h.SetContentLength(-1)
	if closeAfter {
		h.SetConnectionClose()
	}
	return h.AppendBytes(nil)
}

// appendChunk appends b as one chunk of a chunked body.
func appendChunk(dst, b []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(len(b)), 16)
	dst = append(dst, crlf...)
	dst = append(dst, b...)
	return append(dst, crlf...)
}

// lastChunk ends a chunked body (no trailer).
var lastChunk = []byte("0\r\n\r\n")

// keepAliveChunk is keepAliveComment as one chunk.
var keepAliveChunk = appendChunk(nil, []byte(keepAliveComment))

// followStream follows a stream on the loop from since.
func (lc *loopConn) followStream(ev *liveEvent, since int64, epoch string) {
	lc.poll = pollState{eventID: ev.id, epoch: epoch, cur: max(since, 0), limit: MaxLimit, ev: ev}
	lc.header = nil
	lc.setState(stateStream)
	lc.startWaiting()
	lc.stepStream(false)
}

// maxStreamBacklog bounds what a stream may have unwritten (its client
// does not read): then it is closed, and the client resumes by its id.
const maxStreamBacklog = 1 << 20

// stepStream writes what follows the stream's position, as the pump does:
// pages of entries until none is left, then a park until the next arrival
// or the keep-alive (a comment when nothing came).
func (lc *loopConn) stepStream(keepAlive bool) {
	h := lc.s.h
	for range 8 {
		prev := lc.poll.cur
		p, out := h.deps.Hub.tryPoll(&lc.poll, &lc.sleeper, lc.gen)
		switch {
		case out == pollParked:
			if keepAlive && p.Next == prev && !lc.write(keepAliveChunk) {
				return
			}
			lc.poll.epoch = p.Epoch
			lc.setDeadline(loopClock() + int64(h.deps.KeepAlive))
			return
		case out == pollAnswered && !p.Reset:
			if len(p.Entries) > 0 && !lc.write(lc.streamChunk(p)) {
				return
			}
			lc.poll.cur, lc.poll.epoch, lc.poll.woken = p.Next, p.Epoch, false
			keepAlive = false
			if h.draining.Load() {
				lc.endStream()
				return
			}
			if lc.c.OutboundBuffered() > maxStreamBacklog {
				lc.endStream()
				return
			}
		default:
			lc.blockedStream()
			return
		}
	}
	// Many pages at once: give the loop's other connections a turn.
	lc.l.post(loopEvent{lc: lc, gen: lc.gen, kind: evWake})
}

// streamChunk is a page's entries as one chunk of events, made once per
// page and shared.
func (lc *loopConn) streamChunk(p Page) []byte {
	mk := func() []byte {
		var w chunkBuffer
		_ = writeEntries(&w, p)
		return appendChunk(nil, w.b)
	}
	if p.JSON == nil {
		return mk()
	}
	return lc.l.memo(lc.l.chunks, p.JSON, mk)
}

// endStream ends a stream's body and then the connection (a drain, a
// client that does not read).
func (lc *loopConn) endStream() {
	lc.write(lastChunk)
	lc.sleeper.leave()
	lc.endWait()
	lc.setState(stateClosing)
	lc.setDeadline(loopClock() + int64(lc.s.opts.WriteTimeout))
}

// maxCatchUp bounds the pages a goroutine writes to bring a stream back
// into the hub's memory; a client that far behind reconnects by its id.
const maxCatchUp = 100

// blockedStream continues a stream on a goroutine (a reset and its
// snapshot, or a position the window does not cover) until it is back in
// the hub's memory.
func (lc *loopConn) blockedStream() {
	h := lc.s.h
	since, epoch, limit, eventID := lc.poll.cur, lc.poll.epoch, lc.snapLimit, lc.poll.eventID
	lc.sleeper.leave()
	lc.setState(stateBusy)
	lc.setDeadline(0)
	l, gen := lc.l, lc.gen
	go func() {
		w := &chunkPoster{lc: lc, gen: gen}
		// This position needs Redis (a reset, a read behind the window)
		// even when it looks in memory: one step, then until it is.
		since, epoch, ok := h.streamStep(w, eventID, since, epoch, limit, 0)
		for i := 0; ok && i < maxCatchUp && !lc.gone.Load() && !h.deps.Hub.InMemory(eventID, since); i++ {
			since, epoch, ok = h.streamStep(w, eventID, since, epoch, limit, 0)
		}
		if ok && !h.deps.Hub.InMemory(eventID, since) {
			ok = false // still behind: the client reconnects by its id
		}
		l.post(loopEvent{lc: lc, gen: gen, kind: evStreamOn, since: since, epoch: epoch, flag: ok})
	}()
}

// fallback runs fiber's handler for a live request on a goroutine (see
// LoopServer): it answers, or hands a wait it admitted back to the loops.
func (lc *loopConn) fallback(raw []byte) {
	lc.s.fallbacks.Add(1)
	raw = append([]byte(nil), raw...)
	local, remote := lc.c.LocalAddr(), lc.c.RemoteAddr()
	closeAfter := lc.closeAfter
	lc.setState(stateBusy)
	lc.setDeadline(0)
	go lc.s.runFallback(lc, lc.gen, raw, local, remote, closeAfter)
}

// loopAdoptionKey marks, in a fasthttp request's user values, a request
// that came through the loops and how its wait is handed back.
type loopAdoptionKey struct{}

// loopAdoption is filled by fiber's live and stream handlers when they
// admitted a wait of a request that came through the loops.
type loopAdoption struct {
	poll   *adoptedPoll
	stream *adoptedStream
}

// adoptedPoll is a long poll fiber admitted, with the slots it took.
type adoptedPoll struct {
	eventID int64
	q       LiveQuery
	slots   func()
}

// release gives back the poll's slots, once.
func (a *adoptedPoll) release() {
	if a.slots != nil {
		a.slots()
		a.slots = nil
	}
}

// adoptedStream is a stream fiber admitted, with the slots it took.
type adoptedStream struct {
	eventID int64
	q       LiveQuery
	slots   func()
}

// release gives back the stream's slots, once.
func (a *adoptedStream) release() {
	if a.slots != nil {
		a.slots()
		a.slots = nil
	}
}

// loopAdoptionOf returns the adoption of a request that came through the
// loops, nil for any other.
func loopAdoptionOf(c *fiber.Ctx) *loopAdoption {
	a, _ := c.Context().UserValue(loopAdoptionKey{}).(*loopAdoption)
	return a
}

// runFallback is fallback's goroutine.
func (s *LoopServer) runFallback(lc *loopConn, gen uint32, raw []byte, local, remote net.Addr, closeAfter bool) {
	l := lc.l
	var ctx fasthttp.RequestCtx
	ctx.Init2(addrConn{local: local, remote: remote}, fasthttpLogger{s.logger}, false)
	if err := ctx.Request.Read(bufio.NewReader(bytes.NewReader(raw))); err != nil {
		l.post(loopEvent{lc: lc, gen: gen, kind: evHandOver, data: raw})
		return
	}
	a := &loopAdoption{}
	ctx.SetUserValue(loopAdoptionKey{}, a)
	s.fallback(&ctx)
	switch {
	case a.poll != nil:
		header := &fasthttp.ResponseHeader{}
		ctx.Response.Header.CopyTo(header)
		l.post(loopEvent{lc: lc, gen: gen, kind: evAdoptPoll, poll: a.poll, header: header})
	case a.stream != nil:
		hdr := &ctx.Response.Header
		hdr.SetContentLength(-1)
		if closeAfter {
			hdr.SetConnectionClose()
		}
		w := &chunkPoster{lc: lc, gen: gen}
		w.raw(hdr.AppendBytes(nil))
		h, st := s.h, a.stream
		since, epoch, ok := h.streamStart(w, st.eventID, st.q)
		for i := 0; ok && i < maxCatchUp && !lc.gone.Load() && !h.deps.Hub.InMemory(st.eventID, since); i++ {
			since, epoch, ok = h.streamStep(w, st.eventID, since, epoch, st.q.Limit, 0)
		}
		l.post(loopEvent{lc: lc, gen: gen, kind: evAdoptStream, stream: st, since: since, epoch: epoch,
			flag: ok && h.deps.Hub.InMemory(st.eventID, since)})
	default:
		if closeAfter {
			ctx.Response.SetConnectionClose()
		}
		bw := bufio.NewWriter(&postWriter{lc: lc, gen: gen})
		_ = ctx.Response.Write(bw)
		_ = bw.Flush()
		l.post(loopEvent{lc: lc, gen: gen, kind: evAnswer, flag: closeAfter || ctx.Response.ConnectionClose()})
	}
}

// onEvent handles an event meant for the connection's current state.
func (lc *loopConn) onEvent(e *loopEvent) gnet.Action {
	switch e.kind {
	case evWake:
		lc.poll.woken = true
		switch lc.state {
		case statePoll:
			lc.stepPoll()
		case stateStream:
			lc.stepStream(false)
		}
	case evWrite:
		lc.write(e.data)
	case evAnswer:
		if len(e.data) > 0 {
			lc.write(e.data)
		}
		lc.endWait()
		lc.closeAfter = lc.closeAfter || e.flag
		lc.finished()
	case evAdoptPoll:
		lc.release, lc.header = e.poll.slots, e.header
		e.poll.slots = nil
		ev := lc.s.h.deps.Hub.readyEvent(e.poll.eventID)
		q := e.poll.q
		lc.poll = pollState{eventID: e.poll.eventID, epoch: q.Epoch, cur: max(q.Since, 0), limit: q.Limit, ev: ev}
		if ev == nil {
			lc.setState(statePoll)
			lc.setDeadline(loopClock() + int64(q.Wait))
			lc.blockedPoll()
			break
		}
		lc.startPoll(q.Wait)
	case evAdoptStream, evStreamOn:
		if e.stream != nil {
			lc.release = e.stream.slots
			e.stream.slots = nil
			lc.snapLimit = e.stream.q.Limit
		}
		ev := lc.s.h.deps.Hub.readyEvent(lc.pollEventOf(e))
		if !e.flag || ev == nil || lc.s.h.draining.Load() {
			lc.endStream()
			break
		}
		lc.followStream(ev, e.since, e.epoch)
	case evHandOver:
		lc.in = append(append([]byte(nil), e.data...), lc.in...)
		lc.setState(stateRead)
		return lc.handOver()
	}
	return lc.settle()
}

// pollEventOf is the event a stream event is about.
func (lc *loopConn) pollEventOf(e *loopEvent) int64 {
	if e.stream != nil {
		return e.stream.eventID
	}
	return lc.poll.eventID
}

// onDeadline acts on a passed deadline.
func (lc *loopConn) onDeadline() gnet.Action {
	switch lc.state {
	case statePoll:
		// The wait ended: answer the page it had (empty; Next past what
		// clients must not see). A wake-up on its way finds the wait gone.
		lc.sleeper.leave()
		lc.answer(http200, lc.empty)
		return lc.settle()
	case stateStream:
		if lc.c.OutboundBuffered() > 0 {
			if lc.stalled {
				return gnet.Close // a keep-alive interval and more without reading
			}
			lc.stalled = true
		} else {
			lc.stalled = false
		}
		if !lc.sleeper.leave() {
			// A wake-up is on its way; it steps the stream.
			lc.setDeadline(loopClock() + int64(lc.s.h.deps.KeepAlive))
			return gnet.None
		}
		lc.stepStream(true)
		return lc.settle()
	}
	if lc.state == stateRead && lc.handOverAt != 0 && loopClock()-lc.handOverAt < int64(lc.s.opts.WriteTimeout) {
		return lc.serve() // a hand-over waiting for the last answer to be written
	}
	return gnet.Close // idle, a head too slow, or an answer not written in time
}

// handOver gives the connection, from the request in lc.in on, to fiber's
// fasthttp server, which answers it as it always has.
func (lc *loopConn) handOver() gnet.Action {
	if lc.c.OutboundBuffered() > 0 {
		// An answer is still being written: fasthttp's would overtake it.
		// Try again at the next sweep.
		if err := lc.c.Flush(); err != nil || lc.c.OutboundBuffered() > 0 {
			if lc.handOverAt == 0 {
				lc.handOverAt = loopClock()
			}
			lc.setState(stateRead)
			lc.setDeadline(loopClock())
			return gnet.None
		}
	}
	fd, err := lc.c.Dup()
	if err != nil {
		lc.s.logger.Warn("realtime: hand a connection to fasthttp", "err", err)
		return gnet.Close
	}
	pending := append([]byte(nil), lc.in...)
	lc.in = nil
	lc.closed()
	go lc.s.handoff.give(fd, pending, lc.s.logger)
	return gnet.Close
}

// addrConn gives fasthttp a request's addresses (RequestCtx.Init2); fiber's
// handlers read nothing else of the connection.
type addrConn struct {
	net.Conn
	local, remote net.Addr
}

func (a addrConn) LocalAddr() net.Addr  { return a.local }
func (a addrConn) RemoteAddr() net.Addr { return a.remote }

// SetWriteDeadline is a no-op: the loops bound their own writes.
func (a addrConn) SetWriteDeadline(time.Time) error { return nil }

// chunkBuffer collects SSE text for one chunk.
type chunkBuffer struct{ b []byte }

func (w *chunkBuffer) WriteString(s string) (int, error) { w.b = append(w.b, s...); return len(s), nil }
func (w *chunkBuffer) Write(p []byte) (int, error)       { w.b = append(w.b, p...); return len(p), nil }
func (w *chunkBuffer) Flush() error                      { return nil }

// chunkPoster is a goroutine's sseWriter onto a loop connection: each Flush
// posts what was written as one chunk of the body.
type chunkPoster struct {
	lc  *loopConn
	gen uint32
	chunkBuffer
}

// Flush posts the buffered text as a chunk.
func (w *chunkPoster) Flush() error {
	if w.lc.gone.Load() {
		return net.ErrClosed
	}
	if len(w.b) > 0 {
		w.lc.l.post(loopEvent{lc: w.lc, gen: w.gen, kind: evWrite, data: appendChunk(nil, w.b)})
		w.b = w.b[:0]
	}
	return nil
}

// raw posts bytes as they are (a head).
func (w *chunkPoster) raw(b []byte) {
	w.lc.l.post(loopEvent{lc: w.lc, gen: w.gen, kind: evWrite, data: b})
}

// postWriter posts a goroutine's writes to a loop connection, in order.
type postWriter struct {
	lc  *loopConn
	gen uint32
}

func (w *postWriter) Write(p []byte) (int, error) {
	if w.lc.gone.Load() {
		return 0, net.ErrClosed
	}
	w.lc.l.post(loopEvent{lc: w.lc, gen: w.gen, kind: evWrite, data: append([]byte(nil), p...)})
	return len(p), nil
}

// clientAddr is the client address of a request on this connection: the
// peer's, unless forwarding headers name another. A connection's peer does
// not change, so the common case is resolved once.
func (lc *loopConn) clientAddr(forwardedFor [][]byte) string {
	if len(forwardedFor) > 0 {
		return lc.s.h.deps.ClientAddrOf(peerAddr(lc.c.RemoteAddr()), forwardedFor)
	}
	if lc.directIP == "" {
		lc.directIP = lc.s.h.deps.ClientAddrOf(peerAddr(lc.c.RemoteAddr()), nil)
	}
	return lc.directIP
}

// peerAddr is a connection's remote address as netip (an IPv4 peer on a
// dual-stack socket unmapped), the zero Addr when it is not TCP.
func peerAddr(a net.Addr) netip.Addr {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}
