package wsgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Commit records every file of the workspace at dir in a git commit with
// message msg, initialising a repository on the first call. The author,
// committer and dates are fixed so equal trees give equal commits. It
// returns an error wrapping ErrGit.
func Commit(ctx context.Context, dir, msg string) error {
	if _, err := os.Stat(filepath.Join(dir, ".git")); errors.Is(err, os.ErrNotExist) {
		if err := git(ctx, dir, "init", "-q", "-b", "main"); err != nil {
			return err
		}
	}
	if err := git(ctx, dir, "add", "-A"); err != nil {
		return err
	}
	return git(ctx, dir, "commit", "-q", "--allow-empty", "--no-verify", "-m", msg)
}

// ChangedFiles returns the files that differ between base and the working
// tree's HEAD, as git diff --name-only prints them.
func ChangedFiles(ctx context.Context, dir, base string) ([]string, error) {
	if base == "" || strings.HasPrefix(base, "-") {
		return nil, fmt.Errorf("base revision %q: %w", base, ErrGit)
	}
	out, err := gitOutput(ctx, dir, "diff", "--name-only", "--no-renames", base, "HEAD")
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

func git(ctx context.Context, dir string, args ...string) error {
	_, err := gitOutput(ctx, dir, args...)
	return err
}

func gitOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	full := append([]string{"-c", "user.name=wsgen", "-c", "user.email=wsgen@example.com",
		"-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
		"GIT_CONFIG_NOSYSTEM=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s: %w", args[0], err, bytes.TrimSpace(stderr.Bytes()), ErrGit)
	}
	return out, nil
}
