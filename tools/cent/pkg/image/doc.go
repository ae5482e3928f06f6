// Package image builds OCI images of the workspace's Go apps without a
// container daemon, in the manner of ko but fully offline.
//
// Build cross-compiles an app once per platform (CGO_ENABLED=0, -trimpath,
// an empty build ID, no VCS stamping) and puts the static binary in a single
// layer on top of a base image. The default base is built from scratch in
// process: a CA certificate bundle, /etc/passwd and /etc/group with the
// nonroot user 65532, a home directory and a world-writable /tmp. A base
// image can instead come from a registry or an OCI layout (see ParseBase).
//
// Images are reproducible: every tar header field is fixed (owner 0 or
// 65532, modification time SourceDateEpoch), entries are sorted, the gzip
// level is pinned (Options.GzipLevel) and every timestamp in the config is
// SourceDateEpoch, so the same sources, toolchain and options give the same
// digest on any machine. The result is an OCI image index with one manifest per platform
// and, when Options.SBOM is set, one SPDX 2.3 SBOM manifest per platform
// image, attached the way BuildKit attaches attestations (platform
// unknown/unknown, annotations naming the image digest) and with the image
// as its OCI subject.
//
// WriteLayout, WriteTarball and Push deliver the result to an OCI layout
// directory, a docker-loadable tarball (one platform) or a registry.
package image
