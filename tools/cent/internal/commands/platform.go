package commands

import (
	"context"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// platformOptions select the build platform of the import graph.
type platformOptions struct {
	GOOS, GOARCH string
	Tags         []string
}

func addPlatformFlags(cmd *cobra.Command, o *platformOptions) {
	cmd.Flags().StringVar(&o.GOOS, "goos", "", "compute the import graph for this GOOS (default: the host's, or cent.yaml platform.goos)")
	cmd.Flags().StringVar(&o.GOARCH, "goarch", "", "compute the import graph for this GOARCH")
	cmd.Flags().StringSliceVar(&o.Tags, "tags", nil, "extra build tags")
}

func (o platformOptions) graphOptions() graph.Options {
	return graph.Options{GOOS: o.GOOS, GOARCH: o.GOARCH, BuildTags: o.Tags, CacheDir: graphCacheDir()}
}

// graphCacheDir is where parsed packages are kept between runs: <cache
// dir>/graph, or nowhere with CENT_GRAPH_CACHE=off.
func graphCacheDir() string {
	if os.Getenv("CENT_GRAPH_CACHE") == "off" {
		return ""
	}
	dir := os.Getenv(envCacheDir)
	if dir == "" {
		d, err := cache.DefaultDir()
		if err != nil {
			return ""
		}
		dir = d
	}
	return filepath.Join(dir, "graph")
}

// loadGraph loads the workspace and builds its graph.
func loadGraph(ctx context.Context, g *GlobalOptions, p platformOptions) (*workspace.Workspace, *graph.Graph, error) {
	ws, err := g.Workspace(ctx)
	if err != nil {
		return nil, nil, err
	}
	gr, err := graph.Build(ctx, ws, p.graphOptions())
	if err != nil {
		return nil, nil, err
	}
	return ws, gr, nil
}

// exactlyOne reports whether exactly one of the ways to select projects
// (names, --all, --affected) was used.
func exactlyOne(ways ...bool) bool {
	n := 0
	for _, w := range ways {
		if w {
			n++
		}
	}
	return n == 1
}
