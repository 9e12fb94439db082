# cloud-wal sidecar image: `cloud-wal serve` beside a PostgreSQL container that shares its volumes.
# Build: docker build -t cloud-wal .        Run: see deploy/compose.yaml and the README's "Sidecar".
# (Not built on the development machines: they run no Docker engine. The same topology is tested
# without containers by Tests/IntegrationTests/SidecarPostgresTests.swift.)

ARG SWIFT_VERSION=6.2
ARG DEBIAN_RELEASE=bookworm

# ---- build: the Swift toolchain plus the codecs' development headers -----------------------------
FROM swift:${SWIFT_VERSION}-${DEBIAN_RELEASE} AS build
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
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/cloud-wal" /out/usr/local/bin/cloud-wal \
 && strip /out/usr/local/bin/cloud-wal \
 && for name in cloud-wal-archive cloud-wal-restore cloud-serve; do ln -s cloud-wal /out/usr/local/bin/$name; done

# ---- runtime: Debian slim, the codecs' shared libraries, wget for the health check ---------------
FROM debian:${DEBIAN_RELEASE}-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libzstd1 liblz4-1 libsnappy1v5 libbz2-1.0 liblzma5 zlib1g libstdc++6 ca-certificates wget \
 && rm -rf /var/lib/apt/lists/*
# The same uid/gid as the official postgres image (999): the sidecar reads pg_wal (mode 0700) and
# writes restored segments that PostgreSQL must read. Change both for other images
# (e.g. 70 for postgres:alpine).
ARG PG_UID=999
ARG PG_GID=999
RUN groupadd --system --gid "${PG_GID}" postgres \
 && useradd --system --uid "${PG_UID}" --gid postgres --home-dir /var/lib/postgresql --no-create-home postgres
COPY --from=build /out/ /
# The UNIX socket's directory, private to PostgreSQL's uid (a volume mounted here starts as this).
RUN mkdir -p /run/cloud-wal && chown postgres:postgres /run/cloud-wal && chmod 0700 /run/cloud-wal
USER postgres
# Without a token the sidecar serves only this 0600 socket (and /ping over TCP); set
# CLOUD_WAL_TOKEN_FILE to serve the WAL-E style URLs over TCP as well.
ENV PGDATA=/var/lib/postgresql/data \
    WALE_LISTEN_PORT=8080 \
    CLOUD_WAL_LISTEN_SOCKET=/run/cloud-wal/sock
EXPOSE 8080
# /ping needs no token, so the check works whatever the configuration.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD wget -q -O /dev/null "http://127.0.0.1:${WALE_LISTEN_PORT}/ping" || exit 1
# SIGTERM: stop listening, finish uploads in progress, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/cloud-wal", "serve"]
