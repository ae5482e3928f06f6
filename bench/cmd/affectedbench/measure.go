package main

import "github.com/centuria/centuria/bench/benchkit"

// tool is one measured command.
type tool struct {
	name string
	argv []string
	// peer marks the command the others are compared with.
	peer bool
	// short names the command in the accuracy report.
	short string
	// parse, when set, reads the affected project names from the
	// command's standard output, which is then kept.
	parse func([]byte) ([]string, error)
}

// sample and stats are benchkit's.
type (
	sample = benchkit.Sample
	stats  = benchkit.Stats
)

var (
	measure   = benchkit.Measure
	summarise = benchkit.Summarise
	rssFloor  = benchkit.RSSFloor
)
