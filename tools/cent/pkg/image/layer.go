package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DefaultGzipLevel is the compression level of every layer unless
// Options.GzipLevel says otherwise. The level is pinned because a layer's
// digest depends on it (and on the compressor's version).
const DefaultGzipLevel = gzip.BestSpeed

// nonRootID is the uid and gid of the nonroot user.
const nonRootID = 65532

// entry is one file or directory of a layer.
type entry struct {
	// Name is slash-separated and relative ("etc/passwd"); directories have
	// no trailing slash.
	Name string
	// Mode holds the permission bits plus fs.ModeDir or fs.ModeSticky.
	Mode fs.FileMode
	// Owner is the uid and gid (0 or nonRootID).
	Owner int
	Data  []byte
}

// tarLayer writes entries as a reproducible tar: sorted by name (parents
// first), every header field set, modification time mtime.
func tarLayer(entries []entry, mtime time.Time) ([]byte, error) {
	sorted := append([]entry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i, e := range sorted {
		if e.Name == "" || path.IsAbs(e.Name) || path.Clean(e.Name) != e.Name || strings.HasPrefix(e.Name, "../") {
			return nil, fmt.Errorf("layer entry %q: want a clean relative path", e.Name)
		}
		if i > 0 && sorted[i-1].Name == e.Name {
			return nil, fmt.Errorf("layer entry %q: listed twice", e.Name)
		}
		h := &tar.Header{
			Name:     e.Name,
			Mode:     int64(e.Mode.Perm()),
			Uid:      e.Owner,
			Gid:      e.Owner,
			Uname:    userName(e.Owner),
			Gname:    userName(e.Owner),
			ModTime:  mtime,
			Typeflag: tar.TypeReg,
			Size:     int64(len(e.Data)),
			Format:   tar.FormatPAX,
		}
		if e.Mode&fs.ModeSticky != 0 {
			h.Mode |= 0o1000
		}
		if e.Mode.IsDir() {
			h.Name += "/"
			h.Typeflag = tar.TypeDir
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer entry %q: %w", e.Name, err)
		}
		if !e.Mode.IsDir() {
			if _, err := tw.Write(e.Data); err != nil {
				return nil, fmt.Errorf("layer entry %q: %w", e.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func userName(id int) string {
	if id == nonRootID {
		return "nonroot"
	}
	return "root"
}

// newLayer wraps an uncompressed tar as a gzip layer of media type mt,
// compressing once at gzipLevel.
func newLayer(tarData []byte, mt types.MediaType, gzipLevel int) (v1.Layer, error) {
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarData)), nil
	}, tarball.WithCompressionLevel(gzipLevel), tarball.WithMediaType(mt), tarball.WithCompressedCaching)
	if err != nil {
		return nil, err
	}
	return plainLayer{l}, nil
}

// plainLayer hides the tarball layer's Descriptor method, whose empty
// annotation map would make the in-memory manifest differ from its JSON
// form (where the empty map is omitted).
type plainLayer struct{ v1.Layer }
