package realtime

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/live"
)

// redisEnv is a Redis to run the log and hub suites on: a client and a key
// namespace of the test's own.
type redisEnv struct {
	name      string
	client    rueidis.Client
	namespace string
	// opt connects another client to the same Redis (another "node").
	opt rueidis.ClientOption
}

// newClient connects another client to the env's Redis, closed at the end.
func (e redisEnv) newClient(t testing.TB) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(e.opt)
	if err != nil {
		t.Fatalf("connect to %v: %v", e.opt.InitAddress, err)
	}
	t.Cleanup(c.Close)
	return c
}

// redisEnvs returns the single test Redis and, when BC_TEST_CLUSTER_ADDRS is
// set, the test Redis Cluster too, so each suite runs on both.
func redisEnvs(t testing.TB) []redisEnv {
	t.Helper()
	r := testenv.NewRedis(t)
	envs := []redisEnv{{name: "single", client: r.Client, namespace: r.Namespace,
		opt: rueidis.ClientOption{InitAddress: r.Addrs, SelectDB: r.DB, DisableCache: true}}}
	if c := clusterEnv(t); c != nil {
		envs = append(envs, *c)
	}
	return envs
}

// clusterEnv connects to the Redis Cluster named by BC_TEST_CLUSTER_ADDRS
// (nil when unset).
func clusterEnv(t testing.TB) *redisEnv {
	t.Helper()
	v := os.Getenv("BC_TEST_CLUSTER_ADDRS")
	if v == "" {
		return nil
	}
	opt := rueidis.ClientOption{InitAddress: strings.Split(v, ","), DisableCache: true, ShuffleInit: true}
	c, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatalf("Redis Cluster at %s (BC_TEST_CLUSTER_ADDRS) is not reachable: %v", v, err)
	}
	ns := testenv.Unique("t") + ":"
	t.Cleanup(func() {
		deleteNamespace(c, ns)
		c.Close()
	})
	return &redisEnv{name: "cluster", client: c, namespace: ns, opt: opt}
}

// requireCluster returns the cluster env or skips the test.
func requireCluster(t *testing.T) redisEnv {
	t.Helper()
	c := clusterEnv(t)
	if c == nil {
		t.Skip("BC_TEST_CLUSTER_ADDRS is unset: start a cluster with scripts/redis-cluster.sh up and set BC_TEST_CLUSTER_ADDRS=127.0.0.1:57001,127.0.0.1:57002,127.0.0.1:57003 to run this test")
	}
	return *c
}

func deleteNamespace(c rueidis.Client, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, node := range c.Nodes() {
		var cursor uint64
		for {
			res, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(ns+"*").Count(1000).Build()).AsScanEntry()
			if err != nil {
				break
			}
			for _, k := range res.Elements {
				c.Do(ctx, c.B().Del().Key(k).Build())
			}
			if res.Cursor == 0 {
				break
			}
			cursor = res.Cursor
		}
	}
}

// forEachRedis runs fn as a subtest on every Redis of redisEnvs.
func forEachRedis(t *testing.T, fn func(t *testing.T, env redisEnv)) {
	for _, env := range redisEnvs(t) {
		t.Run(env.name, func(t *testing.T) { fn(t, env) })
	}
}

func testItem(id string) live.Item {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return live.Item{
		ID: "mastodon:" + id, Source: "mastodon", Kind: live.KindPost,
		Author: live.Author{Name: "Ana", Handle: "@ana@example.social"},
		Text:   "hello " + id, HTML: "<p>hello " + id + "</p>",
		Media:     []live.Media{},
		CreatedAt: now, ReceivedAt: now,
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type rueidisMessage = rueidis.PubSubMessage

// withSubscribed closes ch once the Receive using the returned context is subscribed.
func withSubscribed(ctx context.Context, ch chan struct{}) context.Context {
	var once sync.Once
	return rueidis.WithOnSubscriptionHook(ctx, func(rueidis.PubSubSubscription) { once.Do(func() { close(ch) }) })
}
