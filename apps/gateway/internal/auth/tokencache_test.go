package auth

import (
	"crypto/sha256"
	"strconv"
	"testing"
	"time"
)

func TestTokenCacheIsBoundedAndEvictsExpiredFirst(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newTokenCache(160) // 11 per shard
	var live [sha256.Size]byte
	for i := 0; i < 5000; i++ {
		sum := sha256.Sum256([]byte(strconv.Itoa(i)))
		exp := now.Add(-time.Second) // already expired
		if i == 0 {
			live, exp = sum, now.Add(time.Hour)
		}
		c.put(&sum, cachedToken{exp: exp}, now)
	}
	if n := c.len(); n > 16*11 {
		t.Fatalf("%d entries, bound %d", n, 16*11)
	}
	// Entry 0 is the only live one in its shard: later puts evicted the
	// expired ones around it.
	if _, ok := c.get(&live); !ok {
		t.Fatal("live entry evicted while expired ones were available")
	}
}
