// Package commands holds cent's command-line verbs: thin glue that parses
// flags and calls the library packages under tools/cent/pkg.
package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// ExitError carries a process exit code through cobra without printing a
// usage message; Err, when set, is printed to stderr.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// GlobalOptions are the flags every verb shares.
type GlobalOptions struct {
	// Dir is where the workspace search starts (default: the working directory).
	Dir string
	// CPUProfile, when set, receives a CPU profile of the command.
	CPUProfile string

	// args are the command line cent was given, for running cent-full with
	// it (see external.go).
	args []string
}

// Workspace loads the workspace --dir (or the working directory) is in.
func (o *GlobalOptions) Workspace(ctx context.Context) (*workspace.Workspace, error) {
	dir := o.Dir
	if dir == "" {
		dir = "."
	}
	return workspace.Load(ctx, dir)
}

// path resolves a file name given on the command line against --dir, as if
// cent had been started there.
func (o *GlobalOptions) path(p string) string {
	if o.Dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(o.Dir, p)
}

func addGlobalFlags(cmd *cobra.Command, o *GlobalOptions) {
	cmd.PersistentFlags().StringVarP(&o.Dir, "dir", "C", "", "run as if cent was started in `dir`")
	cmd.PersistentFlags().StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile to `file`")
	cmd.PersistentFlags().MarkHidden("cpuprofile")
}

// NewRoot builds the cent command tree.
func NewRoot(stdout, stderr io.Writer) *cobra.Command { return newRoot(stdout, stderr, nil) }

func newRoot(stdout, stderr io.Writer, args []string) *cobra.Command {
	g := &GlobalOptions{args: args}
	root := &cobra.Command{
		Use:           "cent",
		Short:         "Centuria monorepo tool: project graph, affected, lint and cached task runner for Go",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	addGlobalFlags(root, g)
	var stopProfile func()
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if delegated, err := delegateRemote(cmd, g); delegated {
			return err
		}
		if g.CPUProfile == "" {
			return nil
		}
		f, err := os.Create(g.CPUProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if stopProfile != nil {
			stopProfile()
		}
	}
	for _, add := range verbs {
		root.AddCommand(add(g))
	}
	for name, short := range fullVerbs {
		if !hasVerb(root, name) {
			root.AddCommand(fullVerb(g, name, short))
		}
	}
	return root
}

func hasVerb(root *cobra.Command, name string) bool {
	for _, c := range root.Commands() {
		if c.Name() == name {
			return true
		}
	}
	return false
}

// verbs lists the constructors of cent's sub-commands; each verb's file
// registers itself in an init function.
var verbs []func(*GlobalOptions) *cobra.Command

func register(f func(*GlobalOptions) *cobra.Command) { verbs = append(verbs, f) }

// Register adds a verb to cent. Verbs that link heavy libraries live in
// packages only cent-full imports (see external.go), so that cent itself
// starts fast; cent runs cent-full for them.
func Register(f func(*GlobalOptions) *cobra.Command) { register(f) }

// Execute runs cent with args and returns the process exit code.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr, args)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(stderr, "cent:", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintln(stderr, "cent:", err)
	return 1
}
