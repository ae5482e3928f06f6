package commands

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
)

// cent-full is cent with the parts that link heavy libraries: the deploy
// verb (Helm, the Kubernetes API types) and the cloud object stores as
// remote caches (the AWS, Google Cloud and Azure SDKs). Every package linked
// into a Go binary is initialised at each start; together these cost cent
// about 20 ms per command and double its size, so cent leaves them out and
// runs cent-full, with its own command line, when a command needs them.
const (
	fullBinary = "cent-full"
	fullEnv    = "CENT_FULL" // names cent-full's path explicitly
	// fullChildEnv marks a process cent started as cent-full, so that a
	// misnamed binary fails instead of starting itself again and again.
	fullChildEnv = "CENT_FULL_CHILD"
	fullPkg      = "github.com/centuria/centuria/tools/cent/cmd/cent-full"
)

var (
	// fullVerbs are the verbs only cent-full registers.
	fullVerbs = map[string]string{
		"deploy": "Delivery helpers: preview the ArgoCD Applications offline, pin image digests (runs cent-full)",
	}
	// fullSchemes are the remote cache URL schemes only cent-full opens.
	fullSchemes = []string{"s3", "gs", "azblob"}
)

// fullVerb is the stand-in cent registers for a verb of cent-full.
func fullVerb(g *GlobalOptions, name, short string) *cobra.Command {
	return &cobra.Command{
		Use:                name,
		Short:              short,
		DisableFlagParsing: true, // everything, --help included, is cent-full's
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFull(cmd, g, "cent "+name)
		},
	}
}

// delegateRemote runs cmd in cent-full when its remote cache (flag or
// environment) uses a scheme only cent-full opens; ok reports whether it
// did, and err then carries cent-full's exit status.
func delegateRemote(cmd *cobra.Command, g *GlobalOptions) (ok bool, err error) {
	f := cmd.Flags().Lookup("remote-cache")
	if f == nil {
		return false, nil
	}
	remote := firstNonEmpty(f.Value.String(), os.Getenv(envRemoteCache))
	u, perr := url.Parse(remote)
	if remote == "" || perr != nil {
		return false, nil // resolved and reported by the command itself
	}
	scheme := strings.ToLower(u.Scheme)
	if !slices.Contains(fullSchemes, scheme) || slices.Contains(cache.Schemes(), scheme) {
		return false, nil
	}
	if err := runFull(cmd, g, "the remote cache "+scheme+"://"); err != nil {
		return true, err
	}
	return true, &ExitError{Code: 0}
}

// runFull runs cent-full with cent's command line and the command's
// standard streams; its exit status becomes cent's.
func runFull(cmd *cobra.Command, g *GlobalOptions, what string) error {
	if os.Getenv(fullChildEnv) != "" {
		// This process was started as cent-full, yet lacks what it was
		// started for: CENT_FULL or PATH names a plain cent.
		return &ExitError{Code: 2, Err: fmt.Errorf("%s: this binary was run as %s but is not it (check %s and PATH)", what, fullBinary, fullEnv)}
	}
	bin, err := findFull(what)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	args := g.args
	if args == nil {
		args = os.Args[1:]
	}
	c := exec.CommandContext(cmd.Context(), bin, args...)
	c.Stdin, c.Stdout, c.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	c.Env = append(os.Environ(), fullChildEnv+"=1")
	c.Cancel = func() error { return c.Process.Signal(os.Interrupt) }
	c.WaitDelay = 10 * time.Second
	err = c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.ExitCode() > 0:
		return &ExitError{Code: ee.ExitCode()} // cent-full printed its error
	default:
		return fmt.Errorf("running %s: %w", bin, err)
	}
}

// findFull locates cent-full: the path in $CENT_FULL, else next to the
// running executable (where go install puts both), else on PATH.
func findFull(what string) (string, error) {
	if p := os.Getenv(fullEnv); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", fullEnv, p, err)
		}
		return p, nil
	}
	var looked []string
	if self, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(self); err == nil {
			self = real
		}
		p := filepath.Join(filepath.Dir(self), fullBinary)
		if _, err := exec.LookPath(p); err == nil {
			return p, nil
		}
		looked = append(looked, filepath.Dir(self))
	}
	if p, err := exec.LookPath(fullBinary); err == nil {
		return p, nil
	}
	looked = append(looked, "PATH")
	return "", fmt.Errorf("%s needs %s (cent with Helm, the Kubernetes API and the cloud storage SDKs linked), which is not in %s; install it with `go install %s@latest`, or set %s to its path",
		what, fullBinary, strings.Join(looked, " or "), fullPkg, fullEnv)
}
