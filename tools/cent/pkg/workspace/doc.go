// Package workspace finds a Centuria workspace, reads its optional cent.yaml
// and project.yaml files with strict decoding, and infers its projects from
// the directory tree with no configuration at all.
//
// A workspace root is the nearest directory, walking up from the start
// directory, that holds a cent.yaml; failing that the nearest go.work; failing
// that the nearest go.mod.
//
// Projects are inferred from the usual layouts: apps/<name>, libs/<scope>/<name>
// (or libs/<name> when that directory holds Go files itself), tools/<name> and
// cmd/<name>; every other top-level directory that holds Go packages is a
// project too, as is every module named by go.work. A project.yaml makes its
// directory a project and may set its name, type, tags, targets, implicit
// dependencies and inputs.
package workspace
