package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/centuria/centuria/bench/wsgen"
)

// checkKinds commits every typed change in turn on a fresh workspace and
// compares each checked tool's affected projects with the go list oracle.
// Nothing is timed.
func checkKinds(ctx context.Context, o options, size, dir, cent string, env []string, stdout, stderr io.Writer) error {
	fmt.Fprintf(stderr, "%s: checking every change kind in %s\n", size, dir)
	var before func(*wsgen.Manifest) error
	if o.nx {
		tools, err := installNx(ctx, filepath.Join(filepath.Dir(dir), "nx-tools"), stderr)
		if err != nil {
			return err
		}
		before = func(m *wsgen.Manifest) error { return writeNxWorkspace(dir, tools, m) }
	}
	o.change = wsgen.ChangeNonGo // any kind: prepare commits it first, harmlessly
	m, _, err := prepare(ctx, o, size, dir, before)
	if err != nil {
		return err
	}
	tools := []tool{{name: "cent affected --base HEAD~1 --json", short: "cent", argv: []string{cent, "affected", "--base", "HEAD~1", "--json"}, parse: parseCentAffected}}
	if o.nx {
		tools = append(tools, nxTools(dir)[1])
		tools[1].short = "nx"
	}
	fmt.Fprintf(stdout, "### %s: affected projects per change kind, against the go list oracle\n\n", size)
	header, rule := "| change | oracle |", "| --- | ---: |"
	for _, t := range tools {
		header += " " + t.short + " |"
		rule += " --- |"
	}
	fmt.Fprintln(stdout, header)
	fmt.Fprintln(stdout, rule)
	for _, kind := range wsgen.ChangeKinds {
		if _, err := m.Change(kind); err != nil {
			continue
		}
		if _, err := wsgen.ApplyChange(dir, m, kind); err != nil {
			return err
		}
		if err := wsgen.Commit(ctx, dir, string(kind)); err != nil {
			return err
		}
		changed, err := wsgen.ChangedFiles(ctx, dir, "HEAD~1")
		if err != nil {
			return err
		}
		oracle, err := wsgen.Oracle(ctx, dir, changed, wsgen.WithBase("HEAD~1"))
		if err != nil {
			return err
		}
		want := m.ProjectsOf(oracle.Packages)
		row := fmt.Sprintf("| %s | %d |", kind, len(want))
		for _, t := range tools {
			s, err := measure(ctx, dir, env, t.argv, true)
			if err != nil {
				return err
			}
			got, err := t.parse(s.Stdout)
			if err != nil {
				row += " unreadable output |"
				continue
			}
			row += " " + verdict(want, got) + " |"
		}
		fmt.Fprintln(stdout, row)
	}
	fmt.Fprintln(stdout)
	return nil
}

// verdict is "exact" or the counts of missing and extra projects.
func verdict(want, got []string) string {
	have := make(map[string]bool, len(got))
	for _, g := range got {
		have[g] = true
	}
	missing := 0
	for _, w := range want {
		if !have[w] {
			missing++
		}
		delete(have, w)
	}
	if missing == 0 && len(have) == 0 {
		return "exact"
	}
	return fmt.Sprintf("%d missing, %d extra", missing, len(have))
}
