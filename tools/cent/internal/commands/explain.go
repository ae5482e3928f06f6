package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/task"
)

func init() { register(newExplainCmd) }

// taskLookup is what explain and --dry-run need of the cache.
type taskLookup interface {
	Lookup(ctx context.Context, key cache.Digest) (*cache.Entry, error)
	LastRun(ctx context.Context, taskID string) (*cache.Entry, error)
}

func newExplainCmd(g *GlobalOptions) *cobra.Command {
	var (
		co       cacheOptions
		platform platformOptions
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "explain PROJECT:TARGET",
		Short: "Say whether a task is cached and which inputs changed since its last cached run",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			project, target, ok := strings.Cut(args[0], ":")
			if !ok || project == "" || target == "" {
				return fmt.Errorf("want PROJECT:TARGET, got %q", args[0])
			}
			ctx := cmd.Context()
			ws, err := g.Workspace(ctx)
			if err != nil {
				return err
			}
			if _, err := ws.Project(project); err != nil {
				return err
			}
			gr, err := graph.Build(ctx, ws, platform.graphOptions())
			if err != nil {
				return err
			}
			plan, err := planWithKeys(ctx, gr, task.PlanOptions{Targets: []string{target}, Projects: []string{project}})
			if err != nil {
				return err
			}
			c, err := co.open(ctx, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer c.Close()
			t, _ := plan.Task(args[0])
			return explainTask(ctx, cmd.OutOrStdout(), c, t, asJSON)
		},
	}
	addCacheFlags(cmd, &co)
	addPlatformFlags(cmd, &platform)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// explanation is the JSON form of cent explain.
type explanation struct {
	Task        string            `json:"task"`
	Key         string            `json:"key"`
	Cached      bool              `json:"cached"`
	PreviousKey string            `json:"previousKey,omitempty"`
	Differences []task.Difference `json:"differences"`
}

func explainTask(ctx context.Context, w io.Writer, c taskLookup, t *task.Task, asJSON bool) error {
	ex := explanation{Task: t.ID, Key: t.Key.String(), Differences: []task.Difference{}}
	if _, err := c.Lookup(ctx, t.Key); err == nil {
		ex.Cached = true
	}
	prev, err := c.LastRun(ctx, t.ID)
	if err != nil && !errors.Is(err, cache.ErrNotFound) {
		return err
	}
	if prev != nil {
		ex.PreviousKey = prev.Key.String()
		ex.Differences = task.Diff(prev.Inputs, t.Inputs)
	}
	if asJSON {
		return writeJSON(w, ex)
	}
	switch {
	case ex.Cached:
		fmt.Fprintf(w, "%s is cached (key %s): it will be restored, not run\n", t.ID, ex.Key[:16])
	case prev == nil:
		fmt.Fprintf(w, "%s has no cached run yet (key %s)\n", t.ID, ex.Key[:16])
	default:
		fmt.Fprintf(w, "%s is not cached: %d input(s) differ from its last cached run (%s):\n", t.ID, len(ex.Differences), ex.PreviousKey[:16])
	}
	if !ex.Cached {
		for _, d := range ex.Differences {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
	return nil
}

// explainMiss says, for --why, what changed since a task's last run.
func explainMiss(ctx context.Context, c taskLookup, t *task.Task) string {
	prev, err := c.LastRun(ctx, t.ID)
	if err != nil || prev == nil {
		return fmt.Sprintf("why %s: no cached run yet", t.ID)
	}
	diffs := task.Diff(prev.Inputs, t.Inputs)
	var parts []string
	for i, d := range diffs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(diffs)-5))
			break
		}
		parts = append(parts, d.String())
	}
	return fmt.Sprintf("why %s: %s", t.ID, strings.Join(parts, "; "))
}
