#!/usr/bin/env bash
# Builds cloud-wal (release, static Swift stdlib) and installs it with its subcommand links.
#   scripts/install.sh [--prefix DIR] [--barman-links] [--no-build]
# The links select the subcommand by name: cloud-wal-archive / cloud-wal-restore, and with
# --barman-links the drop-in names barman-cloud-wal-archive / barman-cloud-wal-restore.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix=/usr/local/bin
barman_links=0
build=1

usage() { echo "usage: $0 [--prefix DIR] [--barman-links] [--no-build]"; }
while (($#)); do
  case "$1" in
    --prefix) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --barman-links) barman_links=1; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

if ((build)); then
  echo "install: building release in $repo"
  # The same scratch path as scripts/test.sh's shipped build, so one build serves both.
  (cd "$repo" && swift build -c release --static-swift-stdlib --scratch-path .build-shipped)
fi
bin="$repo/.build-shipped/release/cloud-wal"
[[ -x "$bin" ]] || { echo "install: $bin not found; build first or drop --no-build" >&2; exit 1; }

mkdir -p "$prefix"
# install(1) writes a new file and renames it, so a running archive_command never sees a half-copied binary.
install -m 0755 "$bin" "$prefix/cloud-wal"
links=(cloud-wal-archive cloud-wal-restore)
if ((barman_links)); then links+=(barman-cloud-wal-archive barman-cloud-wal-restore); fi
for name in "${links[@]}"; do
  # Relative target: the install directory can be moved or mounted elsewhere.
  ln -sfn cloud-wal "$prefix/$name"
done
echo "install: installed $prefix/cloud-wal and ${links[*]}"
