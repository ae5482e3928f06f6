// Package e2e holds the end-to-end test of the reference services: the
// gateway and the four services run as real processes on the machine's
// PostgreSQL, NATS and Redis, started by the launcher's stack package, with
// an in-test OTLP receiver collecting their traces.
package e2e
