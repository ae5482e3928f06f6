// Package cache is cent's content-addressed cache of task results.
//
// A task's cache key (a Digest of every input) names an Entry in the AC
// ("action cache") namespace; the entry records the exit code, duration,
// key manifest, and the digests of the task's stdout, stderr and output
// files, which live in the CAS ("content-addressed storage") namespace,
// deduplicated across tasks. This is the layout of the Bazel HTTP cache
// protocol, so any Bazel cache server, nginx with WebDAV, or an object
// store can hold a shared remote cache.
//
// The local cache is a directory (by default <user cache dir>/centuria):
//
//	ac/<2 hex>/<key>      encoded entries (see EncodeEntry)
//	cas/<2 hex>/<digest>  blobs
//	runs/<sha256(task)>   the key of each task's last run
//
// Every object is written to a temporary file in the same directory and
// renamed into place, so several cent processes can share one directory:
// readers see whole objects or none, and concurrent writers of one object
// both succeed. Object modification times record the last use (refreshed
// at most hourly) and drive eviction by Prune.
//
// Nothing read from a store is trusted: every blob is hashed and compared
// with its digest, every entry's body with the digest in its header, and,
// when a signing key is configured, the entry's HMAC-SHA256 is checked. A
// corrupt, truncated or unverifiable object is a miss with a warning,
// never a failure and never a wrong restore.
//
// Remote backends register a URL scheme with Register; import
// cache/httpstore for http and https (Bazel HTTP cache) and cache/blobstore
// for s3, gs, azblob, file and mem (gocloud.dev/blob).
package cache
