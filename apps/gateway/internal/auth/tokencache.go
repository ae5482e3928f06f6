package auth

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

// tokenCache remembers verified tokens by the SHA-256 of their bytes, so an
// entry's size does not depend on the token's and the cache never holds a
// token itself. It is sharded to keep lock contention low; each shard holds
// at most max/len(shards) entries and evicts expired entries first, then an
// arbitrary one.
type tokenCache struct {
	perShard int
	shards   [16]tokenShard
}

type tokenShard struct {
	mu sync.RWMutex
	m  map[[sha256.Size]byte]cachedToken
}

// cachedToken is one verification: valid until exp (the token's own exp,
// without leeway) while kid still maps to the key material with serial.
type cachedToken struct {
	id     *Identity
	exp    time.Time
	kid    string
	serial uint64
}

func newTokenCache(max int) *tokenCache {
	c := &tokenCache{perShard: max/16 + 1}
	for i := range c.shards {
		c.shards[i].m = map[[sha256.Size]byte]cachedToken{}
	}
	return c
}

func (c *tokenCache) shard(sum *[sha256.Size]byte) *tokenShard {
	return &c.shards[binary.LittleEndian.Uint32(sum[:4])%uint32(len(c.shards))]
}

func (c *tokenCache) get(sum *[sha256.Size]byte) (cachedToken, bool) {
	sh := c.shard(sum)
	sh.mu.RLock()
	e, ok := sh.m[*sum]
	sh.mu.RUnlock()
	return e, ok
}

func (c *tokenCache) put(sum *[sha256.Size]byte, e cachedToken, now time.Time) {
	sh := c.shard(sum)
	sh.mu.Lock()
	if _, ok := sh.m[*sum]; !ok && len(sh.m) >= c.perShard {
		for k, v := range sh.m {
			if !now.Before(v.exp) {
				delete(sh.m, k)
			}
		}
		for k := range sh.m {
			if len(sh.m) < c.perShard {
				break
			}
			delete(sh.m, k)
		}
	}
	sh.m[*sum] = e
	sh.mu.Unlock()
}

func (c *tokenCache) drop(sum *[sha256.Size]byte) {
	sh := c.shard(sum)
	sh.mu.Lock()
	delete(sh.m, *sum)
	sh.mu.Unlock()
}

// len returns the number of entries.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}
