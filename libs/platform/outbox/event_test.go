package outbox

import (
	"hash/fnv"
	"regexp"
	"testing"
)

// FuzzValidatorsMatchRegexps checks the hand-written validators against the
// regular expressions they replace.
func FuzzValidatorsMatchRegexps(f *testing.F) {
	tokenRE := regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	eventTypeRE := regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,7}$`)
	headerKeyRE := regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]{1,128}$`)
	for _, s := range []string{"", "a", "a.b", "a..b", ".a", "a.", "a.b.c.d.e.f.g.h", "a.b.c.d.e.f.g.h.i", "x-y_z", "a b", "é", "Content-Type", "a\"b", "a,b", "a:b", "a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if isToken(s) != tokenRE.MatchString(s) || isEventType(s) != eventTypeRE.MatchString(s) || isHeaderKey(s) != headerKeyRE.MatchString(s) {
			t.Fatalf("%q: token %v/%v type %v/%v key %v/%v", s, isToken(s), tokenRE.MatchString(s), isEventType(s), eventTypeRE.MatchString(s), isHeaderKey(s), headerKeyRE.MatchString(s))
		}
	})
}

// TestAggregateLockIsFNV1a pins the lock key: writers built from different
// versions must lock the same aggregate with the same key.
func TestAggregateLockIsFNV1a(t *testing.T) {
	for _, c := range [][2]string{{"order", "o-1"}, {"a", ""}, {"payment", "7f0c"}} {
		h := fnv.New32a()
		h.Write([]byte(c[0] + "\x00" + c[1]))
		if got, want := aggregateLock(c[0], c[1]), int32(h.Sum32()); got != want {
			t.Fatalf("aggregateLock(%q, %q) = %d, want %d", c[0], c[1], got, want)
		}
	}
}
