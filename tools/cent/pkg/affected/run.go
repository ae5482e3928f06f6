package affected

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// Options select what to compare.
type Options struct {
	// Base is the revision to compare against (default "main"); the merge
	// base of Base and Head (or HEAD) is used, as a pull request would.
	Base string
	// Head is the revision to compare; empty means the working tree
	// (committed, staged, unstaged and untracked changes).
	Head string
	// Target limits the answer as Input.Target does.
	Target string
	// ModCache is GOMODCACHE (see Input.ModCache).
	ModCache string
	// Graph selects the build platform.
	Graph graph.Options
}

// Report is a Result with the revisions and changes it was computed from.
type Report struct {
	*Result
	Base    string   `json:"base"`
	Head    string   `json:"head,omitempty"`
	Changes []Change `json:"changes"`
}

// Run computes the affected projects of ws for o. It returns the graph it
// used (of the head revision when Head is not the checked-out commit).
func Run(ctx context.Context, ws *workspace.Workspace, o Options) (*Report, *graph.Graph, error) {
	git := Git{Dir: ws.Root}
	if o.Base == "" {
		o.Base = "main"
	}
	// Comparing with the work tree (the common case) needs the graph of
	// the checked-out tree, so it is built while git works out the changes.
	type built struct {
		g   *graph.Graph
		err error
	}
	var early chan built
	if o.Head == "" {
		early = make(chan built, 1)
		gctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			g, err := graph.Build(gctx, ws, o.Graph)
			early <- built{g, err}
		}()
	}
	mb, headRev, changes, err := gitChanges(ctx, git, o)
	if err != nil {
		return nil, nil, err
	}
	var g *graph.Graph
	newReader := func(ctx context.Context, f string) ([]byte, error) {
		return os.ReadFile(filepath.Join(ws.Root, filepath.FromSlash(f)))
	}
	if early != nil {
		b := <-early
		if b.err != nil {
			return nil, nil, b.err
		}
		g = b.g
	} else {
		newReader = func(ctx context.Context, f string) ([]byte, error) { return git.Show(ctx, headRev, f) }
		headWS := ws
		current, _ := git.Resolve(ctx, "HEAD")
		if current != headRev {
			tmp, err := os.MkdirTemp("", "cent-head-")
			if err != nil {
				return nil, nil, err
			}
			defer os.RemoveAll(tmp)
			if err := git.Export(ctx, headRev, tmp); err != nil {
				return nil, nil, fmt.Errorf("exporting %s: %w", o.Head, err)
			}
			if headWS, err = workspace.LoadRoot(ctx, tmp); err != nil {
				return nil, nil, fmt.Errorf("loading the workspace at %s: %w", o.Head, err)
			}
		}
		if g, err = graph.Build(ctx, headWS, o.Graph); err != nil {
			return nil, nil, err
		}
	}
	res, err := Compute(ctx, g, Input{
		Changes:  changes,
		Target:   o.Target,
		Old:      func(ctx context.Context, f string) ([]byte, error) { return git.Show(ctx, mb, f) },
		New:      newReader,
		ModCache: o.ModCache,
	})
	if err != nil {
		return nil, nil, err
	}
	if changes == nil {
		changes = []Change{}
	}
	return &Report{Result: res, Base: mb, Head: headRev, Changes: changes}, g, nil
}

// gitChanges resolves o's revisions and lists the changed files between the
// merge base and the head (or the work tree).
func gitChanges(ctx context.Context, git Git, o Options) (mb, headRev string, changes []Change, err error) {
	if err := git.CheckRepo(ctx); err != nil {
		return "", "", nil, err
	}
	baseRev, err := git.Resolve(ctx, o.Base)
	if err != nil {
		return "", "", nil, fmt.Errorf("base: %w", err)
	}
	if o.Head != "" {
		if headRev, err = git.Resolve(ctx, o.Head); err != nil {
			return "", "", nil, fmt.Errorf("head: %w", err)
		}
	}
	against := headRev
	if against == "" {
		against = "HEAD"
	}
	if mb, err = git.MergeBase(ctx, baseRev, against); err != nil {
		return "", "", nil, err
	}
	if changes, err = git.Diff(ctx, mb, headRev); err != nil {
		return "", "", nil, err
	}
	return mb, headRev, changes, nil
}
