package vuln

import (
	"strings"
	"testing"
)

func TestDecodeStream(t *testing.T) {
	s, err := decodeStream(strings.NewReader(`{"config":{"protocol_version":"v1.0.0","go_version":"go1.26.8","future_field":1}}
{"progress":{"message":"Scanning"}}
{"osv":{"id":"GO-1","summary":"s"}}
{"finding":{"osv":"GO-1","trace":[{"module":"m"}]}}
{"finding":{"osv":"GO-1","trace":[{"module":"m","package":"m/p"}]}}
{"finding":{"osv":"GO-1","trace":[{"module":"m","package":"m/p","function":"F"},{"module":"w","package":"w/a","function":"main"}]}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.config.GoVersion != "go1.26.8" || s.osvs["GO-1"].Summary != "s" || len(s.findings) != 3 {
		t.Fatalf("decoded %+v", s)
	}
	if c := s.called(); len(c) != 1 || c[0].Trace[0].Function != "F" {
		t.Errorf("called() = %+v, want only the function-level finding", c)
	}
	for in, want := range map[string]string{
		`{"config":{"protocol_version":"v2.0.0"}}`:   `protocol version "v2.0.0"`,
		`{"osv":{"id":"GO-1"}}`:                      "no config message",
		`{"config":{"protocol_version":"v1.0.0"}} {`: "reading govulncheck output",
	} {
		if _, err := decodeStream(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}
