package jsonout

import (
	"bytes"
	"encoding/json"
	"testing"
)

func indentSeeds() []string {
	return []string{
		`{}`, `[]`, `{"a":[]}`, `{"a":{},"b":[1,2,{"c":"d"}]}`,
		`{"s":"quote \" brace { ] colon : comma ,","e":"\\","u":"\u2028 é"}`,
		`[true,false,null,-1.5e10,"x"]`, `"just a string"`, `42`,
		`{"projects":[{"name":"a","tags":["type:app"]}],"dependencies":[],"cycles":null}`,
	}
}

// TestAppendIndentedMatchesEncodingJSON: the fast indenter writes exactly
// what json.Indent writes for compact documents.
func TestAppendIndentedMatchesEncodingJSON(t *testing.T) {
	for _, s := range indentSeeds() {
		var want bytes.Buffer
		if err := json.Indent(&want, []byte(s), "", "  "); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got := appendIndented(nil, []byte(s)); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s:\ngot  %s\nwant %s", s, got, want.Bytes())
		}
	}
}

func FuzzAppendIndented(f *testing.F) {
	for _, s := range indentSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		compact, err := json.Marshal(v)
		if err != nil {
			return
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact, "", "  "); err != nil {
			t.Fatal(err)
		}
		if got := appendIndented(nil, compact); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%s:\ngot  %s\nwant %s", compact, got, want.Bytes())
		}
	})
}

// TestWriteMatchesEncoder: Write gives what json.Encoder with two-space
// indentation and no HTML escaping gives.
func TestWriteMatchesEncoder(t *testing.T) {
	v := map[string]any{"a": []any{1, "<b>&", map[string]any{}}, "c": []string{}}
	var want, got bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := Write(&got, v); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Fatalf("got %q\nwant %q", got.String(), want.String())
	}
}
