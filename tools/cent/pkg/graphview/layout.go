package graphview

import (
	"math"
	"sort"
)

// Layout geometry in page units.
const (
	nodeHeight = 24.0
	nodeGapX   = 16.0
	rowGap     = 44.0
	layerGap   = 90.0
	minWidth   = 60.0
	maxWidth   = 260.0
	charWidth  = 6.6
)

// placement is a node's computed position: the centre of its box.
type placement struct {
	X, Y, W float64
	Layer   int
}

// typeRank orders types within a layer before crossing reduction.
var typeRank = map[string]int{"app": 0, "feature": 1, "ui": 2, "data-access": 3, "util": 4}

// layout computes a layered drawing: a project sits above everything it
// depends on (apps on top, root libraries at the bottom), cycles are broken
// at DFS back edges, each layer is ordered by the barycentre of its
// neighbours and wide layers wrap into rows. deps[i] are the indices node i
// depends on. The result is deterministic.
func layout(nodes []Node, deps [][]int) []placement {
	n := len(nodes)
	height := heights(n, deps)
	maxH := 0
	for _, h := range height {
		maxH = max(maxH, h)
	}
	layers := make([][]int, maxH+1)
	for i := range n {
		l := maxH - height[i] // apps (tallest) on layer 0, at the top
		layers[l] = append(layers[l], i)
	}
	for _, l := range layers {
		sort.Slice(l, func(a, b int) bool {
			na, nb := nodes[l[a]], nodes[l[b]]
			ra, rb := rank(na.Type), rank(nb.Type)
			if ra != rb {
				return ra < rb
			}
			return na.Name < nb.Name
		})
	}
	orderLayers(n, deps, layers)

	out := make([]placement, n)
	perRow := rowLength(nodes, layers)
	y := 0.0
	for li, l := range layers {
		for start := 0; start < len(l); start += perRow {
			row := l[start:min(len(l), start+perRow)]
			total := -nodeGapX
			for _, i := range row {
				out[i].W = nodeWidth(nodes[i].Name)
				total += out[i].W + nodeGapX
			}
			x := -total / 2
			for _, i := range row {
				out[i] = placement{X: x + out[i].W/2, Y: y, W: out[i].W, Layer: li}
				x += out[i].W + nodeGapX
			}
			y += rowGap
		}
		y += layerGap - rowGap
	}
	return out
}

// targetAspect is the width:height ratio wide layers are wrapped towards,
// about that of a browser window beside the side panel.
const targetAspect = 1.5

// rowLength picks how many boxes a row holds so the drawing's aspect ratio
// comes closest to targetAspect.
func rowLength(nodes []Node, layers [][]int) int {
	if len(nodes) == 0 {
		return 1
	}
	total := 0.0
	widest := 0
	for _, n := range nodes {
		total += nodeWidth(n.Name) + nodeGapX
	}
	for _, l := range layers {
		widest = max(widest, len(l))
	}
	avg := total / float64(len(nodes))
	best, bestScore := widest, math.Inf(1)
	for per := 4; per <= widest; per++ {
		rows := 0
		for _, l := range layers {
			rows += (len(l) + per - 1) / per
		}
		w := float64(per) * avg
		h := float64(rows)*rowGap + float64(len(layers))*(layerGap-rowGap)
		if score := math.Abs(math.Log(w / h / targetAspect)); score < bestScore {
			best, bestScore = per, score
		}
	}
	return max(1, best)
}

func rank(t string) int {
	if r, ok := typeRank[t]; ok {
		return r
	}
	return len(typeRank)
}

// nodeWidth is the box width for a label.
func nodeWidth(label string) float64 {
	return math.Max(minWidth, math.Min(maxWidth, 16+charWidth*float64(len([]rune(label)))))
}

// heights returns each node's longest dependency chain, ignoring the back
// edges of an iterative depth-first search so cycles terminate.
func heights(n int, deps [][]int) []int {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, n)
	height := make([]int, n)
	type frame struct{ node, next int }
	for s := range n {
		if color[s] != white {
			continue
		}
		stack := []frame{{s, 0}}
		color[s] = grey
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next < len(deps[f.node]) {
				d := deps[f.node][f.next]
				f.next++
				if color[d] == white {
					color[d] = grey
					stack = append(stack, frame{d, 0})
				}
				continue
			}
			// All children done: back edges (to grey nodes) are ignored.
			h := 0
			for _, d := range deps[f.node] {
				if color[d] == black {
					h = max(h, height[d]+1)
				}
			}
			height[f.node] = h
			color[f.node] = black
			stack = stack[:len(stack)-1]
		}
	}
	return height
}

// orderLayers reduces crossings with a few barycentre sweeps.
func orderLayers(n int, deps [][]int, layers [][]int) {
	neigh := make([][]int, n)
	for i, ds := range deps {
		for _, d := range ds {
			neigh[i] = append(neigh[i], d)
			neigh[d] = append(neigh[d], i)
		}
	}
	pos := make([]float64, n)
	setPos := func(l []int) {
		for k, i := range l {
			pos[i] = (float64(k) + 0.5) / float64(len(l))
		}
	}
	for _, l := range layers {
		setPos(l)
	}
	key := make([]float64, n)
	for sweep := range 6 {
		order := make([]int, len(layers))
		for i := range order {
			order[i] = i
			if sweep%2 == 1 {
				order[i] = len(layers) - 1 - i
			}
		}
		for _, li := range order {
			l := layers[li]
			for _, i := range l {
				if len(neigh[i]) == 0 {
					key[i] = pos[i]
					continue
				}
				sum := 0.0
				for _, j := range neigh[i] {
					sum += pos[j]
				}
				key[i] = sum / float64(len(neigh[i]))
			}
			sort.SliceStable(l, func(a, b int) bool { return key[l[a]] < key[l[b]] })
			setPos(l)
		}
	}
}
