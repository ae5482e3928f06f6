// Package cicheck holds the tests that check the repository's GitHub Actions
// workflows offline with actionlint (used as a library) and shellcheck.
package cicheck
