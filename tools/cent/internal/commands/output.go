package commands

import (
	"io"
	"os"
	"runtime/debug"

	"github.com/centuria/centuria/tools/cent/internal/jsonout"
)

// analysisGC is called by the commands that load the graph, answer and
// exit (graph, affected, show, lint, ci matrix): almost everything they
// allocate lives until they exit, so the collector only runs if the heap
// reaches 512 MiB (about 150 MiB is used on a 1,000-app workspace).
// GOGC or GOMEMLIMIT in the environment leave the settings alone.
func analysisGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(512 << 20)
	debug.SetGCPercent(-1)
}

// writeJSON writes v as indented JSON with a trailing newline.
func writeJSON(w io.Writer, v any) error { return jsonout.Write(w, v) }
