# cloud-wal sidecar image: `cloud-wal serve` beside a PostgreSQL container that shares its volumes.
#
# Anywhere with a registry (compiles in the Swift image, runtime files from debian:bookworm-slim):
#   docker build -t cloud-wal .
# With a binary built on the host and a local base image (what scripts/image.sh does, offline):
#   podman build --format docker --build-arg BINARY_FROM=context --build-arg BINARY=cloud-wal \
#     --build-arg RUNTIME_BASE=localhost/cloud-wal-base:bookworm -t cloud-wal DIR
#
# The final image is FROM scratch: the stripped binary, the shared libraries it and the health
# check link (found with ldd, nothing else of Debian), CA certificates, a passwd entry for the uid
# and busybox for `wget` in the HEALTHCHECK. Tested by Tests/IntegrationTests/ContainerImageTests.swift.

ARG SWIFT_VERSION=6.3
ARG DEBIAN_RELEASE=bookworm
# Where the runtime files (libraries, certificates, busybox) are taken from. Any Debian-like
# image: missing packages are installed with apt-get in an intermediate stage only.
ARG RUNTIME_BASE=debian:${DEBIAN_RELEASE}-slim
ARG BUILDER_IMAGE=swift:${SWIFT_VERSION}-${DEBIAN_RELEASE}
# How the binary arrives: `source` compiles it in BUILDER_IMAGE; `context` copies the (stripped)
# binary at BINARY from the build context. BuildKit and buildah skip the stage not chosen, so
# `context` needs no Swift image.
ARG BINARY_FROM=source

# ---- source: the Swift toolchain plus the codecs' development headers ---------------------------
FROM ${BUILDER_IMAGE} AS source
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libzstd-dev liblz4-dev libsnappy-dev libbz2-dev liblzma-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Tests/ is copied because Package.swift declares the test targets; they are not built.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# The Swift runtime is linked in; the image then needs only Debian's C libraries.
RUN swift build -c release --static-swift-stdlib --product cloud-wal \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/cloud-wal" /out/cloud-wal \
 && strip /out/cloud-wal

# ---- context: a binary built elsewhere (scripts/image.sh strips the shipped build) -------------
FROM ${RUNTIME_BASE} AS context
ARG BINARY=.build/shipped/cloud-wal
COPY ${BINARY} /out/cloud-wal

FROM ${BINARY_FROM} AS binary

# ---- rootfs: collects exactly the files the final image holds -----------------------------------
FROM ${RUNTIME_BASE} AS rootfs
# The same uid/gid as the official postgres image (999): the sidecar reads pg_wal (mode 0700) and
# writes restored segments that PostgreSQL must read. Change both for other images (e.g. 70 for
# postgres:alpine), or run with the pod's runAsUser/runAsGroup.
ARG PG_UID=999
ARG PG_GID=999
COPY --from=binary /out/cloud-wal /rootfs/usr/local/bin/cloud-wal
SHELL ["/bin/sh", "-eu", "-c"]
# Install only when the base lacks something (a debootstrap base made by scripts/image.sh has it
# all, and has no network to reach); these packages never reach the final image, only the files
# picked below.
RUN if ldd /rootfs/usr/local/bin/cloud-wal | grep -q 'not found' \
      || ! [ -x /bin/busybox ] || ! [ -s /etc/ssl/certs/ca-certificates.crt ]; then \
      apt-get update; \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libzstd1 liblz4-1 libsnappy1v5 libbz2-1.0 liblzma5 zlib1g libstdc++6 ca-certificates busybox; \
    fi; \
    if ldd /rootfs/usr/local/bin/cloud-wal | grep 'not found'; then exit 1; fi
# Each library ldd names (and the loader), copied under the same path with symlinks resolved,
# with its Debian copyright file; busybox provides wget for the health check.
RUN cp -L --parents /bin/busybox /rootfs; \
    for file in /rootfs/usr/local/bin/cloud-wal /bin/busybox; do ldd "$file"; done \
      | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u > /tmp/libs; \
    while read -r lib; do \
      cp -L --parents "$lib" /rootfs; \
      package="$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -n 1 | cut -d: -f1)" || true; \
      if [ -n "$package" ] && [ -f "/usr/share/doc/$package/copyright" ]; then \
        cp --parents "/usr/share/doc/$package/copyright" /rootfs; \
      fi; \
    done < /tmp/libs; \
    cp --parents /usr/share/doc/busybox/copyright /rootfs 2>/dev/null || true; \
    cp -L --parents /etc/ssl/certs/ca-certificates.crt /rootfs; \
    for name in cloud-wal-archive cloud-wal-restore cloud-serve; do ln -s cloud-wal "/rootfs/usr/local/bin/$name"; done; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\npostgres:x:%s:%s:PostgreSQL:/var/lib/postgresql:/sbin/nologin\n' \
      "$PG_UID" "$PG_GID" > /rootfs/etc/passwd; \
    printf 'root:x:0:\npostgres:x:%s:\n' "$PG_GID" > /rootfs/etc/group; \
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' > /rootfs/etc/nsswitch.conf; \
    mkdir -m 1777 /rootfs/tmp; \
    mkdir -p /rootfs/var/lib/postgresql /rootfs/run; \
    chown "$PG_UID:$PG_GID" /rootfs/var/lib/postgresql; \
    mkdir -m 0700 /rootfs/run/cloud-wal; \
    chown "$PG_UID:$PG_GID" /rootfs/run/cloud-wal; \
    /rootfs/usr/local/bin/cloud-wal --help > /dev/null

# ---- runtime --------------------------------------------------------------------------------------
FROM scratch
ARG PG_UID=999
ARG PG_GID=999
COPY --from=rootfs /rootfs/ /
# Numeric, so Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER ${PG_UID}:${PG_GID}
# Without a token the sidecar serves only the 0600 socket (and /ping over TCP); set
# CLOUD_WAL_TOKEN_FILE to serve the WAL-E style URLs over TCP as well. /tmp holds the spool of
# /wal-fetch bodies (mount an emptyDir there with a read-only root file system).
ENV PGDATA=/var/lib/postgresql/data \
    WALE_LISTEN_PORT=8080 \
    CLOUD_WAL_LISTEN_SOCKET=/run/cloud-wal/sock
EXPOSE 8080
# /ping needs no token, so the check works whatever the configuration. busybox's sh expands the
# port (there is no /bin/sh in the image); --timeout bounds wget (its own -T crashes busybox 1.35,
# Debian 12's). Kept only by the docker image format (podman build --format docker); Kubernetes
# uses its own probes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/bin/busybox", "sh", "-c", "exec /bin/busybox wget -q -O /dev/null \"http://127.0.0.1:${WALE_LISTEN_PORT}/ping\""]
# SIGTERM: stop listening, answer requests in progress, finish uploads still running, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/cloud-wal", "serve"]
