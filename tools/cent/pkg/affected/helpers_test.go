package affected_test

import (
	"context"

	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

func buildGraph(ctx context.Context, ws *workspace.Workspace) (*graph.Graph, error) {
	return graph.Build(ctx, ws, graph.Options{})
}
