package commands

import (
	"fmt"
	"os"
	"runtime/debug"
	"sync"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/gocacheprog"
)

func init() { register(newGocacheCmd) }

func newGocacheCmd(g *GlobalOptions) *cobra.Command {
	// The go command waits for each put's answer: answer once the local
	// cache has the object and upload in the background.
	o := &cacheOptions{AsyncUpload: true}
	cmd := &cobra.Command{
		Use:   "gocache",
		Short: "Serve the go command's build cache from cent's cache (GOCACHEPROG)",
		Long: `Serve the go command's build and test cache from cent's local and remote
cache, speaking the GOCACHEPROG protocol (Go 1.24 and later) on stdin and
stdout. Point the go command at it:

  export CENT_REMOTE_CACHE=https://cache.example.com/go
  export GOCACHEPROG="cent gocache"
  go test ./...

Every machine doing the same shares compiled packages and test results. The
remote cache, credentials and signing key come from the same flags and
environment variables as "cent run".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(100) // it serves a whole go build: the usual GC pacing
			}
			stderr := cmd.ErrOrStderr()
			c, err := o.open(cmd.Context(), stderr)
			if err != nil {
				return err
			}
			defer c.Close()
			var mu sync.Mutex
			s := &gocacheprog.Server{
				Cache: c,
				Warn: func(format string, args ...any) {
					mu.Lock()
					defer mu.Unlock()
					fmt.Fprintf(stderr, "cent: gocache: "+format+"\n", args...)
				},
			}
			return s.Serve(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	addCacheFlags(cmd, o)
	return cmd
}
