package task

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// FileHasher gives every candidate input file of a workspace a content id:
// git's blob id (from the index for clean tracked files, computed the same
// way for modified and untracked ones), so keys agree across clones and do
// not change when a file is committed. Outside git, every file is hashed.
type FileHasher struct {
	root  string
	files []string          // sorted candidate files (tracked + untracked, not ignored)
	ids   map[string]string // path -> blob id, for files known clean
	dirty map[string]bool   // files whose id must be computed
	mu    sync.Mutex
	cache map[string]string // computed ids
}

// NewFileHasher lists the workspace's files. In a git work tree that is the
// tracked files plus untracked files not ignored; otherwise every file found
// by walking (skipping .git and node_modules).
func NewFileHasher(ctx context.Context, root string) (*FileHasher, error) {
	h := &FileHasher{root: root, ids: map[string]string{}, dirty: map[string]bool{}, cache: map[string]string{}}
	if err := h.fromGit(ctx); err == nil {
		return h, nil
	}
	h.ids, h.dirty, h.files = map[string]string{}, map[string]bool{}, nil
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() || d.Type()&os.ModeSymlink != 0 {
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			h.files = append(h.files, rel)
			h.dirty[rel] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing workspace files: %w", err)
	}
	sort.Strings(h.files)
	return h, nil
}

func (h *FileHasher) git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", h.root}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

func (h *FileHasher) fromGit(ctx context.Context) error {
	// Four independent listings; each git process reads the index and the
	// last two stat or walk the tree, so they run side by side.
	var staged, prefix, modified, untracked []byte
	g, gctx := errgroup.WithContext(ctx)
	list := func(out *[]byte, args ...string) {
		g.Go(func() error {
			b, err := h.git(gctx, args...)
			*out = b
			return err
		})
	}
	list(&staged, "ls-files", "-s", "-z", "--full-name", "--", ".")
	list(&prefix, "rev-parse", "--show-prefix")
	list(&modified, "ls-files", "-m", "-d", "-z", "--", ".")
	list(&untracked, "ls-files", "-o", "--exclude-standard", "-z", "--", ".")
	if err := g.Wait(); err != nil {
		return err
	}
	pre := strings.TrimSpace(string(prefix))
	for _, rec := range strings.Split(string(staged), "\x00") {
		// "<mode> <object> <stage>\t<path>"
		meta, p, ok := strings.Cut(rec, "\t")
		if !ok {
			continue
		}
		f := strings.Fields(meta)
		if len(f) != 3 || f[0] == "160000" { // skip submodules
			continue
		}
		rel := strings.TrimPrefix(p, pre)
		if f[2] != "0" { // merge conflict stages: hash the work tree file
			h.dirty[rel] = true
			continue
		}
		h.ids[rel] = f[1]
		h.files = append(h.files, rel)
	}
	for _, p := range strings.Split(string(modified), "\x00") {
		if p != "" {
			h.dirty[p] = true
		}
	}
	for _, p := range strings.Split(string(untracked), "\x00") {
		if p != "" {
			h.files = append(h.files, p)
			h.dirty[p] = true
		}
	}
	sort.Strings(h.files)
	h.files = compactStrings(h.files)
	return nil
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Files returns the candidate input files, workspace-relative and sorted.
func (h *FileHasher) Files() []string { return h.files }

// ID returns the content id of a workspace-relative file, or "" for a file
// that no longer exists (deleted in the work tree).
func (h *FileHasher) ID(rel string) (string, error) {
	if !h.dirty[rel] {
		if id, ok := h.ids[rel]; ok {
			return id, nil
		}
	}
	h.mu.Lock()
	id, ok := h.cache[rel]
	h.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := blobID(filepath.Join(h.root, filepath.FromSlash(rel)))
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	h.cache[rel] = id
	h.mu.Unlock()
	return id, nil
}

// blobID computes git's blob id of a file ("" if it does not exist); a
// symbolic link is hashed as its target path, as git does.
func blobID(p string) (string, error) {
	fi, err := os.Lstat(p)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	sum := sha1.New()
	if fi.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		io.WriteString(sum, "blob "+strconv.Itoa(len(target))+"\x00"+target)
		return hex.EncodeToString(sum.Sum(nil)), nil
	}
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	io.WriteString(sum, "blob "+strconv.FormatInt(fi.Size(), 10)+"\x00")
	n, err := io.Copy(sum, f)
	if err != nil {
		return "", err
	}
	if n != fi.Size() {
		return "", fmt.Errorf("%s changed while being hashed", p)
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}
