package affected

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Status is a change's kind, as git reports it.
type Status string

// Change kinds.
const (
	Added    Status = "added"
	Modified Status = "modified"
	Deleted  Status = "deleted"
	Renamed  Status = "renamed"
)

// Change is one changed file, workspace-relative and slash-separated.
type Change struct {
	Path    string `json:"path"`
	OldPath string `json:"oldPath,omitempty"` // for renames
	Status  Status `json:"status"`
}

// Git runs git in a workspace directory.
type Git struct {
	Dir string
	// Env is added to the environment of every git call.
	Env []string
}

func (g Git) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", g.Dir}, args...)...)
	cmd.Env = append(append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C"), g.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return out, fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return out, nil
}

// CheckRepo returns ErrNotGitRepo when Dir is not in a git work tree.
func (g Git) CheckRepo(ctx context.Context) error {
	if _, err := exec.LookPath("git"); err != nil {
		return fmt.Errorf("git is not installed: %w", ErrNotGitRepo)
	}
	out, err := g.run(ctx, "rev-parse", "--is-inside-work-tree")
	if err != nil || strings.TrimSpace(string(out)) != "true" {
		return fmt.Errorf("%s: %w", g.Dir, ErrNotGitRepo)
	}
	return nil
}

// Resolve returns the commit id of rev, or an error wrapping ErrUnknownRef
// that explains a shallow clone.
func (g Git) Resolve(ctx context.Context, rev string) (string, error) {
	if rev == "" || strings.HasPrefix(rev, "-") || strings.ContainsAny(rev, " \x00\n") {
		return "", fmt.Errorf("%w %q", ErrUnknownRef, rev)
	}
	out, err := g.run(ctx, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil {
		hint := ""
		if sh, _ := g.run(ctx, "rev-parse", "--is-shallow-repository"); strings.TrimSpace(string(sh)) == "true" {
			hint = " (this is a shallow clone: fetch the history, e.g. actions/checkout with fetch-depth: 0, or git fetch --unshallow)"
		}
		return "", fmt.Errorf("%w %q%s", ErrUnknownRef, rev, hint)
	}
	return strings.TrimSpace(string(out)), nil
}

// MergeBase returns the best common ancestor of a and b.
func (g Git) MergeBase(ctx context.Context, a, b string) (string, error) {
	out, err := g.run(ctx, "merge-base", a, b)
	if err != nil {
		if sh, _ := g.run(ctx, "rev-parse", "--is-shallow-repository"); strings.TrimSpace(string(sh)) == "true" {
			return "", fmt.Errorf("no common ancestor of %s and %s in this shallow clone: fetch the history (fetch-depth: 0): %w", a, b, ErrUnknownRef)
		}
		return "", fmt.Errorf("no common ancestor of %s and %s: %w", a, b, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Diff lists the files changed from base to head; with head "" the working
// tree is compared (committed, staged, unstaged and untracked changes).
// Paths are relative to Dir; changes outside Dir are left out.
func (g Git) Diff(ctx context.Context, base, head string) ([]Change, error) {
	args := []string{"diff", "--relative", "--name-status", "-z", "-M", "--no-ext-diff", "--no-color", base}
	if head != "" {
		args = append(args, head)
	}
	// Against the work tree, the untracked files are listed by a second
	// git process; both walk the whole tree, so they run side by side.
	var untracked []byte
	var untrackedErr error
	done := make(chan struct{})
	if head == "" {
		go func() {
			defer close(done)
			untracked, untrackedErr = g.run(ctx, "ls-files", "--others", "--exclude-standard", "-z")
		}()
	} else {
		close(done)
	}
	out, err := g.run(ctx, args...)
	<-done
	if err != nil {
		return nil, err
	}
	if untrackedErr != nil {
		return nil, untrackedErr
	}
	changes, err := parseNameStatus(out)
	if err != nil {
		return nil, err
	}
	for _, p := range strings.Split(string(untracked), "\x00") {
		if p != "" {
			changes = append(changes, Change{Path: p, Status: Added})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	return changes, nil
}

func parseNameStatus(out []byte) ([]Change, error) {
	fields := strings.Split(string(out), "\x00")
	var changes []Change
	for i := 0; i < len(fields); i++ {
		st := fields[i]
		if st == "" {
			continue
		}
		need := 1
		if st[0] == 'R' || st[0] == 'C' {
			need = 2
		}
		if i+need > len(fields)-1 {
			return nil, fmt.Errorf("git diff: truncated output near %q", st)
		}
		switch st[0] {
		case 'A':
			changes = append(changes, Change{Path: fields[i+1], Status: Added})
		case 'D':
			changes = append(changes, Change{Path: fields[i+1], Status: Deleted})
		case 'R':
			changes = append(changes, Change{Path: fields[i+2], OldPath: fields[i+1], Status: Renamed})
		case 'C':
			changes = append(changes, Change{Path: fields[i+2], Status: Added})
		default: // M, T, U, X
			changes = append(changes, Change{Path: fields[i+1], Status: Modified})
		}
		i += need
	}
	return changes, nil
}

// Show returns the content of a file at a revision; a missing file gives
// os.ErrNotExist.
func (g Git) Show(ctx context.Context, rev, file string) ([]byte, error) {
	out, err := g.run(ctx, "show", rev+":./"+file)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "exists on disk, but not in") {
			return nil, fmt.Errorf("%s at %s: %w", file, rev, os.ErrNotExist)
		}
		return nil, err
	}
	return out, nil
}

// Export writes the tree of rev below Dir into the empty directory dst, so a
// workspace can be loaded as it was at that revision.
func (g Git) Export(ctx context.Context, rev, dst string) error {
	out, err := g.run(ctx, "archive", "--format=tar", rev, ".")
	if err != nil {
		return err
	}
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading git archive: %w", err)
		}
		name := path.Clean(h.Name)
		if name == "." || strings.HasPrefix(name, "../") || path.IsAbs(name) {
			continue
		}
		target := filepath.Join(dst, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o777)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			_ = os.Symlink(h.Linkname, target)
		}
	}
}
