// Package cloud registers the cloud object stores as cent cache backends:
// s3:// (AWS S3 and S3-compatible stores such as MinIO, via the endpoint
// and use_path_style query parameters), gs:// (Google Cloud Storage) and
// azblob:// (Azure Blob Storage). See package blobstore for URL examples.
package cloud

import (
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/s3blob"    // s3://

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/blobstore"
)

// Schemes are the URL schemes this package registers.
var Schemes = []string{"s3", "gs", "azblob"}

func init() {
	for _, s := range Schemes {
		cache.Register(s, blobstore.Opener)
	}
}
