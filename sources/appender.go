package sources

import (
	"context"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/realtime"
)

// Appender is the part of the live log (*realtime.Log) runners write to.
type Appender interface {
	AppendItem(ctx context.Context, eventID int64, it live.Item) (realtime.AppendResult, error)
	AppendOp(ctx context.Context, eventID int64, op string, target int64, it *live.Item) (realtime.AppendResult, error)
}

var _ Appender = (*realtime.Log)(nil)
