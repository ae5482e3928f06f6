package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestAccessLineIsValidJSON(t *testing.T) {
	tricky := []string{"", "plain", `quote " and \ backslash`, "new\nline\r\ttab\x00nul\x1f", "ünïcödé ✓",
		"bad utf8 \xc0\xae \xff", "line\u2028sep\u2029", `","level":"ERROR`, "</script>"}
	for _, s := range tricky {
		rec := &accessRecord{time: time.Date(2026, 11, 29, 14, 0, 0, 123e6, time.UTC), requestID: s, method: "GET", host: s,
			path: s, route: "r", status: 200, bytes: 20, duration: 1500 * time.Microsecond, remote: "192.0.2.1:1"}
		line := appendAccess(nil, rec)
		if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
			t.Fatalf("%q: not exactly one line: %q", s, line)
		}
		var got map[string]any
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("%q: invalid JSON %q: %v", s, line, err)
		}
		want := validUTF8(s)
		if got["host"] != want || got["path"] != want || got["request_id"] != want {
			t.Fatalf("%q: round trip gave %q", s, got["host"])
		}
		if got["level"] != "INFO" || got["msg"] != "request" || got["status"] != 200.0 || got["duration"] != 1.5e6 ||
			got["time"] != "2026-11-29T14:00:00.123Z" || len(got) != 12 {
			t.Fatalf("fields: %v", got)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("a\"b\\c\n\x00\xff\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if want := validUTF8(s); got != want {
			t.Fatalf("%q: got %q, want %q", s, got, want)
		}
	})
}

// validUTF8 replaces each invalid byte of s with U+FFFD.
func validUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += size
	}
	return b.String()
}

func BenchmarkAccessLine(b *testing.B) {
	rec := &accessRecord{time: time.Now(), requestID: "abcdef012345-1k2j", method: "GET", host: "127.0.0.1:8080", path: "/plain",
		route: "plain", status: 200, bytes: 20, duration: 1234567, remote: "127.0.0.1:45678"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		writeAccess(io.Discard, rec)
	}
}
