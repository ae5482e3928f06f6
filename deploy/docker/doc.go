// Package docker holds no code: its tests check the repository's root
// Dockerfile and .dockerignore with BuildKit's own parser and linter.
package docker
