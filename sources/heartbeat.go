package sources

import (
	"context"
	"time"
)

// heartbeat derives a context that is cancelled with errStreamSilent when
// kick is not called for d: a stream that sends nothing, not even its
// keep-alives, is dead even if TCP still says otherwise.
type heartbeat struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	d      time.Duration
}

func newHeartbeat(ctx context.Context, d time.Duration) *heartbeat {
	hctx, cancel := context.WithCancelCause(ctx)
	h := &heartbeat{ctx: hctx, cancel: cancel, d: d}
	h.timer = time.AfterFunc(d, func() { cancel(errStreamSilent) })
	return h
}

// kick records a sign of life.
func (h *heartbeat) kick() { h.timer.Reset(h.d) }

// stop releases the timer and the context.
func (h *heartbeat) stop() {
	h.timer.Stop()
	h.cancel(context.Canceled)
}

// err turns a read error into errStreamSilent when the heartbeat fired.
func (h *heartbeat) err(readErr error) error {
	switch cause := context.Cause(h.ctx); cause {
	case errStreamSilent, errReconnectRequested:
		return cause
	}
	return readErr
}
