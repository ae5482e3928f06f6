package main

import (
	"fmt"
	"io"
	"time"

	"github.com/centuria/centuria/bench/wsgen"
)

// Targets the results are checked against.
const (
	targetRatio  = 0.5 // graph + affected wall time over go list's
	targetRSSMiB = 300 // at the large preset
)

func printTable(w io.Writer, size string, m *wsgen.Manifest, o options, tools []tool, samples [][]sample, floorKiB int64, checks []string) {
	fmt.Fprintf(w, "### %s: %d apps, %d libs, change %s, %d rounds\n\n", size, m.Spec.Apps, m.Spec.Libs, o.change, o.rounds)
	fmt.Fprintln(w, "| command | median | min | max | peak RSS | ratio to go list |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: |")
	st := make([]stats, len(tools))
	var peer time.Duration
	for i, t := range tools {
		st[i] = summarise(samples[i])
		if t.peer {
			peer = st[i].Median
		}
	}
	for i, t := range tools {
		fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s | %s |\n", t.name, ms(st[i].Median), ms(st[i].Min), ms(st[i].Max),
			mib(st[i].PeakKiB), ratio(st[i].Median, peer))
	}
	sum := st[1].Median + st[2].Median
	verdict := "meets"
	if float64(sum) > targetRatio*float64(peer) {
		verdict = "misses"
	}
	fmt.Fprintf(w, "\ngraph + affected: %s = %s of go list (%s the ≤ %.1fx target)\n", ms(sum), ratio(sum, peer), verdict, targetRatio)
	peak := max(st[1].PeakKiB, st[2].PeakKiB)
	verdict = "meets"
	if peak/1024 >= targetRSSMiB {
		verdict = "misses"
	}
	fmt.Fprintf(w, "cent peak RSS: %s (%s the < %d MiB target); a no-op command measures %s this way\n", mib(peak), verdict, targetRSSMiB, mib(floorKiB))
	if len(tools) >= 5 { // Nx graph and affected follow cent's
		nxSum := st[3].Median + st[4].Median
		fmt.Fprintf(w, "nx graph + affected: %s = %s of go list; cent takes %s of Nx's time\n", ms(nxSum), ratio(nxSum, peer), ratio(sum, nxSum))
	}
	for _, c := range checks {
		fmt.Fprintln(w, c)
	}
	fmt.Fprintln(w)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func mib(kib int64) string { return fmt.Sprintf("%.0f MiB", float64(kib)/1024) }

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", float64(a)/float64(b))
}
