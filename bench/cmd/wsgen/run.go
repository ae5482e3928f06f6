package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/centuria/centuria/bench/wsgen"
)

// options are the command's flags.
type options struct {
	preset   string
	out      string
	seed     uint64
	apps     int
	libs     int
	manifest string
	change   string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("wsgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.preset, "preset", "small", "size preset: "+strings.Join(wsgen.PresetNames(), ", "))
	fs.StringVar(&o.out, "out", "", "output `dir` (must be empty or missing)")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed; equal seeds give identical workspaces")
	fs.IntVar(&o.apps, "apps", -1, "override the preset's number of apps")
	fs.IntVar(&o.libs, "libs", -1, "override the preset's number of libraries")
	fs.StringVar(&o.manifest, "manifest", "", "write the manifest as JSON to `file` (- for stdout)")
	fs.StringVar(&o.change, "change", "", "instead of generating, apply the typed change `kind` to -out using -manifest")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.out == "" {
		return o, errors.New("-out is required")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = execute(ctx, o, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "wsgen:", err)
		return 1
	}
	return 0
}

func execute(_ context.Context, o options, stdout io.Writer) error {
	if o.change != "" {
		return applyChange(o, stdout)
	}
	spec, err := wsgen.Preset(o.preset)
	if err != nil {
		return fmt.Errorf("-preset: %w", err)
	}
	spec.Seed = o.seed
	if o.apps >= 0 {
		spec.Apps = o.apps
	}
	if o.libs >= 0 {
		spec.Libs = o.libs
	}
	m, err := wsgen.Generate(o.out, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d apps and %d libraries to %s\n", spec.Apps, spec.Libs, o.out)
	return writeManifest(o.manifest, m, stdout)
}

func writeManifest(path string, m *wsgen.Manifest, stdout io.Writer) error {
	switch path {
	case "":
		return nil
	case "-":
		return m.WriteJSON(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-manifest: %w", err)
	}
	err = m.WriteJSON(f)
	return errors.Join(err, f.Close())
}

func applyChange(o options, stdout io.Writer) error {
	if o.manifest == "" || o.manifest == "-" {
		return errors.New("-change needs -manifest FILE written when the workspace was generated")
	}
	m, err := wsgen.ReadManifest(o.manifest)
	if err != nil {
		return err
	}
	files, err := wsgen.ApplyChange(o.out, m, wsgen.ChangeKind(o.change))
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return nil
}
