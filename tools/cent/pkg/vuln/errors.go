package vuln

import "errors"

// ErrInvalidDB is returned when a local vulnerability database directory is
// missing or damaged; the message names the file and the problem.
var ErrInvalidDB = errors.New("invalid vulnerability database")

// ErrInvalidOption is returned when Options are invalid.
var ErrInvalidOption = errors.New("invalid vuln option")

// ErrScan is returned when govulncheck fails for a project (packages that do
// not load, an unreachable database); the message carries its output.
var ErrScan = errors.New("vulnerability scan failed")
