package graphview

import "sort"

// knownColors are the fill colours of the standard project types.
var knownColors = map[string]string{
	"app":         "#b07aa1",
	"feature":     "#4e79a7",
	"ui":          "#f28e2b",
	"data-access": "#59a14f",
	"util":        "#76b7b2",
	"":            "#bab0ac",
}

// palette colours other types in sorted order.
var palette = []string{"#edc948", "#ff9da7", "#9c755f", "#86bcb6", "#d4a6c8", "#8cd17d", "#a0cbe8", "#ffbe7d"}

// typeColors maps every type in nodes to a colour.
func typeColors(nodes []Node) map[string]string {
	out := make(map[string]string, len(knownColors))
	for t, c := range knownColors {
		out[t] = c
	}
	var other []string
	for _, n := range nodes {
		if _, ok := out[n.Type]; !ok {
			out[n.Type] = ""
			other = append(other, n.Type)
		}
	}
	sort.Strings(other)
	for i, t := range other {
		out[t] = palette[i%len(palette)]
	}
	return out
}
