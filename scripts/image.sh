#!/usr/bin/env bash
# Builds the cloud-wal sidecar image with podman from nothing but Debian's packages: a minbase
# root file system made by debootstrap from the mirror this machine's apt sources name (imported
# once as the base image, then reused), and a cloud-wal binary built on the host (stripped here).
# No registry is needed. Prints the image's name on its last line (everything else goes to stderr).
#
#   scripts/image.sh [--binary PATH] [--tag NAME] [--rebuild-base]
#
# Environment: CLOUD_WAL_BIN (the binary; default .build/shipped/cloud-wal, as scripts/test.sh
# builds it), CLOUD_WAL_IMAGE (default localhost/cloud-wal:latest), CLOUD_WAL_BASE_IMAGE (default
# localhost/cloud-wal-base:bookworm), DEBIAN_RELEASE (bookworm), DEBIAN_MIRROR (default: from
# /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list), PG_UID/PG_GID (999).
# CONTAINERS_CONF: when unset, a file is written that makes podman work on machines like the
# development ones (runc, since crun fails there; cgroupfs without systemd; no default ulimits,
# which the sandbox refuses to raise). Needs root (debootstrap, rootful podman).
# Elsewhere, with a registry: `docker build -t cloud-wal .` (see the Dockerfile).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${CLOUD_WAL_BIN:-$repo/.build/shipped/cloud-wal}"
image="${CLOUD_WAL_IMAGE:-localhost/cloud-wal:latest}"
base="${CLOUD_WAL_BASE_IMAGE:-localhost/cloud-wal-base:bookworm}"
release="${DEBIAN_RELEASE:-bookworm}"
rebuild_base=false

log() { printf 'image: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

while (($#)); do
  case "$1" in
    --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
    --tag) image="${2:?--tag needs a name}"; shift 2 ;;
    --rebuild-base) rebuild_base=true; shift ;;
    *) die "unknown argument $1 (usage: scripts/image.sh [--binary PATH] [--tag NAME] [--rebuild-base])" ;;
  esac
done

[[ $(id -u) -eq 0 ]] || die "run as root: debootstrap and rootful podman need it"
for tool in podman debootstrap strip; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh installs it)"
done
[[ -x $binary ]] || die "no binary at $binary: build it (scripts/test.sh does) or pass --binary"

work="$(mktemp -d /var/tmp/cloud-wal-image.XXXXXX)"
trap 'rm -rf "$work"' EXIT

if [[ -z ${CONTAINERS_CONF:-} ]]; then
  runtime=""
  command -v runc >/dev/null && runtime='runtime = "runc"'
  cgroups=""
  [[ -d /run/systemd/system ]] || cgroups='cgroup_manager = "cgroupfs"'
  printf '[containers]\ndefault_ulimits = []\n[engine]\n%s\n%s\n' "$runtime" "$cgroups" > "$work/containers.conf"
  export CONTAINERS_CONF="$work/containers.conf"
fi

# The first deb URI of the main archive (not -security) in the apt sources.
mirror() {
  if [[ -n ${DEBIAN_MIRROR:-} ]]; then echo "$DEBIAN_MIRROR"; return; fi
  local found=""
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    found="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)"
  fi
  if [[ -z $found && -f /etc/apt/sources.list ]]; then
    found="$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
      /etc/apt/sources.list)"
  fi
  echo "${found:-http://deb.debian.org/debian}"
}

# ---- base: debootstrap minbase with the runtime's packages, imported once --------------------
if $rebuild_base || ! podman image exists "$base"; then
  url="$(mirror)"
  log "debootstrap --variant=minbase $release from $url (once; --rebuild-base to redo)"
  started=$SECONDS
  # libsnappy1v5, ca-certificates and busybox are what minbase lacks; its own libc, libstdc++,
  # zlib, xz, zstd, lz4 and bzip2 libraries are the rest of what the binary links.
  if ! debootstrap --variant=minbase --include=libsnappy1v5,ca-certificates,busybox \
      "$release" "$work/rootfs" "$url" > "$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  tar -C "$work/rootfs" -c . | podman import --quiet - "$base" > /dev/null
  rm -rf "$work/rootfs"
  log "base $base imported in $((SECONDS - started)) s"
else
  log "reusing base $base"
fi

# ---- image: only the Dockerfile and the stripped binary in the build context ------------------
mkdir "$work/context"
cp "$repo/Dockerfile" "$work/context/Dockerfile"
strip -o "$work/context/cloud-wal" "$binary"
previous="$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
dangling_before="$(podman images --quiet --no-trunc --filter dangling=true | sort -u)"
log "podman build $image from $binary (stripped: $(du -m "$work/context/cloud-wal" | cut -f1) MB)"
# docker format: OCI images drop HEALTHCHECK. (--layers=false would leave no intermediate images,
# but buildah then cannot use a stage as the base of another: `FROM ${BINARY_FROM}`.)
if ! podman build --quiet --format docker --network=host --isolation=chroot \
    --build-arg BINARY_FROM=context --build-arg BINARY=cloud-wal --build-arg RUNTIME_BASE="$base" \
    --build-arg PG_UID="${PG_UID:-999}" --build-arg PG_GID="${PG_GID:-999}" \
    -t "$image" "$work/context" > "$work/build.log" 2>&1; then
  tail -n 30 "$work/build.log" >&2
  die "podman build failed"
fi
current="$(podman image inspect --format '{{.Id}}' "$image")"
# The image this tag named before is now untagged: drop it unless a container still uses it; and
# the stages' intermediate images this build left (a new binary never hits their cache anyway).
if [[ -n $previous && $previous != "$current" ]]; then podman rmi "$previous" > /dev/null 2>&1 || true; fi
comm -13 <(echo "$dangling_before") <(podman images --quiet --no-trunc --filter dangling=true | sort -u) \
  | while read -r id; do [[ -n $id ]] && podman rmi "$id" > /dev/null 2>&1 || true; done
log "built $image ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
echo "$image"
