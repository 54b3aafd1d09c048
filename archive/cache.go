package archive

import (
	"container/list"
	"sync"

	"golang.org/x/sync/singleflight"
)

// cache is a size-bounded LRU of computed values (rendered pages, query
// results). Keys carry the event's stamp, so entries are never invalidated
// in place: a bump makes new keys and the old entries age out. Concurrent
// misses of one key compute it once.
type cache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	items map[string]*list.Element
	lru   *list.List
	group singleflight.Group
}

type cacheEntry struct {
	key  string
	val  any
	size int64
}

func newCache(maxBytes int64) *cache {
	return &cache{max: maxBytes, items: map[string]*list.Element{}, lru: list.New()}
}

func (c *cache) get(key string) (any, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cacheEntry).val, true
}

func (c *cache) put(key string, val any, size int64) {
	if c == nil || size > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.size -= el.Value.(*cacheEntry).size
		c.lru.Remove(el)
	}
	c.items[key] = c.lru.PushFront(&cacheEntry{key: key, val: val, size: size})
	c.size += size
	for c.size > c.max {
		old := c.lru.Back()
		e := old.Value.(*cacheEntry)
		c.lru.Remove(old)
		delete(c.items, e.key)
		c.size -= e.size
	}
}

// cached returns the value under key, computing and storing it on a miss.
// fn returns the value and its approximate size in bytes. A nil cache or an
// empty key computes every time.
func cached[T any](c *cache, key string, fn func() (T, int64, error)) (T, error) {
	if c == nil || key == "" {
		v, _, err := fn()
		return v, err
	}
	if v, ok := c.get(key); ok {
		return v.(T), nil
	}
	v, err, _ := c.group.Do(key, func() (any, error) {
		if v, ok := c.get(key); ok {
			return v, nil
		}
		v, size, err := fn()
		if err != nil {
			return v, err
		}
		c.put(key, v, size)
		return v, nil
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}
