package commands

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// An external verb is implemented by a second binary that links libraries
// cent itself leaves out: every package linked into a Go binary is
// initialised at each start, and the Helm and Kubernetes packages behind
// deploy cost about 14 ms of every cent command. That binary is a complete
// cent with the verb registered; cent runs it with its own command line.
type external struct {
	verb   string // the verb, e.g. "deploy"
	binary string // the binary's name, e.g. "cent-deploy"
	env    string // an environment variable that may name the binary's path
	pkg    string // its main package, for the install hint
	short  string
}

var externals = []external{{
	verb:   "deploy",
	binary: "cent-deploy",
	env:    "CENT_DEPLOY",
	pkg:    "github.com/centuria/centuria/tools/cent/cmd/cent-deploy",
	short:  "Delivery helpers: preview the ArgoCD Applications offline, pin image digests (runs cent-deploy)",
}}

func (x external) command(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:                x.verb,
		Short:              x.short,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bin, err := x.find()
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			args := g.args
			if args == nil {
				args = os.Args[1:]
			}
			c := exec.CommandContext(cmd.Context(), bin, args...)
			c.Stdin, c.Stdout, c.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			c.Cancel = func() error { return c.Process.Signal(os.Interrupt) }
			c.WaitDelay = 10 * time.Second
			err = c.Run()
			var ee *exec.ExitError
			switch {
			case err == nil:
				return nil
			case errors.As(err, &ee) && ee.ExitCode() > 0:
				// The child has printed its own error.
				return &ExitError{Code: ee.ExitCode()}
			default:
				return fmt.Errorf("running %s: %w", bin, err)
			}
		},
	}
}

// find locates the binary: the path in x.env, else next to the running
// executable (where go install and release archives put both), else PATH.
func (x external) find() (string, error) {
	if p := os.Getenv(x.env); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", x.env, p, err)
		}
		return p, nil
	}
	var looked []string
	if self, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(self); err == nil {
			self = real
		}
		p := filepath.Join(filepath.Dir(self), x.binary)
		if _, err := exec.LookPath(p); err == nil {
			return p, nil
		}
		looked = append(looked, filepath.Dir(self))
	}
	if p, err := exec.LookPath(x.binary); err == nil {
		return p, nil
	}
	looked = append(looked, "PATH")
	return "", fmt.Errorf("cent %s is implemented by %s (cent with Helm and the Kubernetes API linked), which is not in %s; install it with `go install %s@latest`, or set %s to its path",
		x.verb, x.binary, strings.Join(looked, " or "), x.pkg, x.env)
}
