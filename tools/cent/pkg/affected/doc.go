// Package affected maps a git change to the projects it affects, at Go
// package precision: changed files become changed packages (or embedded files,
// or changed modules in go.mod/go.sum), closed over reverse imports, with test
// files, non-Go files and target inputs taken into account.
package affected
