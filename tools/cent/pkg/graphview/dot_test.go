package graphview

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; run go test -update and review the diff\ngot:\n%s", path, got)
	}
}

func TestRenderDOTGolden(t *testing.T) {
	v := View{
		Title: `workspace "demo"`,
		Projects: []Node{
			{Name: "shop-api", Root: "apps/shop-api", Type: "app", Affected: true},
			{Name: "orders-feature-checkout", Root: "libs/orders/feature-checkout", Type: "feature", Tags: []string{"scope:orders"}, Affected: true},
			{Name: "orders-ui-cart", Root: "libs/orders/ui-cart", Type: "ui"},
			{Name: "orders-data-access-db", Root: "libs/orders/data-access-db", Type: "data-access", Broken: true},
			{Name: "shared-util-strings", Root: "libs/shared/util-strings", Type: "util", Affected: true},
			{Name: "tools-codegen", Root: "tools/codegen", Type: "tool"},
			{Name: evilName, Type: "util"},
		},
		Edges: []Edge{
			{From: "shop-api", To: "orders-feature-checkout"},
			{From: "orders-feature-checkout", To: "orders-ui-cart", Kind: EdgeImport},
			{From: "orders-feature-checkout", To: "orders-data-access-db"},
			{From: "orders-ui-cart", To: "shared-util-strings"},
			{From: "orders-data-access-db", To: "shared-util-strings", Kind: EdgeTestImport},
			{From: "shop-api", To: "tools-codegen", Kind: EdgeImplicit},
			{From: "shared-util-strings", To: evilName},
			{From: evilName, To: "shared-util-strings"},
		},
		Cycles: [][]string{{"shared-util-strings", evilName}},
	}
	var b bytes.Buffer
	if err := RenderDOT(&b, v); err != nil {
		t.Fatal(err)
	}
	golden(t, "graph.dot.golden", b.Bytes())
	// Output is independent of input order.
	v.Projects[0], v.Projects[6] = v.Projects[6], v.Projects[0]
	v.Edges[0], v.Edges[7] = v.Edges[7], v.Edges[0]
	var b2 bytes.Buffer
	if err := RenderDOT(&b2, v); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), b2.Bytes()) {
		t.Error("DOT output depends on input order")
	}
}

// checkDOTQuoting verifies every quoted string in a DOT line closes on the
// line and the line ends with ';' or '{' or '}' outside quotes.
func checkDOTQuoting(t *testing.T, out string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		in, last := false, byte(0)
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case in && c == '\\':
				i++
				continue
			case c == '"':
				in = !in
			}
			if !in && c != ' ' {
				last = c
			}
		}
		if in || (last != ';' && last != '{' && last != '}') {
			t.Fatalf("badly quoted DOT line: %q", line)
		}
	}
}

func FuzzRenderDOT(f *testing.F) {
	f.Add("plain", "util")
	f.Add(evilName, "a\"b")
	f.Add("a\\\"\n\r}", "\\N")
	f.Fuzz(func(t *testing.T, name, typ string) {
		v := View{Title: name, Projects: []Node{{Name: name, Type: typ, Root: typ}, {Name: name + "x"}},
			Edges: []Edge{{From: name, To: name + "x"}}}
		var b bytes.Buffer
		if err := RenderDOT(&b, v); err != nil {
			t.Fatal(err)
		}
		checkDOTQuoting(t, b.String())
	})
}
