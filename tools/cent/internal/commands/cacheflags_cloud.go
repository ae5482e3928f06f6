//go:build !cent_nocloud

package commands

// The cloud object stores (s3, gs, azblob) as remote caches. Building with
// -tags cent_nocloud leaves them out, which makes the binary several times
// smaller and starts it a few milliseconds faster; http(s) and file
// remotes remain.
import _ "github.com/centuria/centuria/tools/cent/pkg/cache/blobstore/cloud"
