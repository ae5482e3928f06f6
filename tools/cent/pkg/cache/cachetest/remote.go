package cachetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
)

// Remote describes a backend for RunRemote.
type Remote struct {
	// Store is the backend under test.
	Store cache.Store
	// Overwrite replaces the stored bytes of ns/d behind the cache's back,
	// as an attacker or a failing disk would, bypassing any verification
	// the store does on Put.
	Overwrite func(t testing.TB, ns cache.Namespace, d cache.Digest, data []byte)
}

// Warnings records a Cache's warnings.
type Warnings struct {
	mu    sync.Mutex
	lines []string
}

// Warn is a cache.Options.Warn function.
func (w *Warnings) Warn(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, fmt.Sprintf(format, args...))
}

// String returns the warnings, one a line.
func (w *Warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

// Len returns the number of warnings.
func (w *Warnings) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.lines)
}

// NewCache opens a cache in a fresh local directory over remote (which may
// be nil), with its warnings recorded.
func NewCache(t testing.TB, remote cache.Store, mod func(*cache.Options)) (*cache.Cache, *Warnings) {
	t.Helper()
	w := &Warnings{}
	o := cache.Options{Dir: t.TempDir(), Remote: remote, Warn: w.Warn}
	if mod != nil {
		mod(&o)
	}
	c, err := cache.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

// File is an output file of a sample task.
type File struct {
	Path string
	Mode fs.FileMode
	Data []byte
}

// SampleFiles returns a set of outputs with nested directories, an
// executable, an empty file and random content unique to this call.
func SampleFiles(t testing.TB) []File {
	return []File{
		{Path: "bin/tool", Mode: 0o755, Data: RandomBytes(t, 70<<10)},
		{Path: "dist/a/b/report.txt", Mode: 0o644, Data: append([]byte("report\n"), RandomBytes(t, 32)...)},
		{Path: "dist/empty", Mode: 0o600, Data: nil},
		{Path: "dist/same.txt", Mode: 0o644, Data: []byte("identical content\n")},
		{Path: "dist/copy.txt", Mode: 0o640, Data: []byte("identical content\n")},
	}
}

// WriteFiles writes files under root.
func WriteFiles(t testing.TB, root string, files []File) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
}

// CheckFiles fails the test unless every file exists under root with its
// bytes and mode.
func CheckFiles(t testing.TB, root string, files []File) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.Path))
		got, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("restored %s: %v", f.Path, err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("restored %s: %d bytes differ from the %d saved", f.Path, len(got), len(f.Data))
		}
		fi, err := os.Stat(p)
		if err == nil && fi.Mode().Perm() != f.Mode {
			t.Errorf("restored %s: mode %v, want %v", f.Path, fi.Mode().Perm(), f.Mode)
		}
	}
}

// SaveSample saves a sample task result under a fresh key through c and
// returns the key, the files and the result.
func SaveSample(t testing.TB, c *cache.Cache) (cache.Digest, []File, cache.Result) {
	t.Helper()
	root := t.TempDir()
	files := SampleFiles(t)
	WriteFiles(t, root, files)
	key := RandomDigest(t)
	r := cache.Result{
		ExitCode: 0,
		Duration: 1500 * time.Millisecond,
		Stdout:   append([]byte("ok\n"), RandomBytes(t, 16)...),
		Stderr:   []byte("warning: something\n"),
		Root:     root,
		Outputs:  []string{"bin/tool", "dist"},
		Inputs:   map[string]string{"file:main.go": "abc", "env:GOOS": "linux"},
	}
	e, err := c.Save(context.Background(), key, r)
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	if len(e.Outputs) != len(files) {
		t.Fatalf("Save recorded %d outputs, want %d: %+v", len(e.Outputs), len(files), e.Outputs)
	}
	return key, files, r
}

// RunRemote checks a Cache over r.Store as its remote: results saved on
// one machine restore byte-identical on another, tampered blobs and
// entries are misses with a warning, signatures are enforced when a key is
// set, and a read-only remote receives nothing.
func RunRemote(t *testing.T, r Remote) {
	ctx := context.Background()
	t.Run("SharedBetweenMachines", func(t *testing.T) {
		t.Parallel()
		a, wa := NewCache(t, r.Store, nil)
		key, files, res := SaveSample(t, a)
		b, wb := NewCache(t, r.Store, nil)
		e, err := b.Lookup(ctx, key)
		if err != nil {
			t.Fatalf("Lookup on a second machine: %v (warnings: %s)", err, wb)
		}
		if e.ExitCode != res.ExitCode || e.Duration != res.Duration || e.Inputs["env:GOOS"] != "linux" {
			t.Fatalf("entry = %+v", e)
		}
		root := t.TempDir()
		var stdout, stderr bytes.Buffer
		if err := b.Restore(ctx, e, root, &stdout, &stderr); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		CheckFiles(t, root, files)
		if !bytes.Equal(stdout.Bytes(), res.Stdout) || !bytes.Equal(stderr.Bytes(), res.Stderr) {
			t.Fatalf("logs replayed as %q / %q", stdout.Bytes(), stderr.Bytes())
		}
		// The second machine now has the entry locally.
		local, err := cache.Open(ctx, cache.Options{Dir: b.Dir()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := local.Lookup(ctx, key); err != nil {
			t.Fatalf("entry was not copied into the local cache: %v", err)
		}
		if wa.Len()+wb.Len() != 0 {
			t.Fatalf("unexpected warnings: %s\n%s", wa, wb)
		}
	})
	t.Run("TamperedBlobIsAMiss", func(t *testing.T) {
		t.Parallel()
		a, _ := NewCache(t, r.Store, nil)
		key, _, _ := SaveSample(t, a)
		e, err := a.Lookup(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		var tool cache.Output
		for _, o := range e.Outputs {
			if o.Path == "bin/tool" {
				tool = o
			}
		}
		evil := RandomBytes(t, int(tool.Size))
		r.Overwrite(t, cache.CAS, tool.Digest, evil)
		b, wb := NewCache(t, r.Store, nil)
		if _, err := b.Lookup(ctx, key); !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("Lookup with a tampered blob: error = %v, want ErrNotFound", err)
		}
		if !strings.Contains(wb.String(), tool.Digest.String()) {
			t.Fatalf("no warning names the tampered blob; warnings: %q", wb)
		}
	})
	t.Run("TamperedEntryIsAMiss", func(t *testing.T) {
		t.Parallel()
		a, _ := NewCache(t, r.Store, nil)
		key, _, _ := SaveSample(t, a)
		raw := getRaw(t, r.Store, cache.AC, key)
		for name, bad := range map[string][]byte{
			"flipped":   flip(raw, len(raw)-20),
			"truncated": raw[:len(raw)/2],
			"empty":     {},
			"garbage":   RandomBytes(t, 300),
		} {
			r.Overwrite(t, cache.AC, key, bad)
			b, wb := NewCache(t, r.Store, nil)
			if _, err := b.Lookup(ctx, key); !errors.Is(err, cache.ErrNotFound) {
				t.Fatalf("%s entry: Lookup error = %v, want ErrNotFound", name, err)
			}
			if !strings.Contains(wb.String(), key.String()) {
				t.Fatalf("%s entry: no warning names it; warnings: %q", name, wb)
			}
		}
	})
	t.Run("Signatures", func(t *testing.T) {
		t.Parallel()
		k1 := []byte("signing key one")
		withKey := func(k []byte) func(*cache.Options) { return func(o *cache.Options) { o.SigningKey = k } }
		a, _ := NewCache(t, r.Store, withKey(k1))
		key, _, _ := SaveSample(t, a)
		if b, w := NewCache(t, r.Store, withKey(k1)); !hit(b, key) {
			t.Fatalf("entry signed with the configured key missed; warnings: %s", w)
		}
		b, w := NewCache(t, r.Store, withKey([]byte("another key")))
		if hit(b, key) || !strings.Contains(w.String(), "signature") {
			t.Fatalf("entry signed with another key was used or not reported; warnings: %q", w)
		}
		// Rewriting the body and its digest cannot forge the signature.
		raw := getRaw(t, r.Store, cache.AC, key)
		forged := forge(t, raw, `"exit_code":0`, `"exit_code":3`)
		r.Overwrite(t, cache.AC, key, forged)
		b, w = NewCache(t, r.Store, withKey(k1))
		if hit(b, key) || !strings.Contains(w.String(), "signature") {
			t.Fatalf("forged entry was used or not reported; warnings: %q", w)
		}
		// Unsigned entries are refused when a key is configured.
		u, _ := NewCache(t, r.Store, nil)
		ukey, _, _ := SaveSample(t, u)
		b, w = NewCache(t, r.Store, withKey(k1))
		if hit(b, ukey) || !strings.Contains(w.String(), "unsigned") {
			t.Fatalf("unsigned entry was used or not reported; warnings: %q", w)
		}
	})
	t.Run("ReadOnly", func(t *testing.T) {
		t.Parallel()
		a, _ := NewCache(t, r.Store, func(o *cache.Options) { o.RemoteReadOnly = true })
		key, _, _ := SaveSample(t, a)
		if ok, err := r.Store.Contains(ctx, cache.AC, key); ok || err != nil {
			t.Fatalf("read-only cache uploaded its entry (Contains = %v, %v)", ok, err)
		}
		if !hit(a, key) {
			t.Fatal("read-only cache lost its local entry")
		}
	})
}

func hit(c *cache.Cache, key cache.Digest) bool {
	_, err := c.Lookup(context.Background(), key)
	return err == nil
}

func getRaw(t testing.TB, s cache.Store, ns cache.Namespace, d cache.Digest) []byte {
	t.Helper()
	return mustGet(t, s, ns, d)
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x20
	return c
}

// forge rewrites an encoded entry's body and recomputes its digest while
// keeping the old signature, as an attacker without the key would.
func forge(t testing.TB, raw []byte, old, new string) []byte {
	t.Helper()
	header, body, ok := bytes.Cut(raw, []byte("\n"))
	if !ok || !bytes.Contains(body, []byte(old)) {
		t.Fatalf("cannot forge entry %q", raw)
	}
	body = bytes.Replace(body, []byte(old), []byte(new), 1)
	f := strings.Fields(string(header))
	return fmt.Appendf(nil, "%s %s %s\n%s", f[0], cache.Sum(body), f[2], body)
}
