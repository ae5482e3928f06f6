// Package vuln finds known vulnerabilities that a workspace's projects can
// actually reach. It runs govulncheck (golang.org/x/vuln/scan, in process) in
// its default source mode once per project, over that project's packages, and
// keeps only the findings with a call trace from the project's code to a
// vulnerable function: a vulnerable module that is required, or a vulnerable
// package that is imported but whose vulnerable symbols are never called, is
// not reported.
//
// The vulnerability database is the public Go one by default, or a local
// directory in its layout (index/db.json, index/modules.json, ID/<id>.json,
// OSV entries), which CheckDir validates before a scan so that a damaged copy
// is a clear error instead of a silently empty answer.
package vuln
