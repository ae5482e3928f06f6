// Package task plans, hashes and runs targets of projects: a DAG of tasks
// ("project:target") with dependsOn edges, a SHA-256 key per task over every
// input (target definition, input files by git blob id, dependency projects'
// inputs, dependency tasks' keys, Go version and platform, declared
// environment variables and the go.sum lines of used modules), and a parallel
// runner that restores cached results instead of running a task again.
package task
