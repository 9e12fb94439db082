#!/usr/bin/env bash
# bench/verify.sh — `cloud-wal verify` against `cloud-wal restore` of the same base backup.
#
#   bench/verify.sh              # pgbench scale 20 (~300 MiB PGDATA); SCALE=70 for the 1 GiB goal
#
# Issue 14's goal: verify of a full backup reads at >= 0.8 x the throughput of restoring it. For
# each target (VERIFY_TARGETS, default "file s3": file:// and S3 on moto) and compression
# (VERIFY_COMPRESSIONS, default "none lz4"), one backup is taken while PostgreSQL archives its WAL
# through cloud-wal-archive into the same place, then restored and verified, each timed with
# /usr/bin/time. Both read the same stored bytes, so the ratio is restore seconds / verify seconds.
# verify must exit 0 (the WAL after the backup is archived and checked too).
# Only a release build gives real figures (CLOUD_WAL_BIN or .build/release/cloud-wal); a debug
# build runs, but its codecs and hashing are several times slower. Must run as root.
# Output: Markdown table on stdout and in bench/results/verify.md.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCALE="${SCALE:-20}"
TARGETS=(${VERIFY_TARGETS:-file s3})
COMPRESSIONS=(${VERIFY_COMPRESSIONS:-none lz4})
venv="${CLOUD_WAL_TEST_VENV:-$repo/.venv-test}"
PGBIN=/usr/lib/postgresql/15/bin
results="$repo/bench/results"
log() { printf 'bench: %s\n' "$*" >&2; }

[[ $(id -u) -eq 0 ]] || { log "run as root (PostgreSQL runs as the postgres user)"; exit 1; }
built="${CLOUD_WAL_BIN:-}"
[[ -n $built ]] || { [[ -x $repo/.build/release/cloud-wal ]] && built="$repo/.build/release/cloud-wal"; } || true
[[ -n $built && -x $built ]] || { log "set CLOUD_WAL_BIN or build .build/release/cloud-wal"; exit 1; }
[[ " ${TARGETS[*]} " != *" s3 "* || -x $venv/bin/moto_server ]] || bash "$repo/scripts/install-deps.sh" >&2

work="$(mktemp -d /tmp/cloudwal-vbench-XXXXXX)"
chmod 755 "$work"
source "$repo/bench/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# archive_command runs as postgres: a copy it can execute, with the link that selects wal-archive.
ours="$work/bin/cloud-wal"
mkdir -p "$work/bin" && cp "$built" "$ours" && chmod 755 "$work/bin" "$ours"
ln -s cloud-wal "$work/bin/cloud-wal-archive"
mkdir -p "$work/fsrepo" && chown postgres: "$work/fsrepo"

[[ " ${TARGETS[*]} " == *" s3 "* ]] && start_moto
# One archive_command for every target: a small dispatcher picks the URL of the current run.
cat >"$work/archive.sh" <<'SH'
#!/bin/sh
exec "$(dirname "$0")/bin/cloud-wal-archive" $(cat "$(dirname "$0")/archive.target") "$1"
SH
chmod 755 "$work/archive.sh"
echo "file://$work/fsrepo none" >"$work/archive.target"
start_postgres "archive_mode = on" "archive_command = '$work/archive.sh %p'" "max_wal_size = '4GB'"
PSQL=(psql -X -q -At -h 127.0.0.1 -p "$pg_port" -U postgres)
pgbench -h 127.0.0.1 -p "$pg_port" -U postgres -i -q -s "$SCALE" postgres >/dev/null 2>&1
"${PSQL[@]}" -c checkpoint postgres
pgdata_kib=$(du -sk --exclude=pg_wal "$work/pg/data" | cut -f1)
log "PGDATA $((pgdata_kib / 1024)) MiB without pg_wal (pgbench scale $SCALE)"

samples="$work/samples.tsv"   # tool compression op seconds rss_kib status
: >"$samples"
errors="$work/errors.txt"
: >"$errors"

switch_and_wait() {  # closes the current segment and waits until it is archived
  local wal last
  wal="$("${PSQL[@]}" -c 'select pg_walfile_name(pg_switch_wal())' postgres)"
  for _ in $(seq 1 300); do
    last="$("${PSQL[@]}" -c "select coalesce(last_archived_wal, '') from pg_stat_archiver" postgres)"
    [[ $last > $wal || $last == "$wal" ]] && return 0
    sleep 0.2
  done
  log "segment $wal was not archived in 60 s"
  return 1
}

for target in "${TARGETS[@]}"; do
  for comp in "${COMPRESSIONS[@]}"; do
    server="srv-$comp"
    if [[ $target == s3 ]]; then url="s3://bench/verify"; opts=(--endpoint-url "$EP"); name=cloud-wal-s3
    else url="file://$work/fsrepo"; opts=(); name=cloud-wal-file; fi
    # The server's folder belongs to postgres, so its archive_command can add wals/ beside the
    # base/ that backup (run as root) creates.
    [[ $target == file ]] && install -d -o postgres -g postgres "$work/fsrepo/$server"
    # Every segment from here on goes to this run's place, with its compression.
    echo "${opts[*]} $(flag_for "$comp") $url $server" >"$work/archive.target"
    switch_and_wait
    log "$name $comp: backup"
    run_timed "$name" "$comp" backup "$ours" backup --immediate-checkpoint "${opts[@]}" $(flag_for "$comp") \
      -h 127.0.0.1 -p "$pg_port" -U postgres "$url" "$server" || continue
    id="$(tail -n 1 "$work/stdout.out")"
    switch_and_wait
    log "$name $comp: restore $id"
    run_timed "$name" "$comp" restore "$ours" restore "${opts[@]}" "$url" "$server" "$id" "$work/restore" || continue
    rm -rf "$work/restore"
    log "$name $comp: verify $id"
    run_timed "$name" "$comp" verify "$ours" verify "${opts[@]}" "$url" "$server" "$id" || continue
    grep -h '^OK\|^PROBLEMS' "$work/stdout.out" | tail -n 1 | sed "s/^/bench: $name $comp: /" >&2
  done
done

mkdir -p "$results"
{
  printf '# verify against restore of the same backup (%s)\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'PGDATA %s MiB without pg_wal (pgbench scale %s), PostgreSQL 15, %s cores, %s; binary %s.\n\n' \
    "$((pgdata_kib / 1024))" "$SCALE" "$(nproc)" "$(uname -r)" "$built"
  printf '| store | compression | restore s | verify s | verify / restore throughput (goal >= 0.8) | verify peak RSS MiB |\n'
  printf '|---|---|---:|---:|---:|---:|\n'
  awk -F'\t' '
    { key = $1 "\t" $2; if ($6 != 0) bad[key] = 1; t[key "\t" $3] = $4; m[key "\t" $3] = $5; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
    END {
      for (i = 1; i <= n; i++) {
        k = order[i]; split(k, p, "\t"); r = t[k "\trestore"]; v = t[k "\tverify"]
        ratio = (r > 0 && v > 0 && !(k in bad)) ? sprintf("%.2f", r / v) : "failed"
        printf "| %s | %s | %s | %s | %s | %d |\n", p[1], p[2], r, v, ratio, m[k "\tverify"] / 1024
      }
    }' "$samples"
  if [[ -s $errors ]]; then printf '\nFailures:\n\n'; sed 's/^/- /' "$errors"; fi
} | tee "$results/verify.md"
