package graphview_test

import (
	"os"

	"github.com/centuria/centuria/tools/cent/pkg/graphview"
)

func ExampleRenderDOT() {
	v := graphview.View{
		Projects: []graphview.Node{
			{Name: "shop-api", Type: "app", Affected: true},
			{Name: "shared-util-money", Type: "util"},
		},
		Edges: []graphview.Edge{{From: "shop-api", To: "shared-util-money"}},
	}
	if err := graphview.RenderDOT(os.Stdout, v); err != nil {
		panic(err)
	}
	// Output:
	// digraph "projects" {
	//   rankdir=TB;
	//   node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];
	//   edge [color="#888888", arrowsize=0.6];
	//   "shared-util-money" [label="shared-util-money", fillcolor="#76b7b2", tooltip="util"];
	//   "shop-api" [label="shop-api", fillcolor="#b07aa1", tooltip="app", color="#d62728", penwidth=3];
	//   "shop-api" -> "shared-util-money";
	// }
}
