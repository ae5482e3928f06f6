package graphview

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
)

var (
	//go:embed assets/page.html.tmpl
	pageTemplate string
	//go:embed assets/graph.js
	graphJS string
	//go:embed assets/graph.css
	graphCSS string

	page = template.Must(template.New("page").Parse(pageTemplate))
)

// pageNode is a node as the page script reads it (short keys keep pages
// with thousands of projects small).
type pageNode struct {
	Name     string   `json:"n"`
	Root     string   `json:"r,omitempty"`
	Type     string   `json:"t,omitempty"`
	Tags     []string `json:"g,omitempty"`
	Affected bool     `json:"a,omitempty"`
	Broken   bool     `json:"b,omitempty"`
	X        float64  `json:"x"`
	Y        float64  `json:"y"`
	W        float64  `json:"w"`
}

// pageData is everything the page script draws.
type pageData struct {
	Title  string            `json:"title"`
	Nodes  []pageNode        `json:"nodes"`
	Edges  [][4]int          `json:"edges"` // from, to, kind (0 import, 1 test, 2 implicit), in cycle (0/1)
	Cycles [][]int           `json:"cycles"`
	Colors map[string]string `json:"colors"`
}

var kindCode = map[string]int{EdgeImport: 0, EdgeTestImport: 1, EdgeImplicit: 2}

// RenderHTML writes v as one self-contained HTML page: inline style, script
// and data, no network access (a Content-Security-Policy allows only the
// page's own script and style, by hash). The page zooms with the wheel,
// pans by dragging, searches projects by name, focuses a clicked project
// with everything it depends on and everything that depends on it, colours
// projects by type and outlines affected ones. The layout is computed here,
// so thousands of projects draw at once on a canvas. Every name is data: it
// reaches the page as escaped JSON and is shown with textContent or drawn
// on the canvas, never parsed as HTML. It returns Validate's errors or the
// write error.
func RenderHTML(w io.Writer, v View) error {
	if err := v.Validate(); err != nil {
		return err
	}
	data, err := json.Marshal(buildPage(v)) // escapes <, >, & and U+2028/9
	if err != nil {
		return fmt.Errorf("encoding graph data: %w", err)
	}
	var buf bytes.Buffer
	err = page.Execute(&buf, struct {
		Title  string
		CSP    string
		CSS    template.CSS
		Script template.JS
		Data   template.JS
	}{
		Title:  titleOr(v.Title),
		CSP:    "default-src 'none'; script-src " + hashSource(graphJS) + "; style-src " + hashSource(graphCSS) + "; img-src data:",
		CSS:    template.CSS(graphCSS),
		Script: template.JS(graphJS),
		Data:   template.JS(data),
	})
	if err != nil {
		return fmt.Errorf("rendering graph page: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("writing graph page: %w", err)
	}
	return nil
}

// hashSource is a CSP source expression matching exactly the inline text s.
func hashSource(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

func buildPage(v View) pageData {
	nodes := append([]Node(nil), v.Projects...)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	index := make(map[string]int, len(nodes))
	for i, n := range nodes {
		index[n.Name] = i
	}
	inCycle := cycleEdges(v.Cycles)
	deps := make([][]int, len(nodes))
	pd := pageData{Title: titleOr(v.Title), Nodes: make([]pageNode, len(nodes)), Edges: [][4]int{}, Cycles: [][]int{},
		Colors: typeColors(nodes)}
	seen := make(map[[3]int]bool)
	for _, e := range v.Edges {
		f, t, k := index[e.From], index[e.To], kindCode[e.kindOf()]
		if seen[[3]int{f, t, k}] {
			continue
		}
		seen[[3]int{f, t, k}] = true
		c := 0
		if inCycle[[2]string{e.From, e.To}] {
			c = 1
		}
		pd.Edges = append(pd.Edges, [4]int{f, t, k, c})
		if f != t {
			deps[f] = append(deps[f], t)
		}
	}
	sort.Slice(pd.Edges, func(i, j int) bool {
		a, b := pd.Edges[i], pd.Edges[j]
		for k := range a {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return false
	})
	for i := range deps {
		sort.Ints(deps[i])
	}
	pos := layout(nodes, deps)
	for i, n := range nodes {
		pd.Nodes[i] = pageNode{Name: n.Name, Root: n.Root, Type: n.Type, Tags: n.Tags, Affected: n.Affected, Broken: n.Broken,
			X: round1(pos[i].X), Y: round1(pos[i].Y), W: round1(pos[i].W)}
	}
	for _, c := range v.Cycles {
		idx := make([]int, len(c))
		for i, name := range c {
			idx[i] = index[name]
		}
		pd.Cycles = append(pd.Cycles, idx)
	}
	return pd
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
