package outbox

import (
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
