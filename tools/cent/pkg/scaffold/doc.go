// Package scaffold writes new projects that follow the workspace's layout
// and conventions, from templates embedded in the binary.
//
// NewApp writes apps/<name>: a main package on the chassis runtime
// (libs/platform/service) with a first route, a goose migration embedded
// from migrations/, a test that starts the service in process against real
// PostgreSQL and NATS and waits for /readyz, a README documenting its
// environment, a project.yaml carrying its scope tag and the
// deploy/values.yaml the ArgoCD ApplicationSet deploys with the service
// chart. NewLib writes libs/<scope>/<type>-<name> with a package doc and a
// test. Both work with zero edits: the result builds, vets, passes cent
// lint and, for an app, renders with the chart.
//
// Names are validated before anything is written (lowercase DNS labels,
// not a Go keyword, no existing directory or project); on a failure while
// writing, the new directory is removed.
package scaffold
