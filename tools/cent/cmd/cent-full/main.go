// Command cent-full is cent with the parts that link heavy libraries: the
// deploy verb (Helm and the Kubernetes API types) and the s3://, gs:// and
// azblob:// remote caches (the AWS, Google Cloud and Azure SDKs). cent
// leaves them out so that its own start stays fast, and runs cent-full with
// its command line when one is needed. cent-full also runs every other verb.
//
// Install it next to cent:
//
//	go install github.com/centuria/centuria/tools/cent/...@latest
package main

import (
	"github.com/centuria/centuria/tools/cent/internal/commands"
	_ "github.com/centuria/centuria/tools/cent/internal/deploycmd"        // the deploy verb
	_ "github.com/centuria/centuria/tools/cent/pkg/cache/blobstore/cloud" // s3, gs, azblob
)

func main() { commands.Main() }
