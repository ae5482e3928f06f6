// Package graph builds a workspace's Go package import graph by reading
// source files directly (no go list), in parallel, with Go's own rules for
// build constraints, test files and //go:embed, and rolls it up into a project
// graph with edge kinds and cycle detection.
package graph
