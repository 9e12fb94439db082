#!/bin/bash
# SEGS=DIR bench/encryption-percall.sh: per-call archive and restore of real 16 MiB segments on file://,
# with and without --encryption-keyring, plain and --zstd; 10 segments each; prints mean seconds.
# Drop the page cache first (sync; echo 3 > /proc/sys/vm/drop_caches): a full cache makes fsyncs and
# large writes vary by several times, whatever the tool.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B=${CLOUD_WAL_BIN:-$repo/.build-shipped/release/cloud-wal}
w=$(mktemp -d /tmp/encpc-XXXX); trap 'rm -rf $w' EXIT
segdir=${SEGS:?dir of real WAL segments}
"$B" keyring add "$w/ring" --name k1 >/dev/null
mean() { awk '{s+=$1} END {printf "%.4f", s/NR}' "$1"; }
for mode in plain enc plain-zstd enc-zstd; do
  opts=(); [[ $mode == enc* ]] && opts+=(--encryption-keyring "$w/ring")
  copts=(); [[ $mode == *zstd ]] && copts+=(--zstd)
  mkdir -p "$w/$mode/store" "$w/$mode/out"
  : > "$w/$mode/a.txt"; : > "$w/$mode/r.txt"
  for f in $(ls "$segdir" | grep -E '^[0-9A-F]{24}$' | head -10); do
    sync; t0=$(date +%s%N); "$B" wal-archive "${copts[@]}" "${opts[@]}" "file://$w/$mode/store" srv "$segdir/$f" >/dev/null; echo "$(( $(date +%s%N) - t0 ))" | awk '{print $1/1e9}' >> "$w/$mode/a.txt"
  done
  for f in $(ls "$segdir" | grep -E '^[0-9A-F]{24}$' | head -10); do
    sync; t0=$(date +%s%N); "$B" wal-restore "${opts[@]}" "file://$w/$mode/store" srv "$f" "$w/$mode/out/$f" >/dev/null; echo "$(( $(date +%s%N) - t0 ))" | awk '{print $1/1e9}' >> "$w/$mode/r.txt"
  done
  echo "$mode archive $(mean $w/$mode/a.txt) restore $(mean $w/$mode/r.txt)"; echo "  a: $(tr "\n" " " < $w/$mode/a.txt)"; echo "  r: $(tr "\n" " " < $w/$mode/r.txt)"
done
