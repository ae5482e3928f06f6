package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/centuria/centuria/bench/wsgen"
)

// options are the command's flags.
type options struct {
	sizes   []string
	rounds  int
	change  wsgen.ChangeKind
	cent    string
	workdir string
	keep    bool
	nx      bool
	kinds   bool
	seed    uint64
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var sizes, change string
	fs := flag.NewFlagSet("affectedbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&sizes, "sizes", "small,large", "comma-separated workspace presets: "+strings.Join(wsgen.PresetNames(), ", "))
	fs.IntVar(&o.rounds, "rounds", 5, "timed rounds per command, after one untimed warm-up")
	fs.StringVar(&change, "change", string(wsgen.ChangeRootUtil), "typed change committed before measuring")
	fs.StringVar(&o.cent, "cent", "", "cent `binary` to measure (default: build ./tools/cent with go build -o); any program taking cent's arguments works as a stand-in")
	fs.StringVar(&o.workdir, "workdir", "", "where to generate the workspaces (default: a new temporary directory)")
	fs.BoolVar(&o.keep, "keep", false, "keep the generated workspaces")
	fs.BoolVar(&o.nx, "nx", false, "also measure Nx with @nx-go/nx-go (needs npm and network access to the npm registry)")
	fs.BoolVar(&o.kinds, "kinds", false, "instead of timing, check cent's (and with -nx Nx's) affected projects for every change kind against the go list oracle")
	fs.Uint64Var(&o.seed, "seed", 1, "generator seed")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.rounds < 1 || o.rounds > 1000 {
		return o, fmt.Errorf("-rounds: %d not in [1, 1000]", o.rounds)
	}
	for _, s := range strings.Split(sizes, ",") {
		s = strings.TrimSpace(s)
		if _, err := wsgen.Preset(s); err != nil {
			return o, fmt.Errorf("-sizes: %w", err)
		}
		o.sizes = append(o.sizes, s)
	}
	o.change = wsgen.ChangeKind(change)
	known := false
	for _, k := range wsgen.ChangeKinds {
		known = known || k == o.change
	}
	if !known {
		return o, fmt.Errorf("-change: %q is not one of %v: %w", change, wsgen.ChangeKinds, wsgen.ErrUnknownChange)
	}
	return o, nil
}
