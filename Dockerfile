# syntax=docker/dockerfile:1

# One Dockerfile builds every app of the monorepo:
#
#   docker buildx build --build-arg APP=gateway --platform linux/amd64,linux/arm64 .
#
# APP names the app; APP_DIR is its directory (apps/APP unless given). The
# build stage runs on the builder's own platform and cross-compiles for
# each target platform, so multi-arch builds need no emulation. The result
# matches `cent image`: a static binary at /app/service on a minimal base
# (CA certificates, nonroot user 65532, /tmp), run as 65532:65532.
# A pruned context (`cent prune APP --out DIR`) builds with the same file.

# The Go image is written out in each stage (no ARG in FROM) so that
# dependency update bots can read and bump it; a test keeps it on go.mod's
# go version.

FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build
WORKDIR /src
# Modules first: this layer stays cached until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod,id=gomodcache \
    go mod download -x
COPY . .
ARG APP
ARG APP_DIR=apps/${APP}
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod,id=gomodcache \
    --mount=type=cache,target=/root/.cache/go-build,id=gocache \
    test -n "${APP}" || { echo "missing --build-arg APP=<app>" >&2; exit 1; } && \
    CGO_ENABLED=0 GOOS="${TARGETOS}" GOARCH="${TARGETARCH}" \
    go build -trimpath -buildvcs=false -ldflags=-buildid= -o /out/service "./${APP_DIR}"

# The runtime filesystem: CA certificates (from the Go image, which ships
# them), the nonroot user and /tmp.
FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS rootfs
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/home/nonroot /rootfs/app && \
    cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt && \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /rootfs/etc/passwd && \
    printf 'root:x:0:\nnonroot:x:65532:\n' > /rootfs/etc/group && \
    printf 'hosts: files dns\n' > /rootfs/etc/nsswitch.conf && \
    chmod 1777 /rootfs/tmp && chmod 700 /rootfs/home/nonroot && chown 65532:65532 /rootfs/home/nonroot

FROM scratch AS runtime
ARG APP
COPY --from=rootfs /rootfs/ /
COPY --from=build /out/service /app/service
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
LABEL org.opencontainers.image.title="${APP}"
USER 65532:65532
WORKDIR /app
ENTRYPOINT ["/app/service"]
