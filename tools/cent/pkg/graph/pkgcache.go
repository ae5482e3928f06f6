package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"go/build"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/centuria/centuria/tools/cent/internal/filestat"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// pkgCache remembers parsed packages between runs, keyed by a fingerprint
// of their directory's Go files (name, size, modification and change time,
// inode). A package is reused only when every Go file in its directory has
// the same fingerprint, so an edit, an added, removed or renamed file makes
// it be read again; packages with load errors are never reused, and the
// files //go:embed patterns match are looked up again on every hit. The cache file is per workspace root, build context and Go
// release, written atomically; an unreadable one is ignored (a miss).
type pkgCache struct {
	path    string
	loaded  chan struct{} // closed once entries holds the file's content
	mu      sync.Mutex
	entries map[string]cachedPackage
	dirty   bool
}

type cachedPackage struct {
	Stamp string
	Pkg   Package
	Pos   map[string][]string
	Embed embedPatterns
}

const pkgCacheVersion = "graph-cache-v2"

func openPkgCache(dir string, ws *workspace.Workspace, bctx *build.Context) *pkgCache {
	if dir == "" {
		return nil
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s/%s\x00%v\x00%s\x00%s\x00%s", pkgCacheVersion, ws.Root, bctx.GOOS, bctx.GOARCH,
		bctx.CgoEnabled, strings.Join(bctx.BuildTags, ","), strings.Join(bctx.ReleaseTags, ","), runtime.Version())
	for _, m := range ws.Modules {
		fmt.Fprintf(h, "\x00%s=%s", m.Dir, m.Path)
	}
	c := &pkgCache{path: filepath.Join(dir, hex.EncodeToString(h.Sum(nil))[:32]+".gob"), entries: map[string]cachedPackage{}}
	c.loaded = make(chan struct{})
	// The file is decoded in the background while the caller fingerprints
	// the directories; get waits for it.
	go func() {
		defer close(c.loaded)
		if data, err := os.ReadFile(c.path); err == nil {
			var entries map[string]cachedPackage
			if gob.NewDecoder(bytes.NewReader(data)).Decode(&entries) == nil {
				c.entries = entries
			}
		}
	}()
	return c
}

// stamp fingerprints the Go files of a directory; ok is false when one
// cannot be fingerprinted.
func stamp(ws *workspace.Workspace, dir string) (string, bool) {
	b := make([]byte, 0, 256)
	for _, e := range ws.Dirs[dir] {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return "", false
		}
		k, ok := filestat.Of(fi)
		if !ok {
			return "", false
		}
		b = append(b, name...)
		for _, v := range [...]int64{k.Size, k.Mtime, k.Ctime, int64(k.Ino), int64(k.Dev)} {
			b = append(b, ' ')
			b = strconv.AppendInt(b, v, 10)
		}
		b = append(b, '\n')
	}
	return string(b), true
}

// get returns a copy of the cached package for dir if its stamp matches.
func (c *pkgCache) get(dir, st string) (*Package, embedPatterns, bool) {
	<-c.loaded
	c.mu.Lock()
	e, ok := c.entries[dir]
	c.mu.Unlock()
	if !ok || e.Stamp != st {
		return nil, embedPatterns{}, false
	}
	p := e.Pkg
	p.ImportPos = e.Pos
	return &p, e.Embed, true
}

// put remembers a freshly parsed package, unless it cannot be reused.
// The files its //go:embed patterns match are not kept (they can change
// without the Go files changing): a hit matches the patterns again.
func (c *pkgCache) put(dir, st string, p *Package, pats embedPatterns) {
	<-c.loaded
	if p.Error != "" {
		c.mu.Lock()
		if _, had := c.entries[dir]; had {
			delete(c.entries, dir)
			c.dirty = true
		}
		c.mu.Unlock()
		return
	}
	e := cachedPackage{Stamp: st, Pkg: *p, Pos: p.ImportPos, Embed: pats}
	e.Pkg.ImportPos = nil
	e.Pkg.EmbedFiles, e.Pkg.TestEmbedFiles = nil, nil
	c.mu.Lock()
	c.entries[dir] = e
	c.dirty = true
	c.mu.Unlock()
}

// save writes the cache if it changed, dropping directories that are gone.
func (c *pkgCache) save(ws *workspace.Workspace) {
	<-c.loaded
	for dir := range c.entries {
		if _, ok := ws.Dirs[dir]; !ok {
			delete(c.entries, dir)
			c.dirty = true
		}
	}
	if !c.dirty {
		return
	}
	var buf bytes.Buffer
	if gob.NewEncoder(&buf).Encode(c.entries) != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(c.path), 0o777) != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".tmp-")
	if err != nil {
		return
	}
	_, err = tmp.Write(buf.Bytes())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil || os.Rename(tmp.Name(), c.path) != nil {
		os.Remove(tmp.Name())
	}
}
