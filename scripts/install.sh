#!/usr/bin/env bash
# Builds cloud-wal (release, static Swift stdlib) and installs it with its subcommand links.
#   scripts/install.sh [--prefix DIR] [--barman-links] [--no-build]
# The links select the subcommand by name: cloud-<command> for every command (cloud-wal-archive,
# cloud-wal-restore, cloud-backup, ...), and with --barman-links barman-cloud's own name for every
# command it has (barman-cloud-wal-archive, barman-cloud-backup, ..., barman-cloud-check-wal-archive).
# The installed binary is stripped of its debug information (about half its size).
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
# Stripped into a new file beside the target and renamed over it, so a running archive_command
# never sees a half-written binary. Debug information is for development builds; the symbol table
# stays, so a crash report still names functions.
tmp="$(mktemp "$prefix/.cloud-wal.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
if command -v strip >/dev/null; then
  strip --strip-debug -o "$tmp" "$bin"
else
  echo "install: strip not found (binutils); installing with debug information" >&2
  cp "$bin" "$tmp"
fi
chmod 0755 "$tmp"
mv -f "$tmp" "$prefix/cloud-wal"
trap - EXIT

# Every command we implement under barman-cloud's name, and the same names with cloud- instead.
barman_commands=(wal-archive wal-restore backup restore backup-list backup-show backup-keep backup-delete check-wal-archive)
links=()
for command in "${barman_commands[@]}" serve verify; do links+=("cloud-$command"); done
if ((barman_links)); then
  for command in "${barman_commands[@]}"; do links+=("barman-cloud-$command"); done
fi
for name in "${links[@]}"; do
  # Relative target: the install directory can be moved or mounted elsewhere.
  ln -sfn cloud-wal "$prefix/$name"
done
echo "install: installed $prefix/cloud-wal ($(du -h "$prefix/cloud-wal" | cut -f1)) and ${links[*]}"
