package stamp

import (
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/internal/testenv"
)

func TestBumpIsSeenByAClientThatCachesTheStamp(t *testing.T) {
	r := testenv.NewRedis(t)
	ctx := context.Background()
	if len(r.Addrs) > 1 {
		t.Skip("client-side caching check runs on the single test Redis")
	}
	reader, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: r.Addrs, SelectDB: r.DB})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if v, err := Get(ctx, reader, r.Namespace, 42); err != nil || v != 0 {
		t.Fatalf("fresh stamp = %d, %v; want 0", v, err)
	}
	if v, err := Bump(ctx, r.Client, r.Namespace, 42); err != nil || v != 1 {
		t.Fatalf("bump = %d, %v; want 1", v, err)
	}
	// Redis pushes the invalidation asynchronously; it lands within moments.
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := Get(ctx, reader, r.Namespace, 42)
		if err != nil {
			t.Fatal(err)
		}
		if v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the caching client still reads %d after a bump", v)
		}
		time.Sleep(time.Millisecond)
	}
	if other, _ := Get(ctx, r.Client, r.Namespace, 43); other != 0 {
		t.Fatalf("another event's stamp = %d, want 0", other)
	}
}
