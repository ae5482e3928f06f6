package graphview

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// evilName tries to break out of every context a name lands in.
const evilName = `</script><script>alert(1)</script><img src=x onerror="document.body.dataset.pwned=1">"\N\l`

// sampleView builds a deterministic layered graph of n projects shaped
// like a monorepo, with a cycle, a broken project, affected projects and
// the hostile name.
func sampleView(n int) View {
	types := []string{"app", "feature", "ui", "data-access", "util"}
	v := View{Title: "sample <b>graph</b>"}
	for i := range n {
		t := types[min(4, i*5/n)]
		name := fmt.Sprintf("%s-%04d", t, i)
		if i == n/2 {
			name = evilName
		}
		v.Projects = append(v.Projects, Node{Name: name, Root: "libs/" + name, Type: t,
			Tags: []string{"type:" + t}, Affected: i%7 == 0, Broken: i == 3})
	}
	for i := range n {
		for _, d := range []int{i + 1 + (i*31)%max(1, n/3), i + n/5 + i%17, n - 1 - i%5} {
			if d > i && d < n {
				kind := EdgeImport
				switch i % 11 {
				case 3:
					kind = EdgeTestImport
				case 5:
					kind = EdgeImplicit
				}
				v.Edges = append(v.Edges, Edge{From: v.Projects[i].Name, To: v.Projects[d].Name, Kind: kind})
			}
		}
	}
	// A cycle among three projects.
	a, b, c := v.Projects[n-3].Name, v.Projects[n-2].Name, v.Projects[n-1].Name
	v.Edges = append(v.Edges, Edge{From: a, To: b}, Edge{From: b, To: c}, Edge{From: c, To: a})
	v.Cycles = [][]string{{a, b, c, a}}
	return v
}

func TestValidate(t *testing.T) {
	ok := View{Projects: []Node{{Name: "a"}, {Name: "b"}}}
	cases := []struct {
		name string
		v    View
		want error
		in   string
	}{
		{"dup", View{Projects: []Node{{Name: "a"}, {Name: "a"}}}, ErrDuplicateProject, "projects[1]"},
		{"from", View{Projects: ok.Projects, Edges: []Edge{{From: "x", To: "a"}}}, ErrUnknownProject, "edges[0] from"},
		{"to", View{Projects: ok.Projects, Edges: []Edge{{From: "a", To: "x"}}}, ErrUnknownProject, "edges[0] to"},
		{"kind", View{Projects: ok.Projects, Edges: []Edge{{From: "a", To: "b", Kind: "weird"}}}, ErrEdgeKind, "edges[0] kind"},
		{"cycle", View{Projects: ok.Projects, Cycles: [][]string{{"a", "z"}}}, ErrUnknownProject, "cycles[0]"},
	}
	for _, c := range cases {
		err := c.v.Validate()
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.in) {
			t.Errorf("%s: Validate() = %v, want %v naming %q", c.name, err, c.want, c.in)
		}
		for name, render := range map[string]func(*bytes.Buffer, View) error{
			"dot":  func(b *bytes.Buffer, v View) error { return RenderDOT(b, v) },
			"html": func(b *bytes.Buffer, v View) error { return RenderHTML(b, v) },
			"json": func(b *bytes.Buffer, v View) error { return RenderJSON(b, v) },
		} {
			var b bytes.Buffer
			if err := render(&b, c.v); !errors.Is(err, c.want) || b.Len() != 0 {
				t.Errorf("%s: %s renderer = %v with %d bytes written", c.name, name, err, b.Len())
			}
		}
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid view: %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	v := sampleView(40)
	var b bytes.Buffer
	if err := RenderJSON(&b, v); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	var back View
	dec := json.NewDecoder(&b)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if len(back.Projects) != 40 || len(back.Edges) != len(v.Edges) || back.Projects[20].Name != evilName {
		t.Errorf("round trip lost data: %d projects, %d edges", len(back.Projects), len(back.Edges))
	}
	for _, key := range []string{`"projects"`, `"edges"`, `"cycles"`, `"name"`, `"root"`, `"type"`, `"affected"`, `"from"`, `"to"`, `"kind"`} {
		if !strings.Contains(text, key) {
			t.Errorf("JSON lacks key %s", key)
		}
	}
}

func TestLayoutPutsDependentsAbove(t *testing.T) {
	v := sampleView(300)
	pd := buildPage(v)
	inCycle := cycleEdges(v.Cycles)
	for _, e := range pd.Edges {
		from, to := pd.Nodes[e[0]], pd.Nodes[e[1]]
		if inCycle[[2]string{from.Name, to.Name}] {
			continue
		}
		if from.Y >= to.Y {
			t.Errorf("%s (y=%v) depends on %s (y=%v) but is not above it", from.Name, from.Y, to.Name, to.Y)
		}
	}
	// Boxes in a row never overlap.
	rows := make(map[float64][]pageNode)
	for _, n := range pd.Nodes {
		rows[n.Y] = append(rows[n.Y], n)
	}
	for y, row := range rows {
		for i := range row {
			for j := i + 1; j < len(row); j++ {
				a, b := row[i], row[j]
				if a.X-a.W/2 < b.X+b.W/2 && b.X-b.W/2 < a.X+a.W/2 {
					t.Fatalf("row y=%v: %s and %s overlap", y, a.Name, b.Name)
				}
			}
		}
	}
}

func TestLayoutIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := RenderHTML(&a, sampleView(500)); err != nil {
		t.Fatal(err)
	}
	v := sampleView(500)
	// Input order must not matter.
	for i, j := 0, len(v.Projects)-1; i < j; i, j = i+1, j-1 {
		v.Projects[i], v.Projects[j] = v.Projects[j], v.Projects[i]
	}
	if err := RenderHTML(&b, v); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the page depends on the order of the projects")
	}
}

func TestLayoutAspect(t *testing.T) {
	for _, n := range []int{20, 400, 4000} {
		pd := buildPage(sampleView(n))
		x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, p := range pd.Nodes {
			x0, x1 = math.Min(x0, p.X-p.W/2), math.Max(x1, p.X+p.W/2)
			y0, y1 = math.Min(y0, p.Y), math.Max(y1, p.Y)
		}
		// Small graphs may be narrower; big ones wrap towards targetAspect.
		aspect := (x1 - x0) / (y1 - y0 + nodeHeight)
		if n >= 400 && (aspect < 0.7 || aspect > 3) {
			t.Errorf("%d projects: drawing is %.0f x %.0f (aspect %.2f), want near %.1f", n, x1-x0, y1-y0, aspect, targetAspect)
		}
	}
}

func TestEmptyAndSelfLoop(t *testing.T) {
	for _, v := range []View{
		{},
		{Projects: []Node{{Name: "solo"}}, Edges: []Edge{{From: "solo", To: "solo"}}, Cycles: [][]string{{"solo"}}},
	} {
		var b bytes.Buffer
		if err := RenderHTML(&b, v); err != nil {
			t.Fatal(err)
		}
		checkPage(t, b.String(), true)
		b.Reset()
		if err := RenderDOT(&b, v); err != nil {
			t.Fatal(err)
		}
		checkDOTQuoting(t, b.String())
	}
}
